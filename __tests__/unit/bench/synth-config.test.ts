import { manyRepositoriesConfig } from "../../../bench/synth";
import { ConfigError, parseConfig } from "../../../stacks/config";
import { PlatformNames } from "../../../stacks/names";
import { platformRepositories, platformServices } from "../../../stacks/repositories";
import { exampleConfig } from "../../support/synth";

describe("the benchmark's generated configuration of many repositories", () => {
  it("20 x 3 is valid: 20 repositories, 60 pipelines with unique names, long repository names cut to their short names", () => {
    const config = parseConfig(manyRepositoriesConfig(20, 3));
    const names = new PlatformNames(config);
    const repositories = platformRepositories(config);
    const pipelines = platformServices(config).map((service) => names.pipeline(service));
    expect(repositories).toHaveLength(20);
    expect(new Set(pipelines).size).toBe(60);
    expect(repositories[1]).toMatchObject({ repository: "example-org/team02-customer-facing-services-monorepo", key: "team02-customer-faci" });
    expect(pipelines.slice(0, 4)).toEqual([
      "pipewright-shop-01-api",
      "pipewright-shop-01-worker",
      "pipewright-shop-01-web",
      "pipewright-team02-customer-faci-api",
    ]);
    // Everything but the repositories is the example's.
    const example = exampleConfig();
    expect({ accounts: config.accounts, connection: config.github.connection, notifications: config.notifications }).toEqual({
      accounts: example.accounts,
      connection: example.github.connection,
      notifications: example.notifications,
    });
    expect(config.github.repository).toBeUndefined();
    expect(config.services).toBeUndefined();
  });

  it("numbers services beyond the named ones", () => {
    const config = parseConfig(manyRepositoriesConfig(1, 5));
    expect(platformServices(config).map((service) => service.serviceName)).toEqual(["api", "worker", "web", "service4", "service5"]);
  });

  it("is checked as it is made: a configuration pipewright refuses is never measured", () => {
    expect(() => manyRepositoriesConfig(0, 3)).toThrow(ConfigError);
  });
});
