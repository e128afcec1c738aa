import type { ServiceEntry } from "../../../functions/shared/repositories";
import { matchingServices } from "../../../functions/push-router/route";
import { API, INFRA, WEB } from "./fixtures";

const service = (include: string[], exclude: string[] = []): ServiceEntry => ({
  name: "svc",
  pipeline: "pw-svc",
  include,
  exclude,
  slackApprovers: [],
  kind: "lambda",
  preview: true,
});

describe("a service matches a changed path", () => {
  it.each<[string, string[], string[], string, boolean]>([
    // ** crosses folders, but only below the named folder
    ["** crosses folders", ["services/api/**"], [], "services/api/src/deep/handler.ts", true],
    ["** needs the folder itself", ["services/api/**"], [], "services/apiary/handler.ts", false],
    ["another service's folder", ["services/api/**"], [], "services/web/src/app.ts", false],
    // * stays within one folder
    ["* within a folder", ["services/*/package.json"], [], "services/api/package.json", true],
    ["* does not cross a folder", ["services/*/package.json"], [], "services/api/nested/package.json", false],
    ["*.ts in one folder", ["services/api/*.ts"], [], "services/api/index.ts", true],
    ["*.ts not in a subfolder", ["services/api/*.ts"], [], "services/api/src/index.ts", false],
    // dot files match like any other file
    ["dot file under **", ["services/api/**"], [], "services/api/.env.production", true],
    ["dot folder under **", ["**"], [], ".github/workflows/ci.yml", true],
    ["dot file under *", ["services/api/*"], [], "services/api/.eslintrc.json", true],
    // excludes win over includes
    ["exclude wins", ["services/api/**"], ["**/*.md"], "services/api/README.md", false],
    ["exclude wins deep", ["services/api/**"], ["**/*.md"], "services/api/docs/guide/setup.md", false],
    ["exclude leaves the rest", ["services/api/**"], ["**/*.md"], "services/api/src/handler.ts", true],
    ["exclude of a folder", ["services/api/**"], ["services/api/test/**"], "services/api/test/handler.test.ts", false],
    // top-level files
    ["top-level file by name", ["package.json"], [], "package.json", true],
    ["a name is not a basename match", ["package.json"], [], "services/api/package.json", false],
    ["top-level *", ["*"], [], "README.md", true],
    ["top-level * stays at the top", ["*"], [], "services/api/handler.ts", false],
    ["top-level *.json", ["*.json"], [], "tsconfig.json", true],
    // braces
    ["braces", ["services/{api,web}/**"], [], "services/web/src/app.ts", true],
    ["braces exclude others", ["services/{api,web}/**"], [], "services/worker/src/job.ts", false],
  ])("%s: include %j exclude %j, path %s → %s", (_name, include, exclude, path, expected) => {
    expect(matchingServices([service(include, exclude)], [path]).length === 1).toBe(expected);
  });
});

describe("services of a set of changed files", () => {
  const names = (files: string[]) => matchingServices([API, WEB, INFRA], files).map((s) => s.name);

  it("libs/shared/** is included by two services, so both match", () => {
    expect(names(["libs/shared/src/date.ts"])).toEqual(["api", "web"]);
  });

  it("a service matches when any one of the paths passes its filter", () => {
    expect(names(["docs/intro.md", "services/web/src/app.ts", "services/api/README.md"])).toEqual(["web"]);
  });

  it("a top-level file belongs to the service that names it", () => {
    expect(names(["package.json"])).toEqual(["infra"]);
  });

  it("paths of no service match nothing", () => {
    expect(names(["docs/intro.md", "services/api/CHANGELOG.md", ".github/CODEOWNERS"])).toEqual([]);
  });

  it("no paths match nothing", () => {
    expect(names([])).toEqual([]);
  });
});
