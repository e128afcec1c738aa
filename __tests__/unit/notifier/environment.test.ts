import {
  CodePipelineClient,
  GetPipelineExecutionCommand,
  ListActionExecutionsCommand,
} from "@aws-sdk/client-codepipeline";
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { EventBridgeEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { NotifierConfigError } from "../../../functions/notifier/errors";
import { handler, handlerFromEnvironment } from "../../../functions/notifier/handler";
import { MissingEnvironmentError } from "../../../functions/shared/env";
import { sampleFor } from "./events";
import { FakeHttpServer } from "../../support/fake-http";

const SHA = "3f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a";
const TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:pipewright-notifications";
const SLACK_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:pipewright/slack-webhook-url-AbCdEf";
const GITHUB_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:pipewright/github-token-AbCdEf";

const codepipeline = mockClient(CodePipelineClient);
const sns = mockClient(SNSClient);
const secrets = mockClient(SecretsManagerClient);
let fake: FakeHttpServer;
const savedEnv = { ...process.env };

beforeEach(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  codepipeline.reset();
  sns.reset();
  secrets.reset();
  codepipeline.on(GetPipelineExecutionCommand).resolves({ pipelineExecution: { status: "Failed", artifactRevisions: [{ revisionId: SHA }] } });
  codepipeline.on(ListActionExecutionsCommand).resolves({
    actionExecutionDetails: [{ stageName: "Build", actionName: "Build", status: "Failed", output: { executionResult: { externalExecutionSummary: "boom" } } }],
  });
  sns.on(PublishCommand).resolves({ MessageId: "m-1" });
  fake = await FakeHttpServer.start((request) => (request.path.startsWith("/repos/") ? { status: 201, body: {} } : { status: 200, body: "ok" }));
  secrets.on(GetSecretValueCommand, { SecretId: SLACK_ARN }).resolves({ SecretString: JSON.stringify({ url: `${fake.url}/services/T/B/X` }) });
  secrets.on(GetSecretValueCommand, { SecretId: GITHUB_ARN }).resolves({ SecretString: "ghp_token" });
});

afterEach(async () => {
  await fake.stop();
  process.env = { ...savedEnv };
});

afterAll(() => {
  codepipeline.restore();
  sns.restore();
  secrets.restore();
});

function environment(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    AWS_REGION: "us-east-1",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    TOPIC_ARN,
    PIPELINE_PREFIX: "pipewright-",
    SERVICES: JSON.stringify([{ name: "orders", pipeline: "pipewright-orders" }]),
    MAIN_BRANCH: "main",
    GITHUB_REPOSITORY: "acme-corp/shop",
    SLACK_WEBHOOK_SECRET_ARN: SLACK_ARN,
    GITHUB_TOKEN_SECRET_ARN: GITHUB_ARN,
    GITHUB_API_URL: fake.url,
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
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).toMatchObject({ TopicArn: TOPIC_ARN, Subject: "FAILED: pipewright-orders, main, at Build/Build" });
    expect(fake.requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual(["POST /repos/acme-corp/shop/statuses/" + SHA, "POST /services/T/B/X"]);
    expect(fake.requests.find((r) => r.path.startsWith("/repos/"))!.headers.authorization).toBe("Bearer ghp_token");
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
      channels: [{ channel: "sns", status: "delivered" }, { channel: "slack", status: "skipped" }, { channel: "github", status: "skipped" }],
    });
    expect(fake.requests).toEqual([]);
  });

  test("a secret that holds something unusable is a failed channel, not a skipped one", async () => {
    secrets.on(GetSecretValueCommand, { SecretId: SLACK_ARN }).resolves({ SecretString: "not a url" });
    const result = await handlerFromEnvironment(environment())(failed());
    expect(result).toMatchObject({ channels: [{ channel: "sns", status: "delivered" }, { channel: "slack", status: "failed" }, { channel: "github", status: "delivered" }] });
  });

  test.each([["TOPIC_ARN"], ["PIPELINE_PREFIX"], ["SERVICES"], ["MAIN_BRANCH"], ["GITHUB_REPOSITORY"]])("%s is required", (variable) => {
    expect(() => handlerFromEnvironment(environment({ [variable]: undefined }))).toThrow(MissingEnvironmentError);
  });

  test("a bad NOTIFY_STATES stops the function with the variable and the allowed values", () => {
    expect(() => handlerFromEnvironment(environment({ NOTIFY_STATES: "FAILED,OOPS" }))).toThrow(NotifierConfigError);
    expect(() => handlerFromEnvironment(environment({ NOTIFY_STATES: "FAILED,OOPS" }))).toThrow(/NOTIFY_STATES[\s\S]*OOPS/);
  });
});

describe("the failure report", () => {
  test("is one JSON log line with the channel, the status, the cause and the metric in Embedded Metric Format", async () => {
    fake.respond((request) => (request.path.startsWith("/services/") ? { status: 500, body: "rollup_error" } : { status: 201, body: {} }));
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
      _aws: { CloudWatchMetrics: [{ Namespace: "pipewright", Dimensions: [["Channel"]], Metrics: [{ Name: "NotificationFailures", Unit: "Count" }] }] },
    });
    expect(typeof errors[0]!._aws.Timestamp).toBe("number");
    expect(JSON.stringify(errors[0])).not.toContain("/services/T/B/X");
  });
});

describe("handler", () => {
  test("is built from process.env on first use", async () => {
    process.env = { ...process.env, ...environment({ SLACK_WEBHOOK_SECRET_ARN: undefined, GITHUB_TOKEN_SECRET_ARN: undefined }) };
    await expect(handler(failed())).resolves.toMatchObject({ notification: "FAILED" });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
  });
});
