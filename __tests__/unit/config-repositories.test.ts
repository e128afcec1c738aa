import { loadConfig, parseConfig } from "../../stacks/config";
import { PlatformNames } from "../../stacks/names";
import { defaultRepositoryKey, platformRepositories, platformServices, repositoryCatalog } from "../../stacks/repositories";
import { RepositoryCatalog } from "../../functions/shared/repositories";
import { configProblems, EXAMPLE_CONFIG_FILE, ROOT } from "../support/synth";
import * as path from "node:path";

const MANY_EXAMPLE = path.join(ROOT, "config", "example-repositories.json");
const many = () => JSON.parse(JSON.stringify(loadConfig(MANY_EXAMPLE)));
const single = () => JSON.parse(JSON.stringify(loadConfig(EXAMPLE_CONFIG_FILE)));

describe("many repositories in the configuration", () => {
  it("keeps the single-repository form and its pipeline names", () => {
    const config = loadConfig(EXAMPLE_CONFIG_FILE);
    const names = new PlatformNames(config);
    expect(platformServices(config).map((s) => names.pipeline(s))).toEqual(["pipewright-orders", "pipewright-payments", "pipewright-storefront"]);
    expect(platformRepositories(config)).toEqual([expect.objectContaining({ repository: "example-org/shop", key: "", mainBranch: "main" })]);
  });

  it("names a service <project>-<short name>-<service>, the short name defaulting to the repository's name", () => {
    const config = loadConfig(MANY_EXAMPLE);
    const names = new PlatformNames(config);
    expect(platformServices(config).map((s) => names.pipeline(s))).toEqual([
      "pipewright-shop-orders",
      "pipewright-shop-payments",
      "pipewright-customer-preferences-preferences",
      "pipewright-partner-shop-catalog",
    ]);
  });

  it("makes the default short name of any repository name lowercase words, at most 20 characters", () => {
    expect(defaultRepositoryKey("example-org/Customer.Preferences_Service")).toBe("customer-preferences");
    expect(defaultRepositoryKey("o/shop")).toBe("shop");
    expect(defaultRepositoryKey("o/--My__Repo--")).toBe("my-repo");
    expect(defaultRepositoryKey("o/abcdefghij-klmnopqrstuvwxyz")).toBe("abcdefghij-klmnopqrs");
    expect(defaultRepositoryKey("o/abcdefghijklmnopqrs-tuv")).toBe("abcdefghijklmnopqrs");
  });

  it("keeps the longest names within CodePipeline's 100 characters, pull request pipelines included", () => {
    const raw = many();
    raw.projectName = "p".repeat(20);
    raw.repositories[0].repository = `o/${"r".repeat(100)}`;
    raw.repositories[0].services[0].name = `s${"x".repeat(29)}`;
    const config = parseConfig(raw);
    const names = new PlatformNames(config);
    const longest = Math.max(...platformServices(config).map((s) => names.pipeline(s).length));
    expect(longest).toBe(20 + 1 + 20 + 1 + 30);
    expect(longest + "-pr-1234567".length).toBeLessThanOrEqual(100);
  });

  it("takes each repository's connection and fork label, else the platform's", () => {
    const [shop, preferences, partner] = platformRepositories(loadConfig(MANY_EXAMPLE));
    expect(shop?.connection).toEqual(loadConfig(MANY_EXAMPLE).github.connection);
    expect(preferences?.forkPullRequestLabel).toBe("safe-to-test");
    expect(partner?.forkPullRequestLabel).toBe("ok-to-test");
    expect(partner?.connection).not.toEqual(shop?.connection);
  });

  it("gives the functions a catalog they accept, with every repository's pipelines", () => {
    const config = loadConfig(MANY_EXAMPLE);
    const catalog = RepositoryCatalog.from(repositoryCatalog(config, new PlatformNames(config)));
    expect(catalog.get("EXAMPLE-ORG/shop")?.services.map((s) => s.pipeline)).toEqual(["pipewright-shop-orders", "pipewright-shop-payments"]);
    expect(catalog.get("partner-org/shop")).toMatchObject({ forkLabel: "ok-to-test", mainBranch: "main" });
    expect(catalog.ownerOfPipeline("pipewright-partner-shop-catalog")?.repository.repository).toBe("partner-org/shop");
    expect(catalog.get("example-org/unknown")).toBeUndefined();
  });

  const cases: Array<[string, (c: any) => void, RegExp]> = [
    [
      "both forms at once",
      (c) => {
        c.services = single().services;
      },
      /^repositories: is set together with github\.repository or services\. Fix: list every repository in repositories/,
    ],
    [
      "neither form",
      (c) => delete c.repositories,
      /^github\.repository: is missing\. Fix: give the repository as "owner\/name", or list repositories\[\]/,
    ],
    ["an empty list", (c) => (c.repositories = []), /^repositories: lists no repository\. Fix:/],
    [
      "a repository that is not owner/name",
      (c) => (c.repositories[1].repository = "shop"),
      /^repositories\[1\]\.repository: "shop" is not a GitHub repository\. Fix:/,
    ],
    [
      "a repository listed twice (any case)",
      (c) => (c.repositories[1].repository = "Example-Org/Shop"),
      /^repositories\[1\]\.repository: "Example-Org\/Shop" is already repositories\[0\]\. Fix: list each repository once/,
    ],
    [
      "two repositories with one default short name",
      (c) => (c.repositories[2].name = undefined),
      /^repositories\[2\]\.repository: gives the short name "shop", like repositories\[0\]: their pipelines would share names\. Fix: set repositories\[2\]\.name/,
    ],
    [
      "a short name with a word of environments",
      (c) => (c.repositories[1].repository = "example-org/pr-bot"),
      /^repositories\[1\]\.repository: gives the short name "pr-bot", which contains one of the words "dev", "prod", "pr".* Fix: set repositories\[1\]\.name/,
    ],
    [
      "a repository name without a usable short name",
      (c) => (c.repositories[1].repository = "example-org/2024"),
      /^repositories\[1\]\.repository: gives the short name "2024", which is not 1-20 lowercase letters.* Fix: set repositories\[1\]\.name/,
    ],
    [
      "an invalid explicit short name",
      (c) => (c.repositories[2].name = "Partner_Shop"),
      /^repositories\[2\]\.name: "Partner_Shop" is not a valid repository short name\. Fix:/,
    ],
    [
      "two repositories making one pipeline",
      (c) => {
        c.repositories[0].services[0].name = "preferences-preferences";
        c.repositories[0].name = "customer";
      },
      /^repositories\[1\]\.services\[0\]\.name: "preferences" makes the pipeline "pipewright-customer-preferences-preferences", like repositories\[0\]\.services\[0\]\. Fix:/,
    ],
    [
      "a service leading into a platform name",
      (c) => {
        c.repositories[1].name = "push";
        c.repositories[1].services[0].name = "router";
      },
      /^repositories\[1\]\.services\[0\]\.name: "router" would name resources like pipewright's own "pipewright-push-router".* Fix: choose another service name/,
    ],
    ["a cap below 1", (c) => (c.limits.maxPullRequestPipelines = 0), /^limits\.maxPullRequestPipelines: must be at least 1\. Fix:/],
    ["an unknown repository setting", (c) => (c.repositories[0].branch = "main"), /^"branch" is not a known setting in repositories\[0\]\. Fix:/],
  ];

  it.each(cases)("rejects %s, naming the field and the fix", (_name, change, expected) => {
    const raw = many();
    change(raw);
    const problems = configProblems(raw);
    expect(problems.some((p) => expected.test(p))).toBe(true);
  });

  it("defaults the cap on pull request pipelines well under CodePipeline's quota", () => {
    const raw = single();
    delete raw.limits;
    expect(parseConfig(raw).limits.maxPullRequestPipelines).toBe(300);
  });
});
