import { CodePipelineClient, StartPipelineExecutionCommand } from "@aws-sdk/client-codepipeline";
import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { MissingEnvironmentError } from "../../../functions/shared/env";
import { PushRouterConfigError } from "../../../functions/push-router/config";
import { InvalidGitHubApiUrlError } from "../../../functions/shared/github/api-url";
import { handler, handlerFromEnvironment } from "../../../functions/push-router/handler";
import { comparison, FakeGitHub } from "./fake-github";
import { AFTER, API, busEvent, INFRA, push, WEB } from "./fixtures";

const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:pw-github-token-AbCdEf";
const codepipeline = mockClient(CodePipelineClient);
const secrets = mockClient(SecretsManagerClient);
const dynamodb = mockClient(DynamoDBClient);
let github: FakeGitHub;
const savedEnv = { ...process.env };

beforeEach(async () => {
  // The real handler logs through Powertools; keep the test output readable.
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  codepipeline.reset();
  secrets.reset();
  dynamodb.reset();
  dynamodb.on(UpdateItemCommand).resolves({});
  codepipeline.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: "exec" });
  secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: '{"token":"ghs_from_secret"}' });
  github = await FakeGitHub.start(() => ({ status: 200, body: comparison("ahead", ["services/web/app.ts"]) }));
});

afterEach(async () => {
  await github.stop();
  process.env = { ...savedEnv };
});

function environment(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    AWS_REGION: "eu-west-1",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    SERVICES: JSON.stringify([API, WEB, INFRA]),
    MAIN_BRANCH: "main",
    GITHUB_REPOSITORY: "acme/mono",
    GITHUB_TOKEN_SECRET_ARN: SECRET_ARN,
    GITHUB_API_URL: github.url,
    PUSH_STATE_TABLE: "pw-push-state",
    ...overrides,
  };
}

const started = () => codepipeline.commandCalls(StartPipelineExecutionCommand).map((c) => c.args[0].input.name).sort();

describe("the Lambda entry point", () => {
  it("reads its environment on first use, reads the token from Secrets Manager and asks GITHUB_API_URL", async () => {
    process.env = { ...process.env, ...environment({ SOURCE_ACTION_NAME: "GitHubSource" }) };
    await handler(busEvent(push({ truncated: true })));
    expect(github.requests[0]?.headers.authorization).toBe("Bearer ghs_from_secret");
    expect(started()).toEqual(["pw-web"]);
    const input = codepipeline.commandCalls(StartPipelineExecutionCommand)[0]!.args[0].input;
    expect(input.sourceRevisions).toEqual([{ actionName: "GitHubSource", revisionType: "COMMIT_ID", revisionValue: AFTER }]);
    // The real clients retry throttles and 5xx themselves.
    const client = codepipeline.send.getCall(0).thisValue as CodePipelineClient;
    expect(await client.config.maxAttempts()).toBe(5);
    expect(((await client.config.retryStrategy()) as { mode?: string }).mode).toBe("adaptive");
    const stateClient = dynamodb.send.getCall(0).thisValue as DynamoDBClient;
    expect(await stateClient.config.maxAttempts()).toBe(5);
  });

  it("claims each pipeline in PUSH_STATE_TABLE before starting it", async () => {
    await handlerFromEnvironment(environment({ PUSH_STATE_TABLE: "acme-push-state" }))(busEvent(push()));
    expect(dynamodb.commandCalls(UpdateItemCommand).map((call) => [call.args[0].input.TableName, call.args[0].input.Key])).toEqual([
      ["acme-push-state", { pipeline: { S: "pw-api" } }],
    ]);
    expect(started()).toEqual(["pw-api"]);
  });
});

describe("handlerFromEnvironment", () => {
  it("defaults SOURCE_ACTION_NAME to Source", async () => {
    await handlerFromEnvironment(environment())(busEvent(push()));
    const input = codepipeline.commandCalls(StartPipelineExecutionCommand)[0]!.args[0].input;
    expect(input.sourceRevisions?.[0]?.actionName).toBe("Source");
  });

  it("without GITHUB_TOKEN_SECRET_ARN starts every pipeline of a truncated push and reads no secret", async () => {
    await handlerFromEnvironment(environment({ GITHUB_TOKEN_SECRET_ARN: undefined }))(busEvent(push({ truncated: true })));
    expect(started()).toEqual(["pw-api", "pw-infra", "pw-web"]);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(github.requests).toHaveLength(0);
  });

  it("while the token secret holds no value, a truncated push starts every pipeline without calling GitHub", async () => {
    secrets.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "no value for AWSCURRENT", $metadata: {} }));
    const result = await handlerFromEnvironment(environment())(busEvent(push({ truncated: true })));
    expect(started()).toEqual(["pw-api", "pw-infra", "pw-web"]);
    expect(result).toMatchObject({ everything: true, reason: expect.stringMatching(/holds no value/) });
    expect(github.requests).toHaveLength(0);
  });

  it("an ordinary push reads no secret", async () => {
    await handlerFromEnvironment(environment())(busEvent(push()));
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it.each<[string, Record<string, string | undefined>, new (...args: never[]) => Error, RegExp]>([
    ["SERVICES missing", { SERVICES: undefined }, MissingEnvironmentError, /SERVICES/],
    ["MAIN_BRANCH missing", { MAIN_BRANCH: "" }, MissingEnvironmentError, /MAIN_BRANCH/],
    ["GITHUB_REPOSITORY missing", { GITHUB_REPOSITORY: undefined }, MissingEnvironmentError, /GITHUB_REPOSITORY/],
    ["PUSH_STATE_TABLE missing", { PUSH_STATE_TABLE: undefined }, MissingEnvironmentError, /PUSH_STATE_TABLE/],
    ["PUSH_STATE_TABLE not a table name", { PUSH_STATE_TABLE: "pw push state" }, PushRouterConfigError, /PUSH_STATE_TABLE.*not a DynamoDB table name/s],
    ["SERVICES invalid", { SERVICES: '[{"name":"api"}]' }, PushRouterConfigError, /SERVICES\[0\]\.pipeline/],
    ["GITHUB_API_URL in clear text", { GITHUB_API_URL: "http://github.example.com" }, InvalidGitHubApiUrlError, /GITHUB_API_URL/],
  ])("fails loudly with %s", (_name, overrides, type, message) => {
    expect(() => handlerFromEnvironment(environment(overrides))).toThrow(type);
    expect(() => handlerFromEnvironment(environment(overrides))).toThrow(message);
  });
});
