/**
 * The traffic hooks against the AWS emulator (sandbox/emulator): the real SDK
 * adapters report through PutLifecycleEventHookExecutionStatus and the
 * emulator records the verdicts (GET /pipewright/lifecycle-hook-statuses);
 * both hooks run end to end on a deployment, function and stack the emulator holds.
 */
import { CloudFormationClient, CreateStackCommand } from "@aws-sdk/client-cloudformation";
import { CodeDeployClient, CreateApplicationCommand, CreateDeploymentCommand, CreateDeploymentGroupCommand } from "@aws-sdk/client-codedeploy";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateFunctionCommand, LambdaClient, PublishVersionCommand } from "@aws-sdk/client-lambda";
import { LambdaVersionInvoker } from "../../functions/pre-traffic/aws";
import { makeHandler as makePreTraffic } from "../../functions/pre-traffic/handler";
import { StackApiEndpoints } from "../../functions/post-traffic/aws";
import { makeHandler as makePostTraffic } from "../../functions/post-traffic/handler";
import { makeTrafficHookHandler } from "../../functions/shared/traffic-hook";
import { CodeDeployStatusReporter, CodeDeployTargets } from "../../functions/shared/traffic-hook-aws";
import { emulatorClientConfig, EMULATOR_REGION, inAccount, lifecycleHookStatuses } from "../../sandbox/emulator";
import { useEmulator } from "../support/emulator";
import { FakeApi } from "../unit/post-traffic/support/fake-api";
import { FAST, lambdaContext, recordingLogger } from "../unit/pre-traffic/support/hooks";

const DEV_ACCOUNT = "222222222222";
const STACK = "pipewright-orders-dev";
const FUNCTION = `${STACK}-app`;
/** An empty ZIP: the emulator's Lambda store (without Docker) runs no code. */
const EMPTY_ZIP = new Uint8Array([80, 75, 5, 6, ...new Array<number>(18).fill(0)]);

const emulator = useEmulator();
let codedeploy: CodeDeployClient;
let lambda: LambdaClient;
let cloudFormation: CloudFormationClient;
let iam: IAMClient;
let api: FakeApi;

async function statusesOf(deploymentId: string) {
  return (await lifecycleHookStatuses(emulator())).filter((report) => report.deploymentId === deploymentId);
}

/**
 * A Lambda deployment of FUNCTION from version `current` to `target`, as CloudFormation would create it.
 * The emulator's GetDeployment returns the AppSpec's content itself, so the hooks read it without the
 * GetApplicationRevision that AWS needs (tested with mocks in __tests__/unit/pre-traffic).
 */
async function createDeployment(current: string, target: string): Promise<string> {
  const content = JSON.stringify({
    version: "0.0",
    Resources: [
      {
        AppFunction: { Type: "AWS::Lambda::Function", Properties: { Name: FUNCTION, Alias: "live", CurrentVersion: current, TargetVersion: target } },
      },
    ],
  });
  const { deploymentId } = await codedeploy.send(
    new CreateDeploymentCommand({
      applicationName: `${STACK}-ServerlessDeploymentApplication-ABC123`,
      deploymentGroupName: `${STACK}-AppFunctionDeploymentGroup-DEF456`,
      revision: { revisionType: "AppSpecContent", appSpecContent: { content } },
    }),
  );
  return deploymentId as string;
}

beforeAll(async () => {
  const config = emulatorClientConfig(emulator());
  codedeploy = inAccount(new CodeDeployClient(config), DEV_ACCOUNT);
  lambda = inAccount(new LambdaClient(config), DEV_ACCOUNT);
  cloudFormation = inAccount(new CloudFormationClient(config), DEV_ACCOUNT);
  iam = inAccount(new IAMClient(config), DEV_ACCOUNT);
  api = await FakeApi.start();

  // Without Docker, the emulator's Lambda store answers an invocation with its payload.
  const configured = await fetch(`${emulator().endpoint}/moto-api/config`, {
    method: "POST",
    body: JSON.stringify({ lambda: { use_docker: false } }),
  });
  expect(configured.ok).toBe(true);

  const application = `${STACK}-ServerlessDeploymentApplication-ABC123`;
  await codedeploy.send(new CreateApplicationCommand({ applicationName: application, computePlatform: "Lambda" }));
  await codedeploy.send(
    new CreateDeploymentGroupCommand({
      applicationName: application,
      deploymentGroupName: `${STACK}-AppFunctionDeploymentGroup-DEF456`,
      serviceRoleArn: `arn:aws:iam::${DEV_ACCOUNT}:role/${STACK}-CodeDeployServiceRole-GHI789`,
      deploymentStyle: { deploymentType: "BLUE_GREEN", deploymentOption: "WITH_TRAFFIC_CONTROL" },
    }),
  );
  const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] };
  await iam.send(new CreateRoleCommand({ RoleName: `${STACK}-AppFunctionRole-JKL012`, AssumeRolePolicyDocument: JSON.stringify(trust) }));
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: FUNCTION,
      Runtime: "nodejs24.x",
      Role: `arn:aws:iam::${DEV_ACCOUNT}:role/${STACK}-AppFunctionRole-JKL012`,
      Handler: "index.handler",
      Code: { ZipFile: EMPTY_ZIP },
      Tags: { "aws:cloudformation:stack-name": STACK },
    }),
  );
  await lambda.send(new PublishVersionCommand({ FunctionName: FUNCTION }));
  await cloudFormation.send(
    new CreateStackCommand({
      StackName: STACK,
      TemplateBody: JSON.stringify({
        Resources: { Placeholder: { Type: "AWS::CloudFormation::WaitConditionHandle" } },
        Outputs: { ApiUrl: { Value: api.url } },
      }),
    }),
  );
});

afterAll(async () => {
  await api?.stop();
});

describe("the CodeDeploy reporter", () => {
  it("reports Succeeded and Failed, and the emulator records both in the right account and Region", async () => {
    const reporter = new CodeDeployStatusReporter(codedeploy);
    const signal = new AbortController().signal;
    await reporter.report({ deploymentId: "d-REPORTER1", lifecycleEventHookExecutionId: "hook-pre" }, "Succeeded", signal);
    await reporter.report({ deploymentId: "d-REPORTER1", lifecycleEventHookExecutionId: "hook-post" }, "Failed", signal);
    expect(await statusesOf("d-REPORTER1")).toEqual([
      expect.objectContaining({ accountId: DEV_ACCOUNT, region: EMULATOR_REGION, lifecycleEventHookExecutionId: "hook-pre", status: "Succeeded" }),
      expect.objectContaining({ accountId: DEV_ACCOUNT, region: EMULATOR_REGION, lifecycleEventHookExecutionId: "hook-post", status: "Failed" }),
    ]);
  });

  it("a second report for the same hook execution gets LifecycleEventAlreadyCompletedException from the emulator", async () => {
    const reporter = new CodeDeployStatusReporter(codedeploy);
    const ids = { deploymentId: "d-REPORTER2", lifecycleEventHookExecutionId: "hook-pre" };
    await reporter.report(ids, "Succeeded", new AbortController().signal);
    await expect(reporter.report(ids, "Failed", new AbortController().signal)).rejects.toMatchObject({
      name: "LifecycleEventAlreadyCompletedException",
    });
  });

  it("through the runner, a repeated invocation counts as reported: no error, and the first verdict stands", async () => {
    const logger = recordingLogger();
    const event = { DeploymentId: "d-RUNNER1", LifecycleEventHookExecutionId: "hook-post" };
    const run = (passed: boolean) =>
      makeTrafficHookHandler({
        hook: "post-traffic",
        check: async () => (passed ? { passed: true, summary: "fine" } : { passed: false, reason: "broken" }),
        reporter: new CodeDeployStatusReporter(codedeploy),
        logger,
        ...FAST,
      })(event, lambdaContext(10_000));
    await expect(run(true)).resolves.toMatchObject({ status: "Succeeded", alreadyReported: false });
    await expect(run(false)).resolves.toMatchObject({ status: "Failed", alreadyReported: true, reportAttempts: 1 });
    expect(await statusesOf("d-RUNNER1")).toEqual([expect.objectContaining({ status: "Succeeded" })]);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringMatching(/already had a verdict/), expect.objectContaining({ alreadyReported: true }));
  });
});

describe("the hooks on a deployment the emulator holds", () => {
  it("pre-traffic reads the AppSpec, invokes the new version and reports Failed when the answer is not the app's", async () => {
    // The emulator's Lambda echoes the smoke event back: not an HTTP answer with {"status":"ok"}.
    const deploymentId = await createDeployment("$LATEST", "1");
    const result = await makePreTraffic({
      config: { healthPath: "/health" },
      targets: new CodeDeployTargets(codedeploy),
      invoker: new LambdaVersionInvoker(lambda),
      reporter: new CodeDeployStatusReporter(codedeploy),
      logger: recordingLogger(),
      hookOptions: FAST,
    })({ DeploymentId: deploymentId, LifecycleEventHookExecutionId: "pre-1" }, lambdaContext(10_000));
    expect(result).toMatchObject({
      status: "Failed",
      outcome: "failed-check",
      reason: expect.stringContaining(`GET /health on ${FUNCTION} version 1 answered 200 but its body's status is undefined`),
    });
    expect(await statusesOf(deploymentId)).toEqual([expect.objectContaining({ lifecycleEventHookExecutionId: "pre-1", status: "Failed" })]);
  });

  function postTraffic() {
    return makePostTraffic({
      config: { requests: 4, maxLatencyMs: 1000, requestTimeoutMs: 1000, healthPath: "/health" },
      targets: new CodeDeployTargets(codedeploy),
      endpoints: new StackApiEndpoints(lambda, cloudFormation),
      reporter: new CodeDeployStatusReporter(codedeploy),
      logger: recordingLogger(),
      hookOptions: FAST,
    });
  }

  it("post-traffic finds the live endpoint through the function's stack and reports Succeeded", async () => {
    const deploymentId = await createDeployment("1", "2");
    const before = api.requests.length;
    const result = await postTraffic()({ DeploymentId: deploymentId, LifecycleEventHookExecutionId: "post-1" }, lambdaContext(10_000));
    expect(result).toMatchObject({ status: "Succeeded", reason: expect.stringContaining("4 of 4 requests answered 200") });
    expect(api.requests.length - before).toBe(4);
    expect(await statusesOf(deploymentId)).toEqual([expect.objectContaining({ lifecycleEventHookExecutionId: "post-1", status: "Succeeded" })]);
  });

  it("post-traffic reports Failed when the live endpoint answers 5xx", async () => {
    const deploymentId = await createDeployment("2", "3");
    api.fallback = { status: 500, body: '{"message":"Internal Server Error"}' };
    try {
      const result = await postTraffic()({ DeploymentId: deploymentId, LifecycleEventHookExecutionId: "post-2" }, lambdaContext(10_000));
      expect(result).toMatchObject({ status: "Failed", reason: expect.stringContaining("4x HTTP 500") });
    } finally {
      api.fallback = { status: 200, body: '{"status":"ok"}' };
    }
    expect(await statusesOf(deploymentId)).toEqual([expect.objectContaining({ lifecycleEventHookExecutionId: "post-2", status: "Failed" })]);
  });
});
