import { CodePipelineClient, GetPipelineExecutionCommand, ListActionExecutionsCommand } from "@aws-sdk/client-codepipeline";
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { EventBridgeEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { ConflictingSlackModesError } from "../../../functions/notifier/errors";
import { handlerFromEnvironment } from "../../../functions/notifier/handler";
import { InvalidConfigurationError, MissingEnvironmentError } from "../../../functions/shared/env";
import { RepositoryCatalogError } from "../../../functions/shared/repositories";
import { appSecretString, FakeGitHub, fakeApp } from "../../support/fake-github";
import { FakeHttpServer } from "../../support/fake-http";
import { sampleFor } from "./events";
import { catalogFile } from "./notifications";

const SHA = "3f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a";
const TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:pipewright-notifications";
const SLACK_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:pipewright/slack-webhook-url-AbCdEf";
const GITHUB_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:pipewright/github-token-AbCdEf";

const codepipeline = mockClient(CodePipelineClient);
const sns = mockClient(SNSClient);
const secrets = mockClient(SecretsManagerClient);
const dynamodb = mockClient(DynamoDBClient);
const REPOSITORY = "acme-corp/shop";
let slack: FakeHttpServer;
let github: FakeGitHub;
const savedEnv = { ...process.env };
const catalog = catalogFile();

beforeEach(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  codepipeline.reset();
  sns.reset();
  secrets.reset();
  dynamodb.reset();
  codepipeline.on(GetPipelineExecutionCommand).resolves({ pipelineExecution: { status: "Failed", artifactRevisions: [{ revisionId: SHA }] } });
  codepipeline.on(ListActionExecutionsCommand).resolves({
    actionExecutionDetails: [
      { stageName: "Build", actionName: "Build", status: "Failed", output: { executionResult: { externalExecutionSummary: "boom" } } },
    ],
  });
  sns.on(PublishCommand).resolves({ MessageId: "m-1" });
  slack = await FakeHttpServer.start(() => ({ status: 200, body: "ok" }));
  github = await FakeGitHub.start(REPOSITORY, { tokens: ["ghp_token"] });
  secrets.on(GetSecretValueCommand, { SecretId: SLACK_ARN }).resolves({ SecretString: JSON.stringify({ url: `${slack.url}/services/T/B/X` }) });
  secrets.on(GetSecretValueCommand, { SecretId: GITHUB_ARN }).resolves({ SecretString: "ghp_token" });
});

afterEach(async () => {
  await slack.stop();
  await github.stop();
  process.env = { ...savedEnv };
});

afterAll(() => {
  catalog.remove();
  codepipeline.restore();
  sns.restore();
  secrets.restore();
  dynamodb.restore();
});

function environment(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    AWS_REGION: "us-east-1",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    TOPIC_ARN,
    PIPELINE_PREFIX: "pipewright-",
    REPOSITORIES_FILE: catalog.file,
    SLACK_WEBHOOK_SECRET_ARN: SLACK_ARN,
    GITHUB_TOKEN_SECRET_ARN: GITHUB_ARN,
    GITHUB_API_URL: github.url,
    ...overrides,
  };
}

const failed = () => sampleFor("pipeline-failed", "pipewright-orders") as EventBridgeEvent<string, unknown>;

describe("handlerFromEnvironment", () => {
  test("wires SNS, Slack and GitHub from the environment and the secrets", async () => {
    const result = await handlerFromEnvironment(environment())(failed());

    expect(result).toMatchObject({
      notification: "FAILED",
      channels: [
        { channel: "sns", status: "delivered" },
        { channel: "slack", status: "delivered" },
        { channel: "github", status: "delivered" },
      ],
    });
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).toMatchObject({
      TopicArn: TOPIC_ARN,
      Subject: "FAILED: pipewright-orders, main, at Build/Build",
    });
    expect(slack.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /services/T/B/X"]);
    expect(github.requests.map((r) => `${r.method} ${r.path} ${r.headers.authorization}`)).toEqual([
      `POST /repos/${REPOSITORY}/statuses/${SHA} token ghp_token`,
    ]);
  });

  test.each([
    ["with its installation id", { installationId: true }, ["POST /app/installations/99/access_tokens"]],
    [
      "without an installation id, which it looks up",
      { installationId: false },
      [`GET /repos/${REPOSITORY}/installation`, "POST /app/installations/99/access_tokens"],
    ],
  ])("sets the commit status as a GitHub App %s", async (_name, options, tokenCalls) => {
    const app = fakeApp();
    github.installApp(app);
    secrets.on(GetSecretValueCommand, { SecretId: GITHUB_ARN }).resolves({ SecretString: appSecretString(app, options) });
    const result = await handlerFromEnvironment(environment({ SLACK_WEBHOOK_SECRET_ARN: undefined }))(failed());
    expect(result).toMatchObject({
      channels: [
        { channel: "sns", status: "delivered" },
        { channel: "github", status: "delivered" },
      ],
    });
    expect(github.calls()).toEqual([...tokenCalls, `POST /repos/${REPOSITORY}/statuses/${SHA}`]);
    expect(github.requests.at(-1)?.headers.authorization).toBe(`token ${app.token}`);
    expect(github.statuses()).toEqual([expect.objectContaining({ sha: SHA, state: "failure", context: "pipewright/pipewright-orders" })]);
  });

  test("without the optional secrets only SNS is used, and no secret is read", async () => {
    const result = await handlerFromEnvironment(environment({ SLACK_WEBHOOK_SECRET_ARN: undefined, GITHUB_TOKEN_SECRET_ARN: "" }))(failed());
    expect(result).toMatchObject({ channels: [{ channel: "sns", status: "delivered" }] });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  test("secrets without a value skip their channel", async () => {
    secrets.on(GetSecretValueCommand, { SecretId: SLACK_ARN }).resolves({ SecretString: "" });
    secrets.on(GetSecretValueCommand, { SecretId: GITHUB_ARN }).rejects(new ResourceNotFoundException({ message: "no AWSCURRENT", $metadata: {} }));
    const result = await handlerFromEnvironment(environment())(failed());
    expect(result).toMatchObject({
      channels: [
        { channel: "sns", status: "delivered" },
        { channel: "slack", status: "skipped" },
        { channel: "github", status: "skipped" },
      ],
    });
    expect(slack.requests).toEqual([]);
    expect(github.requests).toEqual([]);
  });

  test("a secret that holds something unusable is a failed channel, not a skipped one", async () => {
    secrets.on(GetSecretValueCommand, { SecretId: SLACK_ARN }).resolves({ SecretString: "not a url" });
    secrets.on(GetSecretValueCommand, { SecretId: GITHUB_ARN }).resolves({ SecretString: '{"appId": 42}' });
    const result = await handlerFromEnvironment(environment())(failed());
    expect(result).toMatchObject({
      channels: [
        { channel: "sns", status: "delivered" },
        { channel: "slack", status: "failed", cause: expect.objectContaining({ name: "SecretValueError" }) },
        { channel: "github", status: "failed", cause: expect.objectContaining({ name: "GitHubCredentialsSecretError" }) },
      ],
    });
  });

  test("sets the status of the other repository's pipeline in that repository, under that repository's App installation", async () => {
    await github.stop();
    github = await FakeGitHub.start(REPOSITORY, { moreRepositories: ["acme-corp/billing"] });
    const app = fakeApp({ installationId: 5 });
    github.installApp(app, { [REPOSITORY]: 5, "acme-corp/billing": 8 });
    secrets.on(GetSecretValueCommand, { SecretId: GITHUB_ARN }).resolves({ SecretString: appSecretString(app) });
    const invoices = sampleFor("pipeline-failed", "pipewright-billing-invoices") as EventBridgeEvent<string, unknown>;

    await handlerFromEnvironment(environment({ SLACK_WEBHOOK_SECRET_ARN: undefined, GITHUB_API_URL: github.url }))(invoices);

    expect(github.calls()).toEqual([
      "GET /repos/acme-corp/billing/installation",
      "POST /app/installations/8/access_tokens",
      `POST /repos/acme-corp/billing/statuses/${SHA}`,
    ]);
    expect(github.statuses("acme-corp/billing")).toEqual([expect.objectContaining({ context: "pipewright/pipewright-billing-invoices" })]);
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message).toMatch(/^Repository: +acme-corp\/billing$/m);
  });

  test.each([["TOPIC_ARN"], ["PIPELINE_PREFIX"]])("%s is required", (variable) => {
    expect(() => handlerFromEnvironment(environment({ [variable]: undefined }))).toThrow(MissingEnvironmentError);
  });

  test("the repository catalog is required", () => {
    expect(() => handlerFromEnvironment(environment({ REPOSITORIES_FILE: "/nonexistent/repositories.json" }))).toThrow(RepositoryCatalogError);
  });

  test("a bad NOTIFY_STATES stops the function with the variable and the allowed values", () => {
    expect(() => handlerFromEnvironment(environment({ NOTIFY_STATES: "FAILED,OOPS" }))).toThrow(InvalidConfigurationError);
    expect(() => handlerFromEnvironment(environment({ NOTIFY_STATES: "FAILED,OOPS" }))).toThrow(/NOTIFY_STATES[\s\S]*OOPS/);
  });
});

describe("handlerFromEnvironment in Slack's bot mode", () => {
  const TOKEN_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:pipewright/slack-bot-token-AbCdEf";
  const TABLE = "pipewright-slack-threads";
  let slackApi: FakeHttpServer;

  beforeEach(async () => {
    slackApi = await FakeHttpServer.start((request) =>
      request.path === "/api/chat.postMessage"
        ? { status: 200, body: { ok: true, channel: "C0SANDBOX01", ts: `1711461552.00010${slackApi.requests.length}` } }
        : { status: 200, body: { ok: true } },
    );
    secrets.on(GetSecretValueCommand, { SecretId: TOKEN_ARN }).resolves({ SecretString: '{"token": "xoxb-sandbox-token"}' });
    dynamodb.on(PutItemCommand).resolves({});
    dynamodb.on(UpdateItemCommand).resolves({});
  });
  afterEach(() => slackApi.stop());

  const botEnvironment = (overrides: Record<string, string | undefined> = {}) =>
    environment({
      SLACK_WEBHOOK_SECRET_ARN: undefined,
      GITHUB_TOKEN_SECRET_ARN: undefined,
      SLACK_BOT_TOKEN_SECRET_ARN: TOKEN_ARN,
      SLACK_CHANNEL: "C0SANDBOX01",
      SLACK_API_URL: `${slackApi.url}/api/`,
      SLACK_THREADS_TABLE: TABLE,
      ...overrides,
    });

  test("a main pipeline's failure starts its thread in the table and posts the parent and the finish with the bot token", async () => {
    const result = await handlerFromEnvironment(botEnvironment())(failed());

    expect(result).toMatchObject({
      channels: [
        { channel: "sns", status: "delivered" },
        { channel: "slack", status: "delivered" },
      ],
    });
    expect(slackApi.requests.map((r) => `${r.path} ${r.headers.authorization} ${new URLSearchParams(r.body).get("thread_ts")}`)).toEqual([
      "/api/chat.postMessage Bearer xoxb-sandbox-token null",
      "/api/chat.postMessage Bearer xoxb-sandbox-token 1711461552.000101",
    ]);
    const claim = dynamodb.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(claim).toMatchObject({
      TableName: TABLE,
      Item: { thread: { S: "pipewright-orders#12345678-1234-5678-abcd-12345678abcd" }, channel: { S: "C0SANDBOX01" } },
      ConditionExpression: expect.stringContaining("attribute_not_exists(#thread)"),
    });
    expect(dynamodb.commandCalls(UpdateItemCommand).map((call) => call.args[0].input.UpdateExpression)).toEqual([
      "SET #ts = :ts, #channel = :channel",
      "ADD #posted :keys",
    ]);
  });

  test("while the bot token secret holds no value, Slack is skipped and the table is not touched", async () => {
    secrets.on(GetSecretValueCommand, { SecretId: TOKEN_ARN }).resolves({ SecretString: "" });
    const result = await handlerFromEnvironment(botEnvironment())(failed());
    expect(result).toMatchObject({
      channels: [
        { channel: "sns", status: "delivered" },
        { channel: "slack", status: "skipped" },
      ],
    });
    expect(dynamodb.calls()).toHaveLength(0);
    expect(slackApi.requests).toEqual([]);
  });

  test("a token secret that holds something else fails the Slack channel, naming the fix", async () => {
    secrets.on(GetSecretValueCommand, { SecretId: TOKEN_ARN }).resolves({ SecretString: "the-signing-secret" });
    const result = await handlerFromEnvironment(botEnvironment())(failed());
    expect(result).toMatchObject({
      channels: [
        { channel: "sns", status: "delivered" },
        {
          channel: "slack",
          status: "failed",
          cause: expect.objectContaining({ name: "SlackBotTokenError", message: expect.stringContaining("Fix: store") }),
        },
      ],
    });
  });

  test("the webhook and the bot token together stop the function, naming the fix", () => {
    expect(() => handlerFromEnvironment(botEnvironment({ SLACK_WEBHOOK_SECRET_ARN: SLACK_ARN }))).toThrow(ConflictingSlackModesError);
  });

  test("a part of bot mode stops the function, naming what is missing", () => {
    expect(() => handlerFromEnvironment(botEnvironment({ SLACK_THREADS_TABLE: undefined }))).toThrow(/SLACK_THREADS_TABLE is not set/);
  });
});

describe("the failure report", () => {
  test("is one JSON log line with the channel, the status, the cause and the metric in Embedded Metric Format", async () => {
    slack.respond(() => ({ status: 500, body: "rollup_error" }));
    const lines: string[] = [];
    const capture = (chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    };
    // Powertools reads its log level from process.env and writes errors to stderr.
    process.env.POWERTOOLS_LOG_LEVEL = "INFO";
    const stdout = jest.spyOn(process.stdout, "write").mockImplementation(capture);
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation(capture);
    try {
      await handlerFromEnvironment(environment({ POWERTOOLS_LOG_LEVEL: "INFO" }))(failed());
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    const errors = lines
      .flatMap((chunk) => chunk.split("\n"))
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, any>)
      .filter((entry) => entry.level === "ERROR");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      message: expect.stringContaining("Could not deliver through slack"),
      channel: "slack",
      status: 500,
      error: { name: "HttpDeliveryError", message: expect.stringContaining("answered 500 (attempt 3 of 3): rollup_error") },
      Channel: "slack",
      NotificationFailures: 1,
      _aws: {
        CloudWatchMetrics: [{ Namespace: "pipewright", Dimensions: [["Channel"]], Metrics: [{ Name: "NotificationFailures", Unit: "Count" }] }],
      },
    });
    expect(typeof errors[0]!._aws.Timestamp).toBe("number");
    expect(JSON.stringify(errors[0])).not.toContain("/services/T/B/X");
  });
});
