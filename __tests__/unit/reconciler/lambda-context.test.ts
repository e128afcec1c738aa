import { CodePipelineClient, ListPipelinesCommand } from "@aws-sdk/client-codepipeline";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { handler } from "../../../functions/reconciler/handler";
import { lambdaContext, loggedLines } from "../../support/lambda";
import { catalogFile, shopCatalogData } from "../pr-pipelines/support/fixtures";
import { BUS, CLEANUP_ROLE } from "./support/fixtures";

// The entry point keeps its logger and handler for the module's lifetime, like a warm Lambda:
// the first call in this file is the cold start.
const codepipeline = mockClient(CodePipelineClient);
const dynamodb = mockClient(DynamoDBClient);
const saved = { ...process.env };

afterAll(() => {
  process.env = { ...saved };
  codepipeline.restore();
  dynamodb.restore();
});

it("logs with the invocation's request id, and says which invocation was the cold start", async () => {
  process.env = {
    ...saved,
    AWS_REGION: "eu-west-1",
    // Lambda sets it; Powertools tells a cold start only with it.
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    POWERTOOLS_LOG_LEVEL: "INFO",
    REPOSITORIES_FILE: catalogFile(shopCatalogData),
    EVENT_BUS_NAME: BUS,
    PR_STATE_TABLE: "pipewright-pr-state",
    MAX_PR_PIPELINES: "300",
    PR_ARTIFACT_BUCKET: "pipewright-pr-artifacts",
    PREVIEW_CLEANUP_ROLE_ARN: CLEANUP_ROLE,
  };
  codepipeline.on(ListPipelinesCommand).resolves({ pipelines: [] });
  dynamodb.on(GetItemCommand).resolves({});
  const lines = await loggedLines(async () => {
    await handler({}, lambdaContext({ functionName: "pipewright-reconciler", requestId: "request-1" }));
    await handler({}, lambdaContext({ functionName: "pipewright-reconciler", requestId: "request-2" }));
  });
  const summaries = lines.filter((line) => line.message === "Reconciler summary");
  expect(summaries.map((line) => [line.function_request_id, line.cold_start])).toEqual([
    ["request-1", true],
    ["request-2", false],
  ]);
  expect(summaries[0]).toMatchObject({ service: "reconciler", function_name: "pipewright-reconciler", prPipelines: 0 });
});
