import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CodePipelineClient } from "@aws-sdk/client-codepipeline";
import { mockClient } from "aws-sdk-client-mock";
import { handler } from "../../../functions/push-router/handler";
import { lambdaContext, loggedLines } from "../../support/lambda";
import { busEvent, catalog, push } from "./fixtures";

// The entry point keeps its logger and handler for the module's lifetime, like a warm Lambda:
// the first call in this file is the cold start.

// Counts loads of Octokit, which only the GitHub calls need.
let mockOctokitLoads = 0;
jest.mock("@octokit/core", () => {
  mockOctokitLoads++;
  return jest.requireActual("@octokit/core");
});
const codepipeline = mockClient(CodePipelineClient);
const saved = { ...process.env };
const folder = mkdtempSync(path.join(tmpdir(), "push-router-context-"));
const catalogFile = path.join(folder, "repositories.json");
writeFileSync(catalogFile, JSON.stringify({ repositories: catalog.repositories }));

afterAll(() => {
  process.env = { ...saved };
  rmSync(folder, { recursive: true, force: true });
  codepipeline.restore();
});

it("logs with the invocation's request id, says which invocation was the cold start, and loads no Octokit for an event that needs no GitHub", async () => {
  process.env = {
    ...saved,
    AWS_REGION: "eu-west-1",
    // Lambda sets it; Powertools tells a cold start only with it.
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    POWERTOOLS_LOG_LEVEL: "INFO",
    REPOSITORIES_FILE: catalogFile,
    PUSH_STATE_TABLE: "pw-push-state",
    GITHUB_TOKEN_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:111111111111:secret:pw-github-token-AbCdEf",
  };
  const toDevelop = busEvent(push({ ref: "refs/heads/develop" }));
  const lines = await loggedLines(async () => {
    await handler(toDevelop, lambdaContext({ functionName: "pw-push-router", requestId: "request-1" }));
    await handler(toDevelop, lambdaContext({ functionName: "pw-push-router", requestId: "request-2" }));
  });
  expect(lines.map((line) => [line.message, line.function_request_id, line.cold_start])).toEqual([
    [expect.stringMatching(/^Starting no pipeline/), "request-1", true],
    [expect.stringMatching(/^Starting no pipeline/), "request-2", false],
  ]);
  expect(lines[0]).toMatchObject({ service: "push-router", function_name: "pw-push-router" });
  expect(codepipeline.calls()).toHaveLength(0);
  expect(mockOctokitLoads).toBe(0);
});
