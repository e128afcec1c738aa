import { CodePipelineClient } from "@aws-sdk/client-codepipeline";
import { SNSClient } from "@aws-sdk/client-sns";
import type { EventBridgeEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { handler } from "../../../functions/notifier/handler";
import { lambdaContext, loggedLines } from "../../support/lambda";
import { sampleFor } from "./events";
import { catalogFile } from "./notifications";

// The entry point keeps its logger and handler for the module's lifetime, like a warm Lambda:
// the first call in this file is the cold start.

// Counts loads of Octokit, which only the GitHub calls need.
let mockOctokitLoads = 0;
jest.mock("@octokit/core", () => {
  mockOctokitLoads++;
  return jest.requireActual("@octokit/core");
});
const codepipeline = mockClient(CodePipelineClient);
const sns = mockClient(SNSClient);
const saved = { ...process.env };
const catalog = catalogFile();

afterAll(() => {
  process.env = { ...saved };
  catalog.remove();
  codepipeline.restore();
  sns.restore();
});

it("is built from process.env on first use, logs with the invocation's request id and cold start, and loads no Octokit for an event that needs no GitHub", async () => {
  process.env = {
    ...saved,
    AWS_REGION: "us-east-1",
    // Lambda sets it; Powertools tells a cold start only with it.
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    POWERTOOLS_LOG_LEVEL: "INFO",
    TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:pipewright-notifications",
    PIPELINE_PREFIX: "pipewright-",
    REPOSITORIES_FILE: catalog.file,
    GITHUB_TOKEN_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:pipewright/github-token-AbCdEf",
  };
  // Another team's pipeline: ignored, one log line, no AWS call.
  const foreign = sampleFor("pipeline-failed", "other-team-app") as EventBridgeEvent<string, unknown>;
  const lines = await loggedLines(async () => {
    await expect(handler(foreign, lambdaContext({ functionName: "pipewright-notifier", requestId: "request-1" }))).resolves.toMatchObject({
      outcome: "ignored",
    });
    await handler(foreign, lambdaContext({ functionName: "pipewright-notifier", requestId: "request-2" }));
  });
  expect(lines.map((line) => [line.message, line.function_request_id, line.cold_start])).toEqual([
    [expect.stringMatching(/^Ignoring the event: other-team-app does not start with pipewright-/), "request-1", true],
    [expect.stringMatching(/^Ignoring the event/), "request-2", false],
  ]);
  expect(lines[0]).toMatchObject({ service: "notifier", function_name: "pipewright-notifier" });
  expect(codepipeline.calls()).toHaveLength(0);
  expect(sns.calls()).toHaveLength(0);
  expect(mockOctokitLoads).toBe(0);
});
