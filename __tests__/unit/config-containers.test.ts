import { loadConfig, parseConfig } from "../../stacks/config";
import { PlatformNames } from "../../stacks/names";
import { repositoryCatalog } from "../../stacks/repositories";
import { configProblems, EXAMPLE_CONFIG_FILE } from "../support/synth";

const example = () => JSON.parse(JSON.stringify(loadConfig(EXAMPLE_CONFIG_FILE)));

const LAMBDA = { name: "api", include: ["services/api/**"], buildspec: "services/api/buildspec.yml", template: "services/api/template.yaml" };
const CONTAINER = {
  name: "web",
  kind: "container",
  include: ["services/web/**"],
  dockerfile: "services/web/Dockerfile",
  testCommand: "npm test",
  template: "services/web/template.yaml",
};

/** The example with these services instead of its own. */
const withServices = (...services: Record<string, unknown>[]) => {
  const raw = example();
  raw.services = services;
  return raw;
};

describe("services of each kind", () => {
  it("parses a container service with its defaults: context the Dockerfile's folder, 20 images kept, no previews", () => {
    const [service] = parseConfig(withServices(CONTAINER)).services ?? [];
    expect(service).toEqual({
      name: "web",
      kind: "container",
      include: ["services/web/**"],
      exclude: [],
      dockerfile: "services/web/Dockerfile",
      context: "services/web",
      testCommand: "npm test",
      keepImages: 20,
      template: "services/web/template.yaml",
      preview: false,
    });
  });

  it('builds a Dockerfile at the repository root in "."', () => {
    const [service] = parseConfig(withServices({ ...CONTAINER, dockerfile: "Dockerfile" })).services ?? [];
    expect(service).toMatchObject({ kind: "container", context: "." });
  });

  it("keeps what a container service sets", () => {
    const [service] = parseConfig(withServices({ ...CONTAINER, context: "services", keepImages: 5, preview: true })).services ?? [];
    expect(service).toMatchObject({ context: "services", keepImages: 5, preview: true });
  });

  it("parses a service without a kind as a Lambda service, with previews and an unprivileged build", () => {
    const [service] = parseConfig(withServices(LAMBDA)).services ?? [];
    expect(service).toEqual({ ...LAMBDA, kind: "lambda", exclude: [], privilegedBuild: false, preview: true });
  });

  const problems: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      "a Lambda service with a Dockerfile",
      { ...LAMBDA, dockerfile: "services/api/Dockerfile" },
      /^services\[0\]\.dockerfile: is a setting of container services, but this service's kind is "lambda"\. Fix: set "kind": "container", or remove dockerfile$/,
    ],
    [
      "a container service with a buildspec",
      { ...CONTAINER, buildspec: "services/web/buildspec.yml" },
      /^services\[0\]\.buildspec: is a setting of lambda services, but this service's kind is "container"\. Fix: .*put build steps in the Dockerfile and remove buildspec$/,
    ],
    [
      "a container service with privilegedBuild",
      { ...CONTAINER, privilegedBuild: true },
      /^services\[0\]\.privilegedBuild: is a setting of lambda services.* Fix: container builds are always privileged .*remove privilegedBuild$/,
    ],
    [
      "a container service without a Dockerfile",
      { ...CONTAINER, dockerfile: undefined },
      /^services\[0\]\.dockerfile: is missing\. Fix: give the repository-relative path of the Dockerfile/,
    ],
    [
      "a container service without a test command",
      { ...CONTAINER, testCommand: undefined },
      /^services\[0\]\.testCommand: is missing\. Fix: give the command that runs the tests inside this container service's image/,
    ],
    ["an empty test command", { ...CONTAINER, testCommand: "   " }, /^services\[0\]\.testCommand: is empty\. Fix: /],
    [
      "keeping no image",
      { ...CONTAINER, keepImages: 0 },
      /^services\[0\]\.keepImages: must be at least 1: the running image must stay pullable\. Fix: /,
    ],
    ["an unknown kind", { ...CONTAINER, kind: "vm" }, /^services\[0\]\.kind: "vm" is not a kind of service\. Fix: use "lambda" or "container"$/],
    [
      "a Lambda service without a buildspec",
      { ...LAMBDA, buildspec: undefined },
      /^services\[0\]\.buildspec: is missing\. Fix: .*or set "kind": "container"/,
    ],
  ];

  it.each(problems)("rejects %s, naming the field and the fix", (_what, service, expected) => {
    const found = configProblems(withServices(JSON.parse(JSON.stringify(service))));
    expect(found).toEqual([expect.stringMatching(expected)]);
  });

  it("parses a parsed configuration to itself", () => {
    const once = parseConfig(
      withServices(LAMBDA, { ...CONTAINER, name: "shop", preview: true, keepImages: 3 }, { ...CONTAINER, context: "services" }),
    );
    expect(parseConfig(JSON.parse(JSON.stringify(once)))).toEqual(once);
    expect(parseConfig(JSON.parse(JSON.stringify(example())))).toEqual(loadConfig(EXAMPLE_CONFIG_FILE));
  });

  it("tells the functions each service's kind and whether it has previews", () => {
    const config = parseConfig(withServices(LAMBDA, CONTAINER));
    const [repository] = repositoryCatalog(config, new PlatformNames(config)).repositories;
    expect(repository?.services.map((s) => [s.name, s.kind, s.preview])).toEqual([
      ["api", "lambda", true],
      ["web", "container", false],
    ]);
  });
});
