import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { CloudwatchEventArchive } from "@cdktf/provider-aws/lib/cloudwatch-event-archive";
import { type App, Testing } from "cdktf";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { RepositoryCatalog } from "../../functions/shared/repositories";
import { addPlatformStacks } from "../../stacks/platform";
import { configWith, resourceAt, resourcesOf, statement, statementsOf, synthPlatform } from "../support/synth";

describe("WebhookIntake in the build stack", () => {
  const { build } = synthPlatform();
  const text = JSON.stringify(build);

  it("routes POST /webhook of an HTTP API to the webhook function with payload format 2.0", () => {
    expect(text).toHaveResourceWithProperties(Apigatewayv2Route, { route_key: "POST /webhook" });
    expect(text).toHaveResourceWithProperties(Apigatewayv2Integration, {
      integration_type: "AWS_PROXY",
      payload_format_version: "2.0",
      integration_uri: expect.stringMatching(/aws_lambda_function\.webhook_function_\w+\.invoke_arn/),
    });
  });

  it("logs access and throttles the default route", () => {
    const stage = resourceAt(build, "aws_apigatewayv2_stage", "webhook/stage");
    expect(stage.default_route_settings).toEqual({ throttling_burst_limit: 100, throttling_rate_limit: 50 });
    expect(stage.access_log_settings.destination_arn).toMatch(/aws_cloudwatch_log_group\.webhook_access-logs_\w+\.arn/);
    expect(JSON.parse(stage.access_log_settings.format)).toHaveProperty("status", "$context.status");
  });

  it("lets only this API's POST /webhook route invoke the function", () => {
    const permission = resourceAt(build, "aws_lambda_permission", "webhook/invoke");
    expect(permission.principal).toBe("apigateway.amazonaws.com");
    expect(permission.source_arn).toMatch(/^\$\{aws_apigatewayv2_api\.webhook_api_\w+\.execution_arn\}\/\*\/POST\/webhook$/);
  });

  it("keeps the secret in Secrets Manager, out of the environment, encrypted with the platform key", () => {
    const fn = resourceAt(build, "aws_lambda_function", "webhook/function/function");
    expect(Object.keys(fn.environment.variables).sort()).toEqual(["EVENT_BUS_NAME", "NODE_OPTIONS", "WEBHOOK_SECRET_ARN"]);
    const secret = resourceAt(build, "aws_secretsmanager_secret", "webhook/secret");
    expect(secret.kms_key_id).toMatch(/aws_kms_key\.artifact-store_key_\w+\.arn/);
    expect(resourcesOf(build, "aws_secretsmanager_secret_version")).toEqual([]);
  });

  it("archives the GitHub bus for replay", () => {
    expect(text).toHaveResourceWithProperties(CloudwatchEventArchive, {
      name: "pipewright-github",
      retention_days: 30,
      event_source_arn: expect.stringMatching(/aws_cloudwatch_event_bus\.webhook_bus_\w+\.arn/),
    });
  });

  it("lets only the webhook and the reconciler speak for GitHub on the bus, and nobody for Slack without the Slack app", () => {
    const policy = resourceAt(build, "aws_cloudwatch_event_bus_policy", "webhook/bus-policy").policy;
    expect(statementsOf(policy)).toEqual([
      {
        Sid: "OnlyTheWebhookSpeaksForGitHub",
        Effect: "Deny",
        Principal: "*",
        Action: "events:PutEvents",
        Resource: expect.stringMatching(/aws_cloudwatch_event_bus\.webhook_bus_\w+\.arn/),
        Condition: {
          StringEquals: { "events:source": "pipewright.github" },
          ArnNotEquals: {
            "aws:PrincipalArn": [
              expect.stringMatching(/^\$\{aws_iam_role\.webhook_function_role_\w+\.arn\}$/),
              "arn:${data.aws_partition.partition.partition}:iam::111111111111:role/pipewright-reconciler",
            ],
          },
        },
      },
      {
        Sid: "OnlyTheSlackFrontSpeaksForSlack",
        Effect: "Deny",
        Principal: "*",
        Action: "events:PutEvents",
        Resource: expect.stringMatching(/aws_cloudwatch_event_bus\.webhook_bus_\w+\.arn/),
        Condition: { StringEquals: { "events:source": "pipewright.slack" } },
      },
    ]);
    expect(resourceAt(build, "aws_iam_role", "reconciler/reconciler/function/role").name).toBe("pipewright-reconciler");
  });

  it("may put events on its bus and read its secret, nothing else", () => {
    const policy = resourceAt(build, "aws_iam_role_policy", "webhook/function/policy").policy;
    expect(statementsOf(policy).map((s: any) => s.Sid)).toEqual(["OwnLogs", "Traces", "PutGitHubEvents", "ReadWebhookSecret"]);
    expect(statement(policy, "PutGitHubEvents").Resource).toMatch(/aws_cloudwatch_event_bus\.webhook_bus_\w+\.arn/);
    const key = resourceAt(build, "aws_kms_key", "artifact-store/key").policy;
    expect(statement(key, "WebhookSecret").Condition).toEqual({
      StringEquals: { "kms:ViaService": ["secretsmanager.${data.aws_region.region.name}.amazonaws.com"] },
    });
  });
});

describe("WebhookIntake with many repositories", () => {
  const config = configWith((raw) => {
    raw.repositories = [
      { repository: raw.github.repository, services: raw.services },
      { repository: "example-org/Billing-Platform", mainBranch: "trunk", services: [raw.services[0]] },
    ];
    delete raw.github.repository;
    delete raw.services;
  });
  const app = Testing.app();
  const stacks = addPlatformStacks(app as App, config);
  const outdir = Testing.fullSynth(stacks.build);
  const stackDir = path.join(outdir, "stacks", stacks.build.node.id);
  const build = JSON.parse(readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));
  const fn = resourceAt(build, "aws_lambda_function", "webhook/function/function");
  const archive = path.join(stackDir, fn.filename);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  /** `unzip <option> <the function's deployed archive> [member]`; fails the test with unzip's error. */
  function unzip(option: string, member?: string): string {
    const args = [option, archive, ...(member === undefined ? [] : [member])];
    const result = spawnSync("unzip", args, { encoding: "utf8" });
    if (result.error || result.status !== 0) throw new Error(`unzip ${args.join(" ")} failed: ${result.error ?? result.stderr}`);
    return result.stdout;
  }

  it("learns the repositories from the catalog it ships beside index.js, not from its environment", () => {
    expect(Object.keys(fn.environment.variables).sort()).toEqual(["EVENT_BUS_NAME", "NODE_OPTIONS", "WEBHOOK_SECRET_ARN"]);
    const files = unzip("-Z1").split("\n").filter(Boolean).sort();
    expect(files).toEqual(expect.arrayContaining(["index.js", "repositories.json"]));

    const catalog = RepositoryCatalog.from(JSON.parse(unzip("-p", "repositories.json")));
    expect(catalog.repositories.map((entry) => [entry.repository, entry.mainBranch])).toEqual([
      ["example-org/shop", "main"],
      ["example-org/Billing-Platform", "trunk"],
    ]);
    expect(catalog.get("EXAMPLE-ORG/billing-platform")?.repository).toBe("example-org/Billing-Platform");
  });
});
