import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CodePipelineClient, StartPipelineExecutionCommand } from "@aws-sdk/client-codepipeline";
import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { InvalidServiceGlobsError } from "../../../functions/push-router/config";
import { handlerFromEnvironment } from "../../../functions/push-router/handler";
import { InvalidConfigurationError, MissingEnvironmentError } from "../../../functions/shared/env";
import { InvalidGitHubApiUrlError } from "../../../functions/shared/github/api-url";
import { RepositoryCatalogError } from "../../../functions/shared/repositories";
import { appSecretString, FakeGitHub, fakeApp } from "../../support/fake-github";
import { AFTER, API, BEFORE, busEvent, CART, INFRA, push, SHOP, WEB } from "./fixtures";

const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:pw-github-token-AbCdEf";
const REPOSITORY = "acme/mono";
const codepipeline = mockClient(CodePipelineClient);
const secrets = mockClient(SecretsManagerClient);
const dynamodb = mockClient(DynamoDBClient);
let github: FakeGitHub;
const savedEnv = { ...process.env };
const folder = mkdtempSync(path.join(tmpdir(), "push-router-env-"));
/** The catalog as the stacks bundle it: two repositories with their own main branches. */
const CATALOG_FILE = path.join(folder, "repositories.json");
const catalogOf = (services = [API, WEB, INFRA]) =>
  JSON.stringify({
    repositories: [
      { repository: REPOSITORY, mainBranch: "main", forkLabel: "ok-to-test", services },
      { repository: SHOP, mainBranch: "release", forkLabel: "ok-to-test", services: [CART] },
    ],
  });
writeFileSync(CATALOG_FILE, catalogOf());
const EMPTY_CATALOG_FILE = path.join(folder, "empty.json");
writeFileSync(EMPTY_CATALOG_FILE, JSON.stringify({ repositories: [] }));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

beforeEach(async () => {
  // The handler's logger reads its level from process.env; keep the test output readable.
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  codepipeline.reset();
  secrets.reset();
  dynamodb.reset();
  dynamodb.on(UpdateItemCommand).resolves({});
  codepipeline.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: "exec" });
  secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: '{"token":"ghs_from_secret"}' });
  github = await FakeGitHub.start(REPOSITORY, { tokens: ["ghs_from_secret"] });
  github.compare(BEFORE, AFTER, { status: "ahead", files: ["services/web/app.ts"] });
});

afterEach(async () => {
  await github.stop();
  process.env = { ...savedEnv };
});

afterAll(() => {
  codepipeline.restore();
  secrets.restore();
  dynamodb.restore();
});

function environment(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    AWS_REGION: "eu-west-1",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    REPOSITORIES_FILE: CATALOG_FILE,
    GITHUB_TOKEN_SECRET_ARN: SECRET_ARN,
    GITHUB_API_URL: github.url,
    PUSH_STATE_TABLE: "pw-push-state",
    ...overrides,
  };
}

const started = () =>
  codepipeline
    .commandCalls(StartPipelineExecutionCommand)
    .map((c) => c.args[0].input.name)
    .sort();

describe("handlerFromEnvironment", () => {
  it("reads the token from Secrets Manager and asks GITHUB_API_URL, with retrying AWS clients", async () => {
    await handlerFromEnvironment(environment({ SOURCE_ACTION_NAME: "GitHubSource" }))(busEvent(push({ truncated: true })));
    expect(github.requests.map((r) => `${r.method} ${r.path} ${r.headers.authorization}`)).toEqual([
      `GET /repos/acme/mono/compare/${BEFORE}...${AFTER} token ghs_from_secret`,
    ]);
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

  it.each([
    ["with its installation id", { installationId: true }, ["POST /app/installations/99/access_tokens"]],
    [
      "without an installation id, which it looks up",
      { installationId: false },
      [`GET /repos/${REPOSITORY}/installation`, "POST /app/installations/99/access_tokens"],
    ],
  ])("authenticates as a GitHub App %s, and compares with the installation token", async (_name, options, tokenCalls) => {
    const app = fakeApp();
    github.installApp(app);
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: appSecretString(app, options) });
    const result = await handlerFromEnvironment(environment())(busEvent(push({ truncated: true })));
    expect(github.calls()).toEqual([...tokenCalls, `GET /repos/acme/mono/compare/${BEFORE}...${AFTER}`]);
    expect(github.requests.at(-1)?.headers.authorization).toBe(`token ${app.token}`);
    expect(result).toMatchObject({ outcome: "started", everything: false });
    expect(started()).toEqual(["pw-web"]);
  });

  it("routes by the bundled repository catalog: a push to the second repository's main branch starts only its pipeline", async () => {
    await handlerFromEnvironment(environment())(busEvent(push({ repository: SHOP, ref: "refs/heads/release", changedFiles: ["services/web/a.ts"] })));
    expect(started()).toEqual(["pw-shop-cart"]);
  });

  it("compares in the pushed repository, under that repository's App installation", async () => {
    await github.stop();
    github = await FakeGitHub.start(REPOSITORY, { moreRepositories: [SHOP] });
    github.compare(BEFORE, AFTER, { status: "ahead", files: ["services/cart/a.ts"] });
    const app = fakeApp({ installationId: 5 });
    github.installApp(app, { [REPOSITORY]: 5, [SHOP]: 8 });
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: appSecretString(app) });
    const handler = handlerFromEnvironment(environment({ GITHUB_API_URL: github.url }));
    await handler(busEvent(push({ repository: SHOP, ref: "refs/heads/release", truncated: true })));
    expect(github.calls()).toEqual([
      `GET /repos/${SHOP}/installation`,
      "POST /app/installations/8/access_tokens",
      `GET /repos/${SHOP}/compare/${BEFORE}...${AFTER}`,
    ]);
    expect(started()).toEqual(["pw-shop-cart"]);
  });

  it("claims each pipeline in PUSH_STATE_TABLE before starting it", async () => {
    await handlerFromEnvironment(environment({ PUSH_STATE_TABLE: "acme-push-state" }))(busEvent(push()));
    expect(dynamodb.commandCalls(UpdateItemCommand).map((call) => [call.args[0].input.TableName, call.args[0].input.Key])).toEqual([
      ["acme-push-state", { pipeline: { S: "pw-api" } }],
    ]);
    expect(started()).toEqual(["pw-api"]);
  });

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

  it("with credentials GitHub refuses, a truncated push starts every pipeline and says why", async () => {
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: "ghs_revoked" });
    const result = await handlerFromEnvironment(environment())(busEvent(push({ truncated: true })));
    expect(started()).toEqual(["pw-api", "pw-infra", "pw-web"]);
    expect(result).toMatchObject({ everything: true, reason: expect.stringMatching(/GitHub answered 401: Bad credentials/) });
  });

  it("an ordinary push reads no secret", async () => {
    await handlerFromEnvironment(environment())(busEvent(push()));
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it("fails loudly at cold start when a service of any repository has a glob picomatch cannot use", () => {
    const file = path.join(folder, "bad-glob.json");
    writeFileSync(file, catalogOf([API, { ...WEB, exclude: ["/abs/**"] }]));
    expect(() => handlerFromEnvironment(environment({ REPOSITORIES_FILE: file }))).toThrow(InvalidServiceGlobsError);
    expect(() => handlerFromEnvironment(environment({ REPOSITORIES_FILE: file }))).toThrow(
      /acme\/mono service web exclude\[0\] "\/abs\/\*\*": .*Fix: correct the services' include and exclude globs/,
    );
  });

  it.each<[string, Record<string, string | undefined>, new (...args: never[]) => Error, RegExp]>([
    [
      "the repository catalog missing",
      { REPOSITORIES_FILE: path.join(folder, "absent.json") },
      RepositoryCatalogError,
      /absent\.json cannot be read/,
    ],
    ["PUSH_STATE_TABLE missing", { PUSH_STATE_TABLE: undefined }, MissingEnvironmentError, /PUSH_STATE_TABLE/],
    [
      "PUSH_STATE_TABLE not a table name",
      { PUSH_STATE_TABLE: "pw push state" },
      InvalidConfigurationError,
      /PUSH_STATE_TABLE.*not a DynamoDB table name/s,
    ],
    [
      "a repository catalog that lists no repository",
      { REPOSITORIES_FILE: EMPTY_CATALOG_FILE },
      RepositoryCatalogError,
      /is invalid: repositories: lists no repository/,
    ],
    ["GITHUB_API_URL in clear text", { GITHUB_API_URL: "http://github.example.com" }, InvalidGitHubApiUrlError, /GITHUB_API_URL/],
  ])("fails loudly with %s", (_name, overrides, type, message) => {
    expect(() => handlerFromEnvironment(environment(overrides))).toThrow(type);
    expect(() => handlerFromEnvironment(environment(overrides))).toThrow(message);
  });
});
