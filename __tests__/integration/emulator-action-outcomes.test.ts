/**
 * The emulator's action outcomes and CodePipeline events (sandbox/emulator: action_outcomes,
 * pipeline_executions, pipeline_events): rules decide the builds and deploys nothing runs, so an
 * execution reaches its approval and beyond; every change of an execution arrives, in order and in
 * AWS's format, on an SQS queue that a rule on the default bus targets with the notifier's pattern.
 */
import {
  type ActionCategory,
  type ActionTypeId,
  CodePipelineClient,
  CreatePipelineCommand,
  GetPipelineExecutionCommand,
  GetPipelineStateCommand,
  ListActionExecutionsCommand,
  ListPipelineExecutionsCommand,
  type PipelineDeclaration,
  PutApprovalResultCommand,
  type StageState,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
} from "@aws-sdk/client-codepipeline";
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import {
  CODEPIPELINE_DETAIL_TYPES,
  CODEPIPELINE_EVENT_SOURCE,
  type CodePipelineEvent,
  codePipelineEventSchema,
} from "../../functions/shared/codepipeline-events";
import { clearActionOutcomes, EMULATOR_REGION, emulatorClientConfig, inAccount, setActionOutcomes } from "../../sandbox/emulator";
import { useEmulator } from "../support/emulator";

const ACCOUNT = "111111111111";
const PIPELINE_ROLE = `arn:aws:iam::${ACCOUNT}:role/pipewright-codepipeline`;
const CONNECTION_ARN = `arn:aws:codeconnections:${EMULATOR_REGION}:${ACCOUNT}:connection/0f1e2d3c-aaaa-bbbb-cccc-123456789012`;
const BUILD_FAILED = "Build terminated with state: FAILED";

const emulator = useEmulator();
let codepipeline: CodePipelineClient;
let events: EventBridgeClient;
let sqs: SQSClient;

const actionType = (category: ActionCategory, provider: string): ActionTypeId => ({ category, owner: "AWS", provider, version: "1" });

/** Source → Build (CodeBuild) → Prod: a deploy, the approval, another deploy, one after the other. */
function declaration(name: string): PipelineDeclaration {
  return {
    name,
    roleArn: PIPELINE_ROLE,
    pipelineType: "V2",
    executionMode: "QUEUED",
    artifactStore: { type: "S3", location: "pipewright-outcomes-artifacts" },
    stages: [
      {
        name: "Source",
        actions: [
          {
            name: "GitHub",
            actionTypeId: actionType("Source", "CodeStarSourceConnection"),
            configuration: { ConnectionArn: CONNECTION_ARN, FullRepositoryId: "acme/monorepo", BranchName: "main" },
            outputArtifacts: [{ name: "SourceArtifact" }],
          },
        ],
      },
      {
        name: "Build",
        actions: [
          {
            name: "Build",
            actionTypeId: actionType("Build", "CodeBuild"),
            configuration: { ProjectName: "pipewright-build" },
            inputArtifacts: [{ name: "SourceArtifact" }],
          },
        ],
      },
      {
        name: "Prod",
        actions: [
          { name: "DeployCanary", actionTypeId: actionType("Deploy", "CloudFormation"), runOrder: 1 },
          { name: "Approve", actionTypeId: actionType("Approval", "Manual"), runOrder: 2 },
          { name: "DeployAll", actionTypeId: actionType("Deploy", "CloudFormation"), runOrder: 3 },
        ],
      },
    ],
  };
}

/**
 * A queue that a rule on the default bus, matching every execution state change of `pipeline`, targets;
 * returns a reader of the events that arrived since it last read, each checked against the schema
 * the notifier validates with. Events are delivered after the call that caused them answers, as in
 * AWS, so the reader waits (long polling) for a moment without any before it returns.
 */
async function eventsOf(pipeline: string): Promise<() => Promise<CodePipelineEvent[]>> {
  const { QueueUrl: queueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `events-${pipeline}` }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
  await events.send(
    new PutRuleCommand({
      Name: pipeline,
      EventPattern: JSON.stringify({
        source: [CODEPIPELINE_EVENT_SOURCE],
        "detail-type": Object.values(CODEPIPELINE_DETAIL_TYPES),
        detail: { pipeline: [pipeline] },
      }),
    }),
  );
  await events.send(new PutTargetsCommand({ Rule: pipeline, Targets: [{ Id: "queue", Arn: Attributes?.QueueArn }] }));
  return async () => {
    const received: CodePipelineEvent[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      if (Messages.length === 0) return received;
      received.push(...Messages.map((message) => codePipelineEventSchema.parse(JSON.parse(message.Body ?? ""))));
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
    }
  };
}

/** "pipeline STARTED", "stage Build FAILED", "action Prod/Approve STARTED": what each event reports. */
function changes(received: readonly CodePipelineEvent[]): string[] {
  return received.map((event) => {
    const detail = event.detail;
    if ("action" in detail) return `action ${detail.stage}/${detail.action} ${detail.state}`;
    if ("stage" in detail) return `stage ${detail.stage} ${detail.state}`;
    return `pipeline ${detail.state}`;
  });
}

/** [stage, its status, [action, its status]...] per stage, from GetPipelineState. */
function statuses(stageStates: readonly StageState[] | undefined): unknown[] {
  return (stageStates ?? []).map((stage) => [
    stage.stageName,
    stage.latestExecution?.status,
    (stage.actionStates ?? []).map((action) => [action.actionName, action.latestExecution?.status]),
  ]);
}

async function createPipeline(name: string): Promise<string> {
  await codepipeline.send(new CreatePipelineCommand({ pipeline: declaration(name) }));
  const { pipelineExecutionSummaries } = await codepipeline.send(new ListPipelineExecutionsCommand({ pipelineName: name }));
  return pipelineExecutionSummaries?.[0]?.pipelineExecutionId as string;
}

async function executionStatus(pipelineName: string, pipelineExecutionId: string): Promise<string | undefined> {
  const { pipelineExecution } = await codepipeline.send(new GetPipelineExecutionCommand({ pipelineName, pipelineExecutionId }));
  return pipelineExecution?.status;
}

async function approvalToken(pipelineName: string): Promise<string> {
  const { stageStates } = await codepipeline.send(new GetPipelineStateCommand({ name: pipelineName }));
  const approval = stageStates?.find((stage) => stage.stageName === "Prod")?.actionStates?.find((action) => action.actionName === "Approve");
  return approval?.latestExecution?.token as string;
}

beforeAll(async () => {
  const config = emulatorClientConfig(emulator());
  codepipeline = inAccount(new CodePipelineClient(config), ACCOUNT);
  events = inAccount(new EventBridgeClient(config), ACCOUNT);
  sqs = inAccount(new SQSClient(config), ACCOUNT);
  const iam = inAccount(new IAMClient(config), ACCOUNT);
  const trust = { Statement: [{ Effect: "Allow", Principal: { Service: "codepipeline.amazonaws.com" }, Action: "sts:AssumeRole" }] };
  await iam.send(new CreateRoleCommand({ RoleName: "pipewright-codepipeline", AssumeRolePolicyDocument: JSON.stringify(trust) }));
  iam.destroy();
});

afterEach(async () => {
  await clearActionOutcomes(emulator());
});

afterAll(() => {
  for (const client of [codepipeline, events, sqs]) client?.destroy();
});

describe("AWS emulator: action outcomes", () => {
  test("Succeeded rules take an execution to its approval; approving it lets the execution succeed", async () => {
    const name = "pw-outcomes-succeed";
    await setActionOutcomes(emulator(), [{ pipeline: "pw-outcomes-*", outcome: "Succeeded", summary: "Done by the emulator" }]);
    const executionId = await createPipeline(name);

    const { stageStates } = await codepipeline.send(new GetPipelineStateCommand({ name }));
    expect(statuses(stageStates)).toEqual([
      ["Source", "Succeeded", [["GitHub", "Succeeded"]]],
      ["Build", "Succeeded", [["Build", "Succeeded"]]],
      [
        "Prod",
        "InProgress",
        [
          ["DeployCanary", "Succeeded"],
          ["Approve", "InProgress"],
          ["DeployAll", undefined],
        ],
      ],
    ]);
    expect(stageStates?.[1]?.actionStates?.[0]?.latestExecution?.summary).toBe("Done by the emulator");
    expect(await executionStatus(name, executionId)).toBe("InProgress");

    await codepipeline.send(
      new PutApprovalResultCommand({
        pipelineName: name,
        stageName: "Prod",
        actionName: "Approve",
        token: await approvalToken(name),
        result: { status: "Approved", summary: "Ship it" },
      }),
    );
    expect(await executionStatus(name, executionId)).toBe("Succeeded");
    const { actionExecutionDetails } = await codepipeline.send(
      new ListActionExecutionsCommand({ pipelineName: name, filter: { pipelineExecutionId: executionId } }),
    );
    expect(actionExecutionDetails?.map((detail) => [detail.actionName, detail.status]).reverse()).toEqual([
      ["GitHub", "Succeeded"],
      ["Build", "Succeeded"],
      ["DeployCanary", "Succeeded"],
      ["Approve", "Succeeded"],
      ["DeployAll", "Succeeded"],
    ]);
    // A CodeBuild action may publish no output variables; this one publishes none.
    const build = actionExecutionDetails?.find((detail) => detail.actionName === "Build");
    expect(build?.output).toMatchObject({ outputVariables: {}, executionResult: { externalExecutionSummary: "Done by the emulator" } });
    expect(build?.output?.executionResult?.errorDetails).toBeUndefined();
  });

  test("the first matching rule decides: a Failed one fails the action, its stage and the execution, with the summary", async () => {
    const name = "pw-outcomes-fail";
    await setActionOutcomes(emulator(), [
      { pipeline: name, stage: "Build", action: "Build", category: "Build", outcome: "Failed", summary: BUILD_FAILED },
      { pipeline: name, outcome: "Succeeded" },
    ]);
    const executionId = await createPipeline(name);

    expect(await executionStatus(name, executionId)).toBe("Failed");
    const { stageStates } = await codepipeline.send(new GetPipelineStateCommand({ name }));
    expect(statuses(stageStates)).toEqual([
      ["Source", "Succeeded", [["GitHub", "Succeeded"]]],
      ["Build", "Failed", [["Build", "Failed"]]],
      [
        "Prod",
        undefined,
        [
          ["DeployCanary", undefined],
          ["Approve", undefined],
          ["DeployAll", undefined],
        ],
      ],
    ]);
    expect(stageStates?.[1]?.actionStates?.[0]?.latestExecution).toMatchObject({
      summary: BUILD_FAILED,
      errorDetails: { code: "JobFailed", message: BUILD_FAILED },
    });
    const { actionExecutionDetails } = await codepipeline.send(
      new ListActionExecutionsCommand({ pipelineName: name, filter: { pipelineExecutionId: executionId } }),
    );
    expect(actionExecutionDetails?.map((detail) => [detail.actionName, detail.status])).toEqual([
      ["Build", "Failed"],
      ["GitHub", "Succeeded"],
    ]);
    expect(actionExecutionDetails?.[0]?.output?.executionResult).toEqual({
      externalExecutionSummary: BUILD_FAILED,
      errorDetails: { code: "JobFailed", message: BUILD_FAILED },
    });
  });

  test("a failed action's stage fails once its side-by-side actions have finished, none of them abandoned", async () => {
    const name = "pw-outcomes-side-by-side";
    const pipeline = declaration(name);
    // The approval runs beside the canary instead of after it.
    pipeline.stages = pipeline.stages?.map((stage) =>
      stage.name === "Prod"
        ? { ...stage, actions: stage.actions?.map((action) => ({ ...action, runOrder: action.name === "DeployAll" ? 2 : 1 })) }
        : stage,
    );
    await setActionOutcomes(emulator(), [
      { pipeline: name, action: "DeployCanary", outcome: "Failed", summary: "Canary alarm" },
      { pipeline: name, outcome: "Succeeded" },
    ]);
    await codepipeline.send(new CreatePipelineCommand({ pipeline }));
    const { pipelineExecutionSummaries } = await codepipeline.send(new ListPipelineExecutionsCommand({ pipelineName: name }));
    const executionId = pipelineExecutionSummaries?.[0]?.pipelineExecutionId as string;

    expect(await executionStatus(name, executionId)).toBe("InProgress");
    await codepipeline.send(
      new PutApprovalResultCommand({
        pipelineName: name,
        stageName: "Prod",
        actionName: "Approve",
        token: await approvalToken(name),
        result: { status: "Approved", summary: "ok" },
      }),
    );
    expect(await executionStatus(name, executionId)).toBe("Failed");
    const { stageStates } = await codepipeline.send(new GetPipelineStateCommand({ name }));
    expect(statuses(stageStates)[2]).toEqual([
      "Prod",
      "Failed",
      [
        ["DeployCanary", "Failed"],
        ["Approve", "Succeeded"],
        ["DeployAll", undefined],
      ],
    ]);
  });

  test("without a matching rule a build stays InProgress, as before, and so it does under an InProgress rule", async () => {
    const name = "pw-outcomes-none";
    await setActionOutcomes(emulator(), [{ pipeline: "another-pipeline-*", outcome: "Succeeded" }]);
    const unmatchedId = await createPipeline(name);
    // Rules decide an action when it starts: the build already running is left as it is.
    await setActionOutcomes(emulator(), [
      { pipeline: name, stage: "Build", outcome: "InProgress" },
      { pipeline: name, outcome: "Succeeded" },
    ]);
    const { pipelineExecutionId: inProgressId } = await codepipeline.send(new StartPipelineExecutionCommand({ name }));

    for (const executionId of [unmatchedId, inProgressId as string]) {
      expect(await executionStatus(name, executionId)).toBe("InProgress");
      const { actionExecutionDetails } = await codepipeline.send(
        new ListActionExecutionsCommand({ pipelineName: name, filter: { pipelineExecutionId: executionId } }),
      );
      expect(actionExecutionDetails?.map((detail) => [detail.actionName, detail.status])).toEqual([
        ["Build", "InProgress"],
        ["GitHub", "Succeeded"],
      ]);
    }
    const { stageStates } = await codepipeline.send(new GetPipelineStateCommand({ name }));
    expect(statuses(stageStates).slice(0, 2)).toEqual([
      ["Source", "Succeeded", [["GitHub", "Succeeded"]]],
      ["Build", "InProgress", [["Build", "InProgress"]]],
    ]);
    expect(stageStates?.[2]?.latestExecution).toBeUndefined();
  });

  test("GET answers the rules; DELETE clears them and answers what was set", async () => {
    const rules = [{ pipeline: "pipewright-*", category: "Deploy" as const, outcome: "Failed" as const, summary: "Deployment failed" }];
    await setActionOutcomes(emulator(), rules);
    const answered = await fetch(`${emulator().endpoint}/pipewright/action-outcomes`);
    expect(await answered.json()).toEqual({ rules });
    expect(await clearActionOutcomes(emulator())).toEqual(rules);
    expect(await clearActionOutcomes(emulator())).toEqual([]);
  });

  test.each([
    ["not an object", [], "the body must be a JSON object with one field, rules, a list of rules, not []"],
    ["rules not a list", { rules: { pipeline: "*" } }, "the body must be a JSON object with one field, rules"],
    [
      "no pipeline",
      { rules: [{ outcome: "Succeeded" }] },
      'rules[0].pipeline must be an fnmatch glob of pipeline names such as "pipewright-*", not null',
    ],
    [
      "an unknown outcome",
      { rules: [{ pipeline: "*", outcome: "Done" }] },
      'rules[0].outcome must be one of Succeeded, Failed, InProgress, not "Done"',
    ],
    [
      "an Approval category",
      {
        rules: [
          { pipeline: "*", outcome: "Succeeded" },
          { pipeline: "*", category: "Approval", outcome: "Succeeded" },
        ],
      },
      'rules[1].category must be one of Build, Deploy, Test, Invoke, Compute, not "Approval" (Source actions always succeed and Approval actions wait for PutApprovalResult)',
    ],
    [
      "an unknown field",
      { rules: [{ pipeline: "*", outcome: "Failed", status: "Failed" }] },
      "rules[0] has unknown fields status; a rule has only pipeline, stage, action, category, outcome, summary",
    ],
    ["a stage that is not a name", { rules: [{ pipeline: "*", stage: 3, outcome: "Failed" }] }, "rules[0].stage must be a non-empty string, not 3"],
  ])("refuses a body with %s (400), naming the problem and the fix, and keeps the rules", async (_, body, problem) => {
    await setActionOutcomes(emulator(), [{ pipeline: "kept-*", outcome: "Succeeded" }]);
    const refused = await fetch(`${emulator().endpoint}/pipewright/action-outcomes`, { method: "POST", body: JSON.stringify(body) });
    expect(refused.status).toBe(400);
    const { message } = (await refused.json()) as { message: string };
    expect(message).toContain(problem);
    expect(message).toContain(
      'Fix: POST /pipewright/action-outcomes with a body like {"rules": [{"pipeline": "pipewright-*", "stage": "Build", "outcome": "Succeeded"}]}',
    );
    expect(await clearActionOutcomes(emulator())).toEqual([{ pipeline: "kept-*", outcome: "Succeeded" }]);
  });

  test("setActionOutcomes throws with the emulator's answer", async () => {
    await expect(setActionOutcomes(emulator(), [{ pipeline: "", outcome: "Succeeded" }])).rejects.toThrow(
      /answered 400 .*rules\[0\]\.pipeline must be/,
    );
  });
});

describe("AWS emulator: CodePipeline events on the default bus", () => {
  test("an approved execution reports every change in order, in the format the notifier reads", async () => {
    const name = "pw-events-approved";
    const read = await eventsOf(name);
    await setActionOutcomes(emulator(), [{ pipeline: name, outcome: "Succeeded" }]);
    const executionId = await createPipeline(name);

    const untilApproval = await read();
    expect(changes(untilApproval)).toEqual([
      "pipeline STARTED",
      "stage Source STARTED",
      "action Source/GitHub STARTED",
      "action Source/GitHub SUCCEEDED",
      "stage Source SUCCEEDED",
      "stage Build STARTED",
      "action Build/Build STARTED",
      "action Build/Build SUCCEEDED",
      "stage Build SUCCEEDED",
      "stage Prod STARTED",
      "action Prod/DeployCanary STARTED",
      "action Prod/DeployCanary SUCCEEDED",
      "action Prod/Approve STARTED",
    ]);
    for (const event of untilApproval) {
      expect(event).toMatchObject({
        source: "aws.codepipeline",
        account: ACCOUNT,
        region: EMULATOR_REGION,
        resources: [`arn:aws:codepipeline:${EMULATOR_REGION}:${ACCOUNT}:${name}`],
        detail: { pipeline: name, "execution-id": executionId, version: 1, "pipeline-execution-attempt": 1 },
      });
      expect(event.detail["start-time"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    expect(untilApproval[0]?.detail).toMatchObject({
      "execution-trigger": { "trigger-type": "CreatePipeline", "trigger-detail": expect.any(String) },
    });
    expect(untilApproval[3]?.detail).toMatchObject({
      type: { owner: "AWS", provider: "CodeStarSourceConnection", category: "Source", version: "1" },
      region: EMULATOR_REGION,
      "execution-result": { "external-execution-id": expect.stringMatching(/^[0-9a-f]{40}$/) },
    });
    expect(untilApproval[12]?.detail).toMatchObject({
      stage: "Prod",
      action: "Approve",
      state: "STARTED",
      type: { owner: "AWS", provider: "Manual", category: "Approval", version: "1" },
    });

    await codepipeline.send(
      new PutApprovalResultCommand({
        pipelineName: name,
        stageName: "Prod",
        actionName: "Approve",
        token: await approvalToken(name),
        result: { status: "Approved", summary: "Ship it" },
      }),
    );
    const afterApproval = await read();
    expect(changes(afterApproval)).toEqual([
      "action Prod/Approve SUCCEEDED",
      "action Prod/DeployAll STARTED",
      "action Prod/DeployAll SUCCEEDED",
      "stage Prod SUCCEEDED",
      "pipeline SUCCEEDED",
    ]);
    expect(afterApproval[0]?.detail).toMatchObject({ "execution-result": { "external-execution-summary": "Ship it" } });
  });

  test("a failed build and a rejected approval end with the action, the stage and the execution FAILED", async () => {
    const failing = "pw-events-build-failed";
    const readFailing = await eventsOf(failing);
    await setActionOutcomes(emulator(), [{ pipeline: failing, outcome: "Failed", summary: BUILD_FAILED }]);
    await createPipeline(failing);
    const failed = await readFailing();
    expect(changes(failed).slice(-5)).toEqual([
      "stage Build STARTED",
      "action Build/Build STARTED",
      "action Build/Build FAILED",
      "stage Build FAILED",
      "pipeline FAILED",
    ]);
    expect(failed.at(-3)?.detail).toMatchObject({
      type: { provider: "CodeBuild", category: "Build" },
      "execution-result": { "external-execution-summary": BUILD_FAILED, "error-code": "JobFailed" },
    });

    const rejected = "pw-events-rejected";
    const readRejected = await eventsOf(rejected);
    await setActionOutcomes(emulator(), [{ pipeline: rejected, outcome: "Succeeded" }]);
    await createPipeline(rejected);
    await readRejected();
    await codepipeline.send(
      new PutApprovalResultCommand({
        pipelineName: rejected,
        stageName: "Prod",
        actionName: "Approve",
        token: await approvalToken(rejected),
        result: { status: "Rejected", summary: "Not today" },
      }),
    );
    expect(changes(await readRejected())).toEqual(["action Prod/Approve FAILED", "stage Prod FAILED", "pipeline FAILED"]);
  });

  test("a scheduled rule on the default bus is not fired by them: it runs on its schedule only", async () => {
    const name = "pw-events-scheduled";
    const read = await eventsOf(name);
    const { QueueUrl: scheduledQueue } = await sqs.send(new CreateQueueCommand({ QueueName: `scheduled-${name}` }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: scheduledQueue, AttributeNames: ["QueueArn"] }));
    await events.send(new PutRuleCommand({ Name: `scheduled-${name}`, ScheduleExpression: "rate(15 minutes)" }));
    await events.send(new PutTargetsCommand({ Rule: `scheduled-${name}`, Targets: [{ Id: "queue", Arn: Attributes?.QueueArn }] }));

    await createPipeline(name);
    expect(changes(await read())).toContain("pipeline STARTED");
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: scheduledQueue, MaxNumberOfMessages: 10 }));
    expect(Messages).toEqual([]);
  });

  test("stopping reports STOPPING, the abandoned action, then the stage and the execution STOPPED", async () => {
    const name = "pw-events-stopped";
    const read = await eventsOf(name);
    const executionId = await createPipeline(name);
    expect(changes(await read()).at(-1)).toBe("action Build/Build STARTED");

    const stop = (abandon: boolean) =>
      codepipeline.send(new StopPipelineExecutionCommand({ pipelineName: name, pipelineExecutionId: executionId, abandon }));
    await stop(false);
    expect(changes(await read())).toEqual(["pipeline STOPPING"]);
    await stop(true);
    expect(changes(await read())).toEqual(["action Build/Build ABANDONED", "stage Build STOPPED", "pipeline STOPPED"]);
  });
});
