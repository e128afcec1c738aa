import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { loadRepositoryCatalog, RepositoryCatalog, RepositoryCatalogError } from "../../../functions/shared/repositories";

const service = (name: string, pipeline: string) => ({ name, pipeline, include: [`${name}/**`] });
const catalogData = () => ({
  repositories: [
    { repository: "acme/Shop", mainBranch: "refs/heads/main", forkLabel: "safe-to-test", services: [service("orders", "pw-shop-orders")] },
    { repository: "acme/ledger", mainBranch: "release", forkLabel: "ok", services: [service("api", "pw-ledger-api")] },
  ],
});

describe("the repository catalog", () => {
  it("finds a repository in any case, and a main pipeline's repository and service", () => {
    const catalog = RepositoryCatalog.from(catalogData());
    expect(catalog.get("ACME/shop")).toMatchObject({ repository: "acme/Shop", mainBranch: "main" });
    expect(catalog.get("acme/other")).toBeUndefined();
    expect(catalog.ownerOfPipeline("pw-ledger-api")).toMatchObject({
      repository: { repository: "acme/ledger" },
      service: { name: "api", exclude: [] },
    });
    expect(catalog.ownerOfPipeline("pw-ledger-api-pr-1")).toBeUndefined();
    expect(catalog.pipelines).toEqual(["pw-shop-orders", "pw-ledger-api"]);
  });

  it("gives each service its Slack approvers, none when the stacks list none, and refuses what is not a Slack user id", () => {
    const data = catalogData();
    const withApprovers = {
      ...data.repositories[0]!,
      services: [{ ...service("orders", "pw-shop-orders"), slackApprovers: ["U0APPROVER1", "W0123ABCD9"] }],
    };
    const catalog = RepositoryCatalog.from({ repositories: [withApprovers, data.repositories[1]!] });
    expect(catalog.ownerOfPipeline("pw-shop-orders")?.service.slackApprovers).toEqual(["U0APPROVER1", "W0123ABCD9"]);
    expect(catalog.ownerOfPipeline("pw-ledger-api")?.service.slackApprovers).toEqual([]);
    const bad = { ...withApprovers, services: [{ ...service("orders", "pw-shop-orders"), slackApprovers: ["@ada"] }] };
    expect(() => RepositoryCatalog.from({ repositories: [bad] }, "catalog.json")).toThrow(
      /repositories\[0\]\.services\[0\]\.slackApprovers\[0\]: is not a Slack user id/,
    );
  });

  it("refuses a repository listed twice and a pipeline of two repositories, naming each place", () => {
    const data = catalogData();
    data.repositories.push({ ...data.repositories[0]!, repository: "ACME/shop", services: [service("api", "pw-ledger-api")] });
    expect(() => RepositoryCatalog.from(data, "catalog.json")).toThrow(RepositoryCatalogError);
    expect(() => RepositoryCatalog.from(data, "catalog.json")).toThrow(
      /^The repository catalog catalog\.json is invalid: repositories\[2\]\.repository: repeats repositories\[0\]; repositories\[2\]\.services\[0\]\.pipeline: "pw-ledger-api" is already a pipeline of acme\/ledger; .*Fix: deploy the function through the pipewright stacks/,
    );
  });

  it("reads the file bundled beside the code, or the one REPOSITORIES_FILE names, and names a missing one", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "pw-catalog-"));
    writeFileSync(path.join(dir, "repositories.json"), JSON.stringify(catalogData()));
    expect(loadRepositoryCatalog({}, dir).repositories).toHaveLength(2);
    const other = path.join(dir, "other.json");
    writeFileSync(other, "{ not json");
    expect(() => loadRepositoryCatalog({ REPOSITORIES_FILE: other }, dir)).toThrow(/^The repository catalog .*other\.json cannot be read as JSON/);
    expect(() => loadRepositoryCatalog({}, path.join(dir, "missing"))).toThrow(
      /repositories\.json cannot be read as JSON \(ENOENT.*Fix: deploy the function/,
    );
  });
});
