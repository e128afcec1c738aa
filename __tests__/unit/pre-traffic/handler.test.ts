/**
 * The pre-traffic hook end to end with mocked AWS clients: the real adapters
 * (CodeDeploy GetDeployment, GetApplicationRevision and
 * PutLifecycleEventHookExecutionStatus, Lambda Invoke) over aws-sdk-client-mock,
 * with injected faults.
 */
import {
  CodeDeployClient,
  GetApplicationRevisionCommand,
  GetDeploymentCommand,
  PutLifecycleEventHookExecutionStatusCommand,
  type PutLifecycleEventHookExecutionStatusCommandInput,
} from "@aws-sdk/client-codedeploy";
import { InvokeCommand, type InvokeCommandInput, type InvokeCommandOutput, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { LambdaVersionInvoker } from "../../../functions/pre-traffic/aws";
import { handler, makeHandler } from "../../../functions/pre-traffic/handler";
import { CodeDeployStatusReporter, CodeDeployTargets } from "../../../functions/shared/traffic-hook-aws";
import {
  APPLICATION_NAME,
  appSpecJson,
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
} from "./support/hooks";

const codedeploy = mockClient(CodeDeployClient);
const lambda = mockClient(LambdaClient);
let logger: ReturnType<typeof recordingLogger>;

/** A payload as the SDK hands it over (a Uint8Array with string helpers). */
function payloadOf(text: string): InvokeCommandOutput["Payload"] {
  return Object.assign(new TextEncoder().encode(text), { transformToString: () => text }) as InvokeCommandOutput["Payload"];
}

/** What the application answers: an HTTP API (payload 2.0) response. */
function answer(statusCode: number, body: unknown, extra: Partial<InvokeCommandOutput> = {}): Partial<InvokeCommandOutput> {
  return {
    StatusCode: 200,
    ExecutedVersion: "4",
    Payload: payloadOf(JSON.stringify({ statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) })),
    ...extra,
  };
}

beforeEach(() => {
  codedeploy.reset();
  lambda.reset();
  logger = recordingLogger();
  mockDeployment(codedeploy);
  codedeploy.on(PutLifecycleEventHookExecutionStatusCommand).resolves({ lifecycleEventHookExecutionId: HOOK_EXECUTION_ID });
  lambda.on(InvokeCommand).resolves(answer(200, { status: "ok", version: "4" }));
});

function preTraffic() {
  return makeHandler({
    config: { healthPath: "/health" },
    targets: new CodeDeployTargets(new CodeDeployClient({ region: "eu-west-1" })),
    invoker: new LambdaVersionInvoker(new LambdaClient({ region: "eu-west-1" })),
    reporter: new CodeDeployStatusReporter(new CodeDeployClient({ region: "eu-west-1" })),
    logger,
    hookOptions: FAST,
  });
}

const reports = (): PutLifecycleEventHookExecutionStatusCommandInput[] =>
  codedeploy.commandCalls(PutLifecycleEventHookExecutionStatusCommand).map((call) => call.args[0].input);
const invocations = (): InvokeCommandInput[] => lambda.commandCalls(InvokeCommand).map((call) => call.args[0].input);
const smokeEventSent = () => JSON.parse(new TextDecoder().decode(invocations()[0]?.Payload as Uint8Array)) as Record<string, any>;

describe("a healthy new version", () => {
  it("is invoked directly (version qualifier) with an HTTP API event for GET /health, and Succeeded is reported once", async () => {
    const result = await preTraffic()(hookEvent(), lambdaContext(10_000));
    expect(result).toMatchObject({ reported: true, status: "Succeeded", outcome: "passed" });
    expect(invocations()).toEqual([expect.objectContaining({ FunctionName: FUNCTION_NAME, Qualifier: "4", InvocationType: "RequestResponse" })]);
    expect(smokeEventSent()).toMatchObject({
      version: "2.0",
      routeKey: "GET /health",
      rawPath: "/health",
      requestContext: { http: { method: "GET", path: "/health" }, stage: "$default" },
      headers: { "x-pipewright-smoke-test": "pre-traffic" },
    });
    expect(reports()).toEqual([{ deploymentId: DEPLOYMENT_ID, lifecycleEventHookExecutionId: HOOK_EXECUTION_ID, status: "Succeeded" }]);
    expect(lastFields(logger.info)).toMatchObject({
      hook: "pre-traffic",
      deploymentId: DEPLOYMENT_ID,
      status: "Succeeded",
      reason: `GET /health on ${FUNCTION_NAME} version 4 answered 200 with status "ok"`,
      details: { functionName: FUNCTION_NAME, targetVersion: "4", body: { status: "ok", version: "4" } },
    });
  });

  it("reads the AppSpec with GetApplicationRevision of the revision GetDeployment names", async () => {
    await preTraffic()(hookEvent(), lambdaContext(10_000));
    expect(codedeploy.commandCalls(GetApplicationRevisionCommand).map((call) => call.args[0].input)).toEqual([
      {
        applicationName: APPLICATION_NAME,
        revision: { revisionType: "AppSpecContent", appSpecContent: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } },
      },
    ]);
  });

  it("also passes when GetApplicationRevision answers with an older String revision", async () => {
    codedeploy.on(GetApplicationRevisionCommand).resolves({ revision: { revisionType: "String", string: { content: appSpecJson() } } });
    await expect(preTraffic()(hookEvent(), lambdaContext(10_000))).resolves.toMatchObject({ status: "Succeeded" });
    expect(invocations()[0]).toMatchObject({ Qualifier: "4" });
  });

  it("reads a revision that carries its content (the emulator's) without GetApplicationRevision", async () => {
    codedeploy
      .on(GetDeploymentCommand)
      .resolves({ deploymentInfo: { revision: { revisionType: "AppSpecContent", appSpecContent: { content: appSpecJson() } } } });
    await expect(preTraffic()(hookEvent(), lambdaContext(10_000))).resolves.toMatchObject({ status: "Succeeded" });
    expect(codedeploy.commandCalls(GetApplicationRevisionCommand)).toEqual([]);
  });
});

describe("failed checks report Failed", () => {
  it.each<[string, Partial<InvokeCommandOutput>, RegExp]>([
    ["an HTTP 500", answer(500, { message: "boom" }), /answered HTTP 500, expected 200/],
    ["a body whose status is not ok", answer(200, { status: "degraded" }), /body's status is "degraded", expected "ok"/],
    [
      "a body that is not JSON",
      { StatusCode: 200, ExecutedVersion: "4", Payload: payloadOf(JSON.stringify({ statusCode: 200, body: "OK" })) },
      /not a JSON object/,
    ],
    [
      "an unhandled function error",
      {
        StatusCode: 200,
        ExecutedVersion: "4",
        FunctionError: "Unhandled",
        Payload: payloadOf('{"errorType":"TypeError","errorMessage":"x is undefined"}'),
      },
      /failed with a Unhandled function error: .*x is undefined/,
    ],
    ["an answer from another version", answer(200, { status: "ok" }, { ExecutedVersion: "3" }), /answered by version 3, not the new version/],
  ])("%s", async (_name, response, reason) => {
    lambda.on(InvokeCommand).resolves(response);
    const result = await preTraffic()(hookEvent(), lambdaContext(10_000));
    expect(result).toMatchObject({ status: "Failed", outcome: "failed-check", reason: expect.stringMatching(reason) });
    expect(reports()).toEqual([expect.objectContaining({ status: "Failed" })]);
    expect(logged(logger.error)).toMatch(reason);
  });
});

describe("injected faults", () => {
  it("an invoke error reports Failed, naming it", async () => {
    lambda.on(InvokeCommand).rejects(awsError("ResourceNotFoundException", `Function not found: ${FUNCTION_NAME}:4`));
    const result = await preTraffic()(hookEvent(), lambdaContext(10_000));
    expect(result).toMatchObject({
      status: "Failed",
      outcome: "error",
      reason: expect.stringContaining("ResourceNotFoundException: Function not found"),
    });
    expect(reports()).toEqual([expect.objectContaining({ status: "Failed" })]);
  });

  it("GetDeployment failing reports Failed without invoking anything", async () => {
    codedeploy.on(GetDeploymentCommand).rejects(awsError("DeploymentDoesNotExistException"));
    await expect(preTraffic()(hookEvent(), lambdaContext(10_000))).resolves.toMatchObject({ status: "Failed", outcome: "error" });
    expect(invocations()).toEqual([]);
    expect(reports()).toEqual([expect.objectContaining({ status: "Failed" })]);
  });

  it("time running out (an invoke that never answers) reports Failed before the Lambda timeout", async () => {
    lambda.on(InvokeCommand).callsFake(() => new Promise(() => undefined));
    const started = Date.now();
    const result = await preTraffic()(hookEvent(), lambdaContext(500));
    expect(Date.now() - started).toBeLessThan(500);
    expect(result).toMatchObject({ status: "Failed", outcome: "timed-out" });
    expect(reports()).toEqual([expect.objectContaining({ status: "Failed" })]);
  });

  it("a malformed event reports nothing, invokes nothing and is logged loudly", async () => {
    const result = await preTraffic()({ DeploymentId: DEPLOYMENT_ID, detail: "not a hook event" }, lambdaContext(10_000));
    expect(result).toMatchObject({ reported: false });
    expect(codedeploy.calls()).toEqual([]);
    expect(lambda.calls()).toEqual([]);
    expect(logged(logger.error)).toMatch(/MALFORMED HOOK EVENT.*LifecycleEventHookExecutionId/);
  });

  it("GetApplicationRevision failing reports Failed without invoking anything", async () => {
    codedeploy.on(GetApplicationRevisionCommand).rejects(awsError("RevisionDoesNotExistException"));
    const result = await preTraffic()(hookEvent(), lambdaContext(10_000));
    expect(result).toMatchObject({ status: "Failed", outcome: "error", reason: expect.stringContaining("RevisionDoesNotExistException") });
    expect(invocations()).toEqual([]);
    expect(reports()).toEqual([expect.objectContaining({ status: "Failed" })]);
  });

  it.each<[string, string]>([
    ["not JSON", "{ this is not json"],
    ["YAML", `version: 0.0\nResources:\n  - AppFunction:\n      Type: AWS::Lambda::Function\n`],
    [
      "two functions",
      JSON.stringify({ Resources: [JSON.parse(appSpecJson()).Resources[0], { Other: JSON.parse(appSpecJson()).Resources[0].AppFunction }] }),
    ],
  ])("a malformed AppSpec (%s) reports Failed", async (_name, content) => {
    mockDeployment(codedeploy, content);
    const result = await preTraffic()(hookEvent(), lambdaContext(10_000));
    expect(result).toMatchObject({ status: "Failed", outcome: "error", reason: expect.stringContaining("AppSpecError") });
    expect(invocations()).toEqual([]);
    expect(reports()).toEqual([expect.objectContaining({ status: "Failed" })]);
  });

  it("the status call failing once is retried: exactly one successful report", async () => {
    codedeploy
      .on(PutLifecycleEventHookExecutionStatusCommand)
      .rejectsOnce(awsError("ThrottlingException", "Rate exceeded"))
      .resolves({ lifecycleEventHookExecutionId: HOOK_EXECUTION_ID });
    const result = await preTraffic()(hookEvent(), lambdaContext(10_000));
    expect(result).toMatchObject({ status: "Succeeded", reportAttempts: 2 });
    expect(reports()).toHaveLength(2);
    expect(new Set(reports().map((input) => input.status))).toEqual(new Set(["Succeeded"]));
  });
});

describe("the Lambda entry point", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it("with a broken configuration still reports Failed, with the configuration error as the reason", async () => {
    process.env.AWS_REGION = "eu-west-1";
    process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
    process.env.HEALTH_PATH = "health without a slash";
    const result = await handler(hookEvent(), lambdaContext(10_000));
    expect(result).toMatchObject({
      status: "Failed",
      outcome: "error",
      reason: expect.stringContaining("TrafficHookConfigError: Environment variable HEALTH_PATH is invalid"),
    });
    expect(reports()).toEqual([{ deploymentId: DEPLOYMENT_ID, lifecycleEventHookExecutionId: HOOK_EXECUTION_ID, status: "Failed" }]);
    expect(invocations()).toEqual([]);
  });
});
