import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { type App, type TerraformAsset, Testing } from "cdktf";
import { REPOSITORIES_FILE } from "../../functions/shared/repositories";
import { LambdaFunction } from "../../stacks/constructs/lambda-function";
import { addPlatformStacks } from "../../stacks/platform";
import { loadConfig } from "../../stacks/config";
import { RepositoryCatalog } from "../../functions/shared/repositories";
import { resourcesOf, ROOT, statementsOf, synthPlatform } from "../support/synth";

const config = loadConfig(path.join(ROOT, "config", "example-repositories.json"));
const SHOP_CONNECTION = "arn:aws:codeconnections:eu-west-1:111111111111:connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789";
const PARTNER_CONNECTION = "arn:aws:codeconnections:eu-west-1:111111111111:connection/9f8e7d6c-5b4a-4321-9fed-cba987654321";

describe("the build stack with many repositories", () => {
  const { build, dev, prod } = synthPlatform(config);
  const pipelines = resourcesOf(build, "aws_codepipeline");
  const sourceOf = (name: string) => pipelines.find((p) => p.name === name)?.stage[0].action[0].configuration;

  it("makes one pipeline per service of every repository, each reading its own repository through its connection", () => {
    expect(pipelines.map((p) => p.name).sort()).toEqual([
      "pipewright-customer-preferences-preferences",
      "pipewright-partner-shop-catalog",
      "pipewright-shop-orders",
      "pipewright-shop-payments",
    ]);
    expect(sourceOf("pipewright-shop-orders")).toMatchObject({ FullRepositoryId: "example-org/shop", ConnectionArn: SHOP_CONNECTION });
    expect(sourceOf("pipewright-customer-preferences-preferences")).toMatchObject({
      FullRepositoryId: "example-org/Customer.Preferences_Service",
      ConnectionArn: SHOP_CONNECTION,
    });
    expect(sourceOf("pipewright-partner-shop-catalog")).toMatchObject({ FullRepositoryId: "partner-org/shop", ConnectionArn: PARTNER_CONNECTION });
  });

  it("lets each connection be used read-only, for its own repositories only", () => {
    const policy = resourcesOf(build, "aws_iam_role_policy").find((p) => p.name === "pipeline-actions" && p.role.includes("pipeline-roles"));
    const uses = statementsOf(policy?.policy).filter((s: any) => s.Action === "codeconnections:UseConnection");
    expect(uses.map((s: any) => [s.Resource, s.Condition.StringEqualsIgnoreCase["codeconnections:FullRepositoryId"]])).toEqual([
      [SHOP_CONNECTION, ["example-org/shop", "example-org/Customer.Preferences_Service"]],
      [PARTNER_CONNECTION, "partner-org/shop"],
    ]);
    for (const use of uses) expect(use.Condition.StringEquals).toEqual({ "codeconnections:ProviderPermissionsRequired": "read_only" });
  });

  it("bundles one repository catalog with the functions that route by repository, none with the others", () => {
    const app = Testing.app();
    const stacks = addPlatformStacks(app as App, config);
    const catalogs = new Map<string, unknown>();
    for (const fn of stacks.build.node.findAll().filter((c): c is LambdaFunction => c instanceof LambdaFunction)) {
      const asset = fn.node.findChild("code") as TerraformAsset;
      const file = path.join((asset as unknown as { sourcePath: string }).sourcePath, REPOSITORIES_FILE);
      if (existsSync(file)) catalogs.set(fn.node.path, JSON.parse(readFileSync(file, "utf8")));
    }
    expect([...catalogs.keys()].sort()).toEqual([
      "build/notifications/notifier/function",
      "build/pr-pipelines/pr-pipelines/function",
      "build/push-router/push-router/function",
      "build/reconciler/reconciler/function",
      "build/webhook/function",
    ]);
    const catalog = RepositoryCatalog.from(catalogs.get("build/webhook/function"));
    expect(catalog.repositories.map((r) => r.repository)).toEqual([
      "example-org/shop",
      "example-org/Customer.Preferences_Service",
      "partner-org/shop",
    ]);
    for (const other of catalogs.values()) expect(other).toEqual(catalogs.get("build/webhook/function"));
  });

  it("opens dev's and prod's doors to every repository's stacks", () => {
    const deployPolicy = (stack: any) =>
      resourcesOf(stack, "aws_iam_role_policy")
        .map((p) => p.policy as string)
        .join("\n");
    for (const service of ["shop-orders", "customer-preferences-preferences", "partner-shop-catalog"]) {
      expect(deployPolicy(dev)).toContain(`stack/pipewright-${service}-dev/`);
      expect(deployPolicy(dev)).toContain(`stack/pipewright-${service}-pr-*/`);
      expect(deployPolicy(prod)).toContain(`stack/pipewright-${service}-prod/`);
    }
  });
});
