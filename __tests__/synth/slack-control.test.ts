import { readFileSync } from "node:fs";
import * as path from "node:path";
import { type App, type TerraformAsset, Testing } from "cdktf";
import { REPOSITORIES_FILE, RepositoryCatalog } from "../../functions/shared/repositories";
import { LambdaFunction } from "../../stacks/constructs/lambda-function";
import { SLACK_ACTIONS_EVENT_PATTERN } from "../../functions/shared/slack/bus-event";
import { addPlatformStacks } from "../../stacks/platform";
import { configWith, resourceAt, resourcesOf, statement, statementsOf, synthPlatform, synthStack } from "../support/synth";

const PLATFORM_KEY = /^\$\{aws_kms_key\.artifact-store_key_\w+\.arn\}$/;
const BUS_ARN = /^\$\{aws_cloudwatch_event_bus\.webhook_bus_\w+\.arn\}$/;
const API_ENDPOINT = /^\$\{aws_apigatewayv2_api\.webhook_api_\w+\.api_endpoint\}/;
const ref = (type: string, constructPath: string, attribute: string) =>
  new RegExp(`^\\$\\{${type.replace(/\./g, "\\.")}\\.${constructPath.split("/").join("_")}_[0-9A-F]{8}\\.${attribute}\\}$`);

/** The example in Slack bot mode: platform approvers, and payments with its own. */
const config = configWith((c) => {
  c.notifications.slack = { mode: "bot", channel: "C0SANDBOX01" };
  c.approvers.slackUserIds = ["U0APPROVER1"];
  c.services[1].approvers = { slackUserIds: ["U0PAYMENTS1"] };
});
const app = Testing.app();
const stacks = addPlatformStacks(app as App, config);
const build = synthStack(stacks.build);

const rolePolicies = (roleName: string) => resourcesOf(build, "aws_iam_role_policy").filter((p) => p.role === roleName);
const roleNameRef = (constructPath: string) => `\${aws_iam_role.${resourceKey("aws_iam_role", constructPath)}.name}`;
function resourceKey(type: string, constructPath: string): string {
  const pattern = new RegExp(`^${constructPath.split("/").join("_")}_[0-9A-F]{8}$`);
  const keys = Object.keys(build.resource[type] ?? {}).filter((key) => pattern.test(key));
  if (keys.length !== 1) throw new Error(`expected one ${type} at ${constructPath}, found ${keys.length}`);
  return keys[0] as string;
}
const FRONT = "slack/front";
const WORKER = "slack/actions/function";
const pipelineArn = (service: string) => `\${aws_codepipeline.${resourceKey("aws_codepipeline", `pipeline-${service}/pipeline`)}.arn}`;

describe("the Slack app in the build stack", () => {
  it("adds POST /slack/commands and POST /slack/interactions to the webhook's API, one payload 2.0 integration to the front, under Slack's wait", () => {
    const routes = resourcesOf(build, "aws_apigatewayv2_route");
    expect(routes.map((r) => r.route_key).sort()).toEqual(["POST /slack/commands", "POST /slack/interactions", "POST /webhook"]);
    const integration = resourceAt(build, "aws_apigatewayv2_integration", "slack/integration");
    for (const name of ["commands", "interactions"]) {
      const route = resourceAt(build, "aws_apigatewayv2_route", `slack/${name}-route`);
      expect(route.api_id).toMatch(/^\$\{aws_apigatewayv2_api\.webhook_api_\w+\.id\}$/);
      expect(route.target).toBe(
        `integrations/\${aws_apigatewayv2_integration.${resourceKey("aws_apigatewayv2_integration", "slack/integration")}.id}`,
      );
    }
    expect(integration).toMatchObject({ integration_type: "AWS_PROXY", payload_format_version: "2.0" });
    expect(integration.integration_uri).toMatch(ref("aws_lambda_function", `${FRONT}/function`, "invoke_arn"));
    expect(integration.timeout_milliseconds).toBeLessThan(3000);
    expect(integration.timeout_milliseconds).toBeGreaterThanOrEqual(2500);
  });

  it("lets API Gateway invoke the front only through these two routes of this API", () => {
    const toFront = resourcesOf(build, "aws_lambda_permission").filter((p) => String(p.function_name).includes("slack_front_function"));
    expect(toFront).toHaveLength(2);
    for (const [name, route] of [
      ["commands", "POST/slack/commands"],
      ["interactions", "POST/slack/interactions"],
    ]) {
      const permission = resourceAt(build, "aws_lambda_permission", `slack/${name}-invoke`);
      expect(permission).toMatchObject({ action: "lambda:InvokeFunction", principal: "apigateway.amazonaws.com" });
      expect(permission.function_name).toMatch(ref("aws_lambda_function", `${FRONT}/function`, "function_name"));
      expect(permission.source_arn).toMatch(new RegExp(`^\\$\\{aws_apigatewayv2_api\\.webhook_api_\\w+\\.execution_arn\\}/\\*/${route}$`));
    }
  });

  it("runs the front as pipewright-slack, quick and small, told only its secret and the bus", () => {
    const fn = resourceAt(build, "aws_lambda_function", `${FRONT}/function`);
    expect(fn).toMatchObject({ function_name: "pipewright-slack", timeout: 3, memory_size: 512 });
    expect(Object.keys(fn.environment.variables).sort()).toEqual(["EVENT_BUS_NAME", "NODE_OPTIONS", "SLACK_SIGNING_SECRET_ARN"]);
    expect(fn.environment.variables.SLACK_SIGNING_SECRET_ARN).toMatch(ref("aws_secretsmanager_secret", "slack/signing-secret", "arn"));
    expect(fn.environment.variables.EVENT_BUS_NAME).toMatch(/^\$\{aws_cloudwatch_event_bus\.webhook_bus_\w+\.name\}$/);
    expect(resourceAt(build, "aws_iam_role", `${FRONT}/role`).name).toBe("pipewright-slack");
  });

  it("lets the front put Slack requests on the bus and read the signing secret, and nothing else: it can never approve", () => {
    const policies = rolePolicies(roleNameRef(`${FRONT}/role`));
    expect(policies.map((p) => p.name).sort()).toEqual(["function", "platform-key-SlackSigningSecret"]);
    const policy = resourceAt(build, "aws_iam_role_policy", `${FRONT}/policy`).policy;
    expect(statementsOf(policy).map((s: any) => s.Sid)).toEqual(["OwnLogs", "Traces", "PutSlackRequests", "ReadSigningSecret"]);
    expect(statement(policy, "PutSlackRequests")).toMatchObject({
      Action: "events:PutEvents",
      Resource: expect.stringMatching(BUS_ARN),
      Condition: { StringEquals: { "events:source": "pipewright.slack", "events:detail-type": "Slack request" } },
    });
    expect(statement(policy, "ReadSigningSecret").Resource).toMatch(ref("aws_secretsmanager_secret", "slack/signing-secret", "arn"));
    for (const p of policies) expect(p.policy).not.toMatch(/codepipeline|bot-token/);
    const key = statementsOf(policies.find((p) => p.name === "platform-key-SlackSigningSecret")?.policy)[0];
    expect(key.Condition).toEqual({ StringEquals: { "kms:ViaService": ["secretsmanager.${data.aws_region.region.name}.amazonaws.com"] } });
  });

  it("lets only the front's role put Slack requests on the bus, and keeps GitHub's events to the webhook and the reconciler", () => {
    const policy = resourceAt(build, "aws_cloudwatch_event_bus_policy", "webhook/bus-policy").policy;
    expect(statement(policy, "OnlyTheSlackFrontSpeaksForSlack")).toEqual({
      Sid: "OnlyTheSlackFrontSpeaksForSlack",
      Effect: "Deny",
      Principal: "*",
      Action: "events:PutEvents",
      Resource: expect.stringMatching(BUS_ARN),
      Condition: {
        StringEquals: { "events:source": "pipewright.slack" },
        ArnNotEquals: { "aws:PrincipalArn": ["arn:${data.aws_partition.partition.partition}:iam::111111111111:role/pipewright-slack"] },
      },
    });
    const github = statement(policy, "OnlyTheWebhookSpeaksForGitHub");
    expect(github.Condition.ArnNotEquals["aws:PrincipalArn"]).toEqual([
      expect.stringMatching(/^\$\{aws_iam_role\.webhook_function_role_\w+\.arn\}$/),
      "arn:${data.aws_partition.partition.partition}:iam::111111111111:role/pipewright-reconciler",
    ]);
  });

  it("feeds the worker Slack requests from the GitHub bus, retried while Slack still listens, then dead-lettered", () => {
    const rule = resourceAt(build, "aws_cloudwatch_event_rule", "slack/actions/rule");
    expect(JSON.parse(rule.event_pattern)).toEqual({ source: ["pipewright.slack"], "detail-type": ["Slack request"] });
    expect(SLACK_ACTIONS_EVENT_PATTERN).toEqual(JSON.parse(rule.event_pattern));
    expect(rule.event_bus_name).toMatch(/^\$\{aws_cloudwatch_event_bus\.webhook_bus_\w+\.name\}$/);
    const target = resourceAt(build, "aws_cloudwatch_event_target", "slack/actions/target");
    expect(target.retry_policy.maximum_event_age_in_seconds).toBe(1800);
    expect(target.dead_letter_config.arn).toMatch(ref("aws_sqs_queue", "slack/actions/dlq", "arn"));
    expect(resourceAt(build, "aws_lambda_function_event_invoke_config", "slack/actions/async-invoke")).toMatchObject({
      maximum_retry_attempts: 2,
      maximum_event_age_in_seconds: 1800,
    });
    expect(resourceAt(build, "aws_sqs_queue", "slack/actions/dlq").kms_master_key_id).toMatch(PLATFORM_KEY);
  });

  it("tells the worker its secrets and Slack's API, nothing else", () => {
    const fn = resourceAt(build, "aws_lambda_function", `${WORKER}/function`);
    expect(fn.function_name).toBe("pipewright-slack-actions");
    expect(Object.keys(fn.environment.variables).sort()).toEqual([
      "NODE_OPTIONS",
      "SLACK_API_URL",
      "SLACK_BOT_TOKEN_SECRET_ARN",
      "SLACK_SIGNING_SECRET_ARN",
    ]);
    expect(fn.environment.variables).toMatchObject({
      SLACK_API_URL: "https://slack.com/api/",
      SLACK_BOT_TOKEN_SECRET_ARN: expect.stringMatching(ref("aws_secretsmanager_secret", "slack/bot-token", "arn")),
      SLACK_SIGNING_SECRET_ARN: expect.stringMatching(ref("aws_secretsmanager_secret", "slack/signing-secret", "arn")),
    });
  });

  it("lets the worker answer exactly the main pipelines' prod approvals and see and start exactly the main pipelines", () => {
    const policy = resourceAt(build, "aws_iam_role_policy", `${WORKER}/policy`).policy;
    expect(statementsOf(policy).map((s: any) => s.Sid)).toEqual([
      "OwnLogs",
      "Traces",
      "AnswerProdApprovals",
      "SeeMainPipelines",
      "DeployMainPipelines",
      "ReadSlackSecrets",
    ]);
    const pipelines = [pipelineArn("orders"), pipelineArn("payments"), pipelineArn("storefront")];
    expect(statement(policy, "AnswerProdApprovals")).toMatchObject({
      Action: "codepipeline:PutApprovalResult",
      Resource: pipelines.map((arn) => `${arn}/Prod/Approve`),
    });
    expect(statement(policy, "SeeMainPipelines")).toMatchObject({
      Action: ["codepipeline:GetPipelineState", "codepipeline:ListPipelineExecutions"],
      Resource: pipelines,
    });
    expect(statement(policy, "DeployMainPipelines")).toMatchObject({ Action: "codepipeline:StartPipelineExecution", Resource: pipelines });
    expect(statement(policy, "ReadSlackSecrets").Resource).toEqual([
      expect.stringMatching(ref("aws_secretsmanager_secret", "slack/signing-secret", "arn")),
      expect.stringMatching(ref("aws_secretsmanager_secret", "slack/bot-token", "arn")),
    ]);
    const codepipeline = statementsOf(policy).filter((s: any) => JSON.stringify(s.Action).includes("codepipeline:"));
    for (const s of codepipeline) {
      for (const resource of [s.Resource].flat()) expect(resource).not.toMatch(/\*|-pr-/);
    }
  });

  it("gives the worker the platform key only through Secrets Manager (and SQS for its dead letters)", () => {
    const policies = rolePolicies(roleNameRef(`${WORKER}/role`));
    expect(policies.map((p) => p.name).sort()).toEqual([
      "failure-destination",
      "function",
      "platform-key-ActionsFailureDestination",
      "platform-key-SlackActionsSecrets",
    ]);
    const viaServices = (name: string) => statementsOf(policies.find((p) => p.name === name)?.policy)[0].Condition.StringEquals["kms:ViaService"];
    expect(viaServices("platform-key-SlackActionsSecrets")).toEqual(["secretsmanager.${data.aws_region.region.name}.amazonaws.com"]);
    expect(viaServices("platform-key-ActionsFailureDestination")).toEqual(["sqs.${data.aws_region.region.name}.amazonaws.com"]);
  });

  it("bundles the repository catalog with the worker, each service with its Slack approvers", () => {
    const worker = stacks.build.node.findAll().find((c): c is LambdaFunction => c instanceof LambdaFunction && c.node.path === `build/${WORKER}`);
    const asset = worker?.node.findChild("code") as TerraformAsset;
    const file = path.join((asset as unknown as { sourcePath: string }).sourcePath, REPOSITORIES_FILE);
    const catalog = RepositoryCatalog.from(JSON.parse(readFileSync(file, "utf8")));
    expect(catalog.ownerOfPipeline("pipewright-orders")?.service.slackApprovers).toEqual(["U0APPROVER1"]);
    expect(catalog.ownerOfPipeline("pipewright-payments")?.service.slackApprovers).toEqual(["U0PAYMENTS1"]);
  });

  it("keeps both secrets in Secrets Manager under the contract's names, encrypted with the platform key, their values out of Terraform", () => {
    expect(resourceAt(build, "aws_secretsmanager_secret", "slack/signing-secret")).toMatchObject({
      name: "pipewright/slack-signing-secret",
      kms_key_id: expect.stringMatching(PLATFORM_KEY),
    });
    expect(resourceAt(build, "aws_secretsmanager_secret", "slack/bot-token")).toMatchObject({
      name: "pipewright/slack-bot-token",
      kms_key_id: expect.stringMatching(PLATFORM_KEY),
    });
    expect(resourcesOf(build, "aws_secretsmanager_secret_version")).toEqual([]);
    expect(resourcesOf(build, "aws_secretsmanager_secret").map((s) => s.name)).not.toContain("pipewright/slack-webhook-url");
  });

  it("gives the notifier a threads table, encrypted, with TTL and point-in-time recovery", () => {
    const table = resourceAt(build, "aws_dynamodb_table", "notifications/slack-threads");
    expect(table).toMatchObject({
      name: "pipewright-slack-threads",
      billing_mode: "PAY_PER_REQUEST",
      hash_key: "thread",
      attribute: [{ name: "thread", type: "S" }],
      ttl: { attribute_name: "expiresAt", enabled: true },
      point_in_time_recovery: { enabled: true },
      server_side_encryption: { enabled: true, kms_key_arn: expect.stringMatching(PLATFORM_KEY) },
    });
  });

  it("tells the notifier the bot's channel, token, API and threads instead of a webhook, and lets it use only that table and token", () => {
    const fn = resourceAt(build, "aws_lambda_function", "notifications/notifier/function");
    expect(Object.keys(fn.environment.variables).sort()).toEqual([
      "GITHUB_TOKEN_SECRET_ARN",
      "NODE_OPTIONS",
      "NOTIFY_STATES",
      "PIPELINE_PREFIX",
      "SLACK_API_URL",
      "SLACK_BOT_TOKEN_SECRET_ARN",
      "SLACK_CHANNEL",
      "SLACK_THREADS_TABLE",
      "TOPIC_ARN",
    ]);
    expect(fn.environment.variables).toMatchObject({
      SLACK_CHANNEL: "C0SANDBOX01",
      SLACK_API_URL: "https://slack.com/api/",
      SLACK_BOT_TOKEN_SECRET_ARN: expect.stringMatching(ref("aws_secretsmanager_secret", "slack/bot-token", "arn")),
      SLACK_THREADS_TABLE: expect.stringMatching(ref("aws_dynamodb_table", "notifications/slack-threads", "name")),
    });
    const policy = resourceAt(build, "aws_iam_role_policy", "notifications/notifier/function/policy").policy;
    expect(statement(policy, "SlackThreads")).toMatchObject({
      Action: ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
      Resource: expect.stringMatching(ref("aws_dynamodb_table", "notifications/slack-threads", "arn")),
    });
    expect(statement(policy, "ReadCredentials").Resource).toEqual([
      expect.stringMatching(/^\$\{aws_secretsmanager_secret\.github_token_\w+\.arn\}$/),
      expect.stringMatching(ref("aws_secretsmanager_secret", "slack/bot-token", "arn")),
    ]);
    const key = resourceAt(build, "aws_kms_key", "artifact-store/key").policy;
    expect(statement(key, "NotifierChannels").Condition.StringEquals["kms:ViaService"]).toEqual(
      ["sns", "secretsmanager", "dynamodb"].map((service) => `${service}.\${data.aws_region.region.name}.amazonaws.com`),
    );
  });

  it("outputs the Request URLs to paste into the Slack app's settings, and the secrets to fill", () => {
    expect(build.output.slack_commands_url.value).toMatch(new RegExp(`${API_ENDPOINT.source}/slack/commands$`));
    expect(build.output.slack_interactions_url.value).toMatch(new RegExp(`${API_ENDPOINT.source}/slack/interactions$`));
    expect(build.output.slack_signing_secret_arn.value).toMatch(ref("aws_secretsmanager_secret", "slack/signing-secret", "arn"));
    expect(build.output.slack_bot_token_secret_arn.value).toMatch(ref("aws_secretsmanager_secret", "slack/bot-token", "arn"));
  });

  it("passes a configured API URL (the sandbox's stand-in) to the worker and the notifier", () => {
    const { build: local } = synthPlatform(
      configWith((c) => (c.notifications.slack = { mode: "bot", channel: "C0SANDBOX01", apiUrl: "http://127.0.0.1:4567/api/" })),
    );
    for (const fn of [`${WORKER}/function`, "notifications/notifier/function"]) {
      expect(resourceAt(local, "aws_lambda_function", fn).environment.variables.SLACK_API_URL).toBe("http://127.0.0.1:4567/api/");
    }
  });
});

describe("the build stack without the Slack app", () => {
  const { build: webhook } = synthPlatform();

  it("has no Slack routes, functions, secrets of the app, threads table or outputs", () => {
    expect(resourcesOf(webhook, "aws_apigatewayv2_route").map((r) => r.route_key)).toEqual(["POST /webhook"]);
    expect(resourcesOf(webhook, "aws_lambda_function").map((f) => f.function_name)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^pipewright-slack/)]),
    );
    expect(resourcesOf(webhook, "aws_secretsmanager_secret").map((s) => s.name)).toEqual(
      expect.not.arrayContaining(["pipewright/slack-signing-secret", "pipewright/slack-bot-token"]),
    );
    expect(resourcesOf(webhook, "aws_dynamodb_table").map((t) => t.name)).not.toContain("pipewright-slack-threads");
    expect(Object.keys(webhook.output).filter((name) => name.startsWith("slack_"))).toEqual([]);
    const notifier = resourceAt(webhook, "aws_lambda_function", "notifications/notifier/function").environment.variables;
    expect(Object.keys(notifier).filter((name) => name.startsWith("SLACK_"))).toEqual(["SLACK_WEBHOOK_SECRET_ARN"]);
  });

  it("still refuses Slack requests on the bus, from everyone", () => {
    const policy = resourceAt(webhook, "aws_cloudwatch_event_bus_policy", "webhook/bus-policy").policy;
    expect(statement(policy, "OnlyTheSlackFrontSpeaksForSlack")).toMatchObject({
      Effect: "Deny",
      Principal: "*",
      Action: "events:PutEvents",
      Condition: { StringEquals: { "events:source": "pipewright.slack" } },
    });
    expect(statement(policy, "OnlyTheSlackFrontSpeaksForSlack").Condition).not.toHaveProperty("ArnNotEquals");
  });
});
