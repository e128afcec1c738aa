/**
 * The post-traffic hook end to end: mocked CodeDeploy, Lambda and
 * CloudFormation clients (aws-sdk-client-mock) and a local HTTP server as the
 * live endpoint, with injected faults.
 */
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import {
  CodeDeployClient,
  PutLifecycleEventHookExecutionStatusCommand,
  type PutLifecycleEventHookExecutionStatusCommandInput,
} from "@aws-sdk/client-codedeploy";
import { GetFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { StackApiEndpoints } from "../../../functions/post-traffic/aws";
import type { PostTrafficConfig } from "../../../functions/post-traffic/config";
import { handler, makeHandler } from "../../../functions/post-traffic/handler";
import { CodeDeployStatusReporter, CodeDeployTargets } from "../../../functions/shared/traffic-hook-aws";
import {
  awsError,
  DEPLOYMENT_ID,
  FAST,
  FUNCTION_NAME,
  HOOK_EXECUTION_ID,
  hookEvent,
  lambdaContext,
  lastFields,
  logged,
  mockDeployment,
  recordingLogger,
  STACK_NAME,
} from "../pre-traffic/support/hooks";
import { FakeApi } from "./support/fake-api";

const codedeploy = mockClient(CodeDeployClient);
const lambda = mockClient(LambdaClient);
const cloudFormation = mockClient(CloudFormationClient);
let api: FakeApi;
let logger: ReturnType<typeof recordingLogger>;

function stackWithApiUrl(apiUrl: string) {
  return {
    Stacks: [
      {
        StackName: STACK_NAME,
        CreationTime: new Date(),
        StackStatus: "UPDATE_IN_PROGRESS" as const,
        Outputs: [{ OutputKey: "ApiUrl", OutputValue: apiUrl }],
      },
    ],
  };
}

beforeEach(async () => {
  codedeploy.reset();
  lambda.reset();
  cloudFormation.reset();
  api = await FakeApi.start();
  logger = recordingLogger();
  mockDeployment(codedeploy);
  codedeploy.on(PutLifecycleEventHookExecutionStatusCommand).resolves({ lifecycleEventHookExecutionId: HOOK_EXECUTION_ID });
  lambda.on(GetFunctionCommand, { FunctionName: FUNCTION_NAME }).resolves({ Tags: { "aws:cloudformation:stack-name": STACK_NAME } });
  cloudFormation.on(DescribeStacksCommand, { StackName: STACK_NAME }).resolves(stackWithApiUrl(api.url));
});

afterEach(async () => {
  await api.stop();
});

function postTraffic(config: Partial<PostTrafficConfig> = {}) {
  return makeHandler({
    config: { requests: 5, maxLatencyMs: 500, requestTimeoutMs: 1000, healthPath: "/health", ...config },
    targets: new CodeDeployTargets(new CodeDeployClient({ region: "eu-west-1" })),
    endpoints: new StackApiEndpoints(new LambdaClient({ region: "eu-west-1" }), new CloudFormationClient({ region: "eu-west-1" })),
    reporter: new CodeDeployStatusReporter(new CodeDeployClient({ region: "eu-west-1" })),
    logger,
    hookOptions: FAST,
  });
}

const reports = (): PutLifecycleEventHookExecutionStatusCommandInput[] =>
  codedeploy.commandCalls(PutLifecycleEventHookExecutionStatusCommand).map((call) => call.args[0].input);

describe("a healthy live endpoint", () => {
  it("is requested N times at <ApiUrl>/health, one after another, and Succeeded is reported once", async () => {
    const result = await postTraffic()(hookEvent(), lambdaContext(10_000));
    expect(result).toMatchObject({ reported: true, status: "Succeeded", outcome: "passed" });
    expect(api.requests).toEqual(Array.from({ length: 5 }, () => ({ method: "GET", url: "/health", userAgent: "pipewright-post-traffic" })));
    expect(reports()).toEqual([{ deploymentId: DEPLOYMENT_ID, lifecycleEventHookExecutionId: HOOK_EXECUTION_ID, status: "Succeeded" }]);
    expect(lastFields(logger.info)).toMatchObject({
      hook: "post-traffic",
      status: "Succeeded",
      reason: expect.stringMatching(/5 of 5 requests answered 200, p95 latency \d+ ms \(limit 500 ms\)/),
      details: { stackName: STACK_NAME, functionName: FUNCTION_NAME, targetVersion: "4", requests: 5, url: `${api.url}/health` },
    });
  });
});

describe("failed checks report Failed", () => {
  it("a non-200 answer", async () => {
    api.behaviours = [{ status: 200 }, { status: 503 }];
    const result = await postTraffic()(hookEvent(), lambdaContext(10_000));
    expect(result).toMatchObject({
      status: "Failed",
      outcome: "failed-check",
      reason: expect.stringContaining("1 of 5 requests did not answer 200 (1x HTTP 503)"),
    });
    expect(reports()).toEqual([expect.objectContaining({ status: "Failed" })]);
    expect(api.requests).toHaveLength(5);
  });

  it("a redirect (it would measure another endpoint)", async () => {
    api.fallback = { status: 302 };
    await expect(postTraffic({ requests: 2 })(hookEvent(), lambdaContext(10_000))).resolves.toMatchObject({
      status: "Failed",
      reason: expect.stringContaining("2x HTTP 302"),
    });
  });

  it("a slow endpoint over the latency limit", async () => {
    api.fallback = { status: 200, delayMs: 120 };
    const result = await postTraffic({ requests: 3, maxLatencyMs: 50 })(hookEvent(), lambdaContext(10_000));
    expect(result).toMatchObject({ status: "Failed", reason: expect.stringMatching(/p95 latency \d+ ms exceeds the limit of 50 ms/) });
    expect(reports()).toEqual([expect.objectContaining({ status: "Failed" })]);
  });

  it("a request that hangs is cut off by its own timeout and counts as failed", async () => {
    api.behaviours = ["hang"];
    const result = await postTraffic({ requests: 3, requestTimeoutMs: 150 })(hookEvent(), lambdaContext(10_000));
    expect(result).toMatchObject({ status: "Failed", reason: expect.stringContaining("1x no answer (timed out after 150 ms)") });
    expect(api.requests).toHaveLength(3);
  });

  it("an endpoint nobody listens on", async () => {
    const gone = await FakeApi.start();
    await gone.stop();
    cloudFormation.on(DescribeStacksCommand).resolves(stackWithApiUrl(gone.url));
    const result = await postTraffic({ requests: 2 })(hookEvent(), lambdaContext(10_000));
    expect(result).toMatchObject({ status: "Failed", reason: expect.stringContaining("2x no answer (fetch failed (ECONNREFUSED))") });
  });
});

describe("injected faults", () => {
  it("time running out (an endpoint that never answers) reports Failed before the Lambda timeout", async () => {
    api.fallback = "hang";
    const started = Date.now();
    const result = await postTraffic({ requestTimeoutMs: 60_000 })(hookEvent(), lambdaContext(600));
    expect(Date.now() - started).toBeLessThan(600);
    expect(result).toMatchObject({ status: "Failed", outcome: "timed-out" });
    expect(reports()).toEqual([expect.objectContaining({ status: "Failed" })]);
  });

  it("a stack without an ApiUrl output reports Failed, naming the fix", async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .resolves({ Stacks: [{ StackName: STACK_NAME, CreationTime: new Date(), StackStatus: "UPDATE_IN_PROGRESS", Outputs: [] }] });
    const result = await postTraffic()(hookEvent(), lambdaContext(10_000));
    expect(result).toMatchObject({ status: "Failed", outcome: "error", reason: expect.stringContaining("EndpointNotFoundError") });
    expect(api.requests).toEqual([]);
  });

  it("an ApiUrl that is not https reports Failed without any request", async () => {
    cloudFormation.on(DescribeStacksCommand).resolves(stackWithApiUrl("http://evil.example.com"));
    await expect(postTraffic()(hookEvent(), lambdaContext(10_000))).resolves.toMatchObject({
      status: "Failed",
      reason: expect.stringContaining("not an https URL"),
    });
    expect(api.requests).toEqual([]);
  });

  it("a Lambda error while finding the stack reports Failed", async () => {
    lambda.on(GetFunctionCommand).rejects(awsError("AccessDeniedException", "not authorized to perform lambda:GetFunction"));
    await expect(postTraffic()(hookEvent(), lambdaContext(10_000))).resolves.toMatchObject({
      status: "Failed",
      reason: expect.stringContaining("AccessDeniedException"),
    });
  });

  it("a malformed AppSpec reports Failed", async () => {
    mockDeployment(codedeploy, '{"Resources": [{"x": {"Type": "AWS::ECS::Service"}}]}');
    await expect(postTraffic()(hookEvent(), lambdaContext(10_000))).resolves.toMatchObject({
      status: "Failed",
      reason: expect.stringContaining("AppSpecError"),
    });
    expect(api.requests).toEqual([]);
  });

  it("a malformed event reports nothing, requests nothing and is logged loudly", async () => {
    const result = await postTraffic()({ LifecycleEventHookExecutionId: HOOK_EXECUTION_ID }, lambdaContext(10_000));
    expect(result).toMatchObject({ reported: false });
    expect(codedeploy.calls()).toEqual([]);
    expect(api.requests).toEqual([]);
    expect(logged(logger.error)).toMatch(/MALFORMED HOOK EVENT.*DeploymentId/);
  });

  it("the status call failing once is retried: exactly one successful report", async () => {
    codedeploy
      .on(PutLifecycleEventHookExecutionStatusCommand)
      .rejectsOnce(awsError("InternalFailure"))
      .resolves({ lifecycleEventHookExecutionId: HOOK_EXECUTION_ID });
    await expect(postTraffic()(hookEvent(), lambdaContext(10_000))).resolves.toMatchObject({ status: "Succeeded", reportAttempts: 2 });
    expect(reports().map((input) => input.status)).toEqual(["Succeeded", "Succeeded"]);
  });
});

describe("the Lambda entry point", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it("with a broken configuration still reports Failed, naming the variable", async () => {
    process.env.AWS_REGION = "eu-west-1";
    process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
    process.env.MAX_LATENCY_MS = "one second";
    const result = await handler(hookEvent(), lambdaContext(10_000));
    expect(result).toMatchObject({ status: "Failed", reason: expect.stringContaining("Environment variable MAX_LATENCY_MS is invalid") });
    expect(reports()).toEqual([expect.objectContaining({ status: "Failed" })]);
    expect(api.requests).toEqual([]);
  });
});
