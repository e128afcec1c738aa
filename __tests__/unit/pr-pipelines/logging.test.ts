/** The pr-pipelines entry point logs with the Lambda context (Powertools: request id and cold start). */
import { handler } from "../../../functions/pr-pipelines/handler";
import { capturePowertoolsLogs, lambdaContext } from "../../support/lambda";
import { busEvent, catalogFile, identities, pullRequest } from "./support/fixtures";

const FUNCTION_NAME = "pipewright-pr-pipelines";
const saved = { ...process.env };
let logs: ReturnType<typeof capturePowertoolsLogs>;

beforeEach(() => {
  process.env = {
    ...saved,
    AWS_REGION: "eu-west-1",
    // Lambda sets the initialization type; Powertools counts a cold start only for "on-demand".
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    REPOSITORIES_FILE: catalogFile(),
    MAX_PR_PIPELINES: "300",
    PR_STATE_TABLE: "pipewright-pr-state",
    PR_IDENTITIES: JSON.stringify(identities),
    PROD_ACCOUNT_ID: "333333333333",
    PREVIEW_CLEANUP_ROLE_ARN: "arn:aws:iam::222222222222:role/pipewright-preview-cleanup",
  };
  delete process.env.POWERTOOLS_LOG_LEVEL;
  delete process.env.GITHUB_TOKEN_SECRET_ARN;
  logs = capturePowertoolsLogs();
});

afterEach(() => {
  logs.restore();
  process.env = { ...saved };
});

it("every log line names the invocation's request id, and only the first invocation is a cold start", async () => {
  // A fork's pull request without the label: skipped and logged, nothing called.
  const fork = busEvent(pullRequest({ fromFork: true, headRepository: "stranger/shop" }));
  const first = "22222222-aaaa-4bbb-8ccc-000000000001";
  const second = "22222222-aaaa-4bbb-8ccc-000000000002";
  await expect(handler(fork, lambdaContext({ functionName: FUNCTION_NAME, requestId: first }))).resolves.toMatchObject({ outcome: "skipped" });
  const firstLines = logs.lines();
  await expect(handler(fork, lambdaContext({ functionName: FUNCTION_NAME, requestId: second }))).resolves.toMatchObject({ outcome: "skipped" });
  const secondLines = logs.lines().slice(firstLines.length);

  expect(firstLines).toContainEqual(
    expect.objectContaining({ service: "pr-pipelines", message: "Nothing to do for this event", function_name: FUNCTION_NAME }),
  );
  expect(firstLines.length).toBeGreaterThan(0);
  expect(secondLines).toHaveLength(firstLines.length);
  for (const line of firstLines) expect(line).toMatchObject({ function_request_id: first, cold_start: true });
  for (const line of secondLines) expect(line).toMatchObject({ function_request_id: second, cold_start: false });
});
