/** The pre-traffic entry point logs with the Lambda context (Powertools: request id and cold start). */
import { handler } from "../../../functions/pre-traffic/handler";
import { capturePowertoolsLogs, lambdaContext } from "../../support/lambda";

const FUNCTION_NAME = "CodeDeployHook_pipewright-pre-traffic";
const saved = { ...process.env };
let logs: ReturnType<typeof capturePowertoolsLogs>;

beforeEach(() => {
  // Lambda sets the initialization type; Powertools counts a cold start only for "on-demand".
  process.env = { ...saved, AWS_REGION: "eu-west-1", AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand" };
  delete process.env.POWERTOOLS_LOG_LEVEL;
  logs = capturePowertoolsLogs();
});

afterEach(() => {
  logs.restore();
  process.env = { ...saved };
});

it("every log line names the invocation's request id, and only the first invocation is a cold start", async () => {
  // Events without a hook execution id: each is logged, and nothing is called.
  await handler({ DeploymentId: "d-FIRST" }, lambdaContext({ functionName: FUNCTION_NAME, requestId: "11111111-aaaa-4bbb-8ccc-000000000001" }));
  await handler({ DeploymentId: "d-SECOND" }, lambdaContext({ functionName: FUNCTION_NAME, requestId: "11111111-aaaa-4bbb-8ccc-000000000002" }));
  expect(logs.lines()).toEqual([
    expect.objectContaining({
      level: "ERROR",
      service: "pre-traffic",
      message: expect.stringContaining("MALFORMED HOOK EVENT"),
      function_name: FUNCTION_NAME,
      function_request_id: "11111111-aaaa-4bbb-8ccc-000000000001",
      cold_start: true,
    }),
    expect.objectContaining({ function_request_id: "11111111-aaaa-4bbb-8ccc-000000000002", cold_start: false }),
  ]);
});
