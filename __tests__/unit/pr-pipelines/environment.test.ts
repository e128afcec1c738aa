import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { handler } from "../../../functions/pr-pipelines/handler";
import { lambdaContext } from "../../support/lambda";
import { FakeHttpServer } from "../../support/fake-http";
import { busEvent, catalogFile, HEAD_SHA, identities, pullRequest } from "./support/fixtures";

const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:pipewright/github-token-AbCdEf";
const secrets = mockClient(SecretsManagerClient);
const savedEnv = { ...process.env };
let github: FakeHttpServer;

beforeAll(async () => {
  github = await FakeHttpServer.start(() => ({ status: 201, body: {} }));
  secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: '{"token": "github_pat_11FROMSECRET"}' });
  process.env = {
    ...process.env,
    AWS_REGION: "eu-west-1",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    REPOSITORIES_FILE: catalogFile(),
    MAX_PR_PIPELINES: "300",
    PR_STATE_TABLE: "pipewright-pr-state",
    PR_IDENTITIES: JSON.stringify(identities),
    PROD_ACCOUNT_ID: "333333333333",
    PREVIEW_CLEANUP_ROLE_ARN: "arn:aws:iam::222222222222:role/pipewright-preview-cleanup",
    GITHUB_TOKEN_SECRET_ARN: SECRET_ARN,
    GITHUB_API_URL: github.url,
  };
});
afterAll(async () => {
  process.env = { ...savedEnv };
  secrets.restore();
  await github.stop();
});

describe("the Lambda entry point", () => {
  it("reads the token from GITHUB_TOKEN_SECRET_ARN and shows a fork's waiting head at GITHUB_API_URL", async () => {
    const page = "https://github.com/example-org/shop/pull/7";
    const opened = pullRequest({ action: "opened", fromFork: true, headRepository: "stranger/shop", htmlUrl: page });
    await expect(handler(busEvent(opened), lambdaContext({ functionName: "pipewright-pr-pipelines" }))).resolves.toMatchObject({
      outcome: "skipped",
    });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(github.requests.map((request) => `${request.method} ${request.path} ${request.headers.authorization}`)).toEqual([
      `POST /repos/example-org/shop/statuses/${HEAD_SHA} token github_pat_11FROMSECRET`,
    ]);
    expect(github.requests[0]?.json()).toMatchObject({ state: "pending", context: "pipewright/fork-approval", target_url: page });
  });
});
