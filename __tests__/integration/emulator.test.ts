/**
 * The AWS emulator (sandbox/emulator) seen through the real AWS SDK v3: what pipewright's
 * other integration tests rely on. Each test uses its own pipeline, so they do not depend
 * on each other's order.
 */
import {
  CodePipelineClient,
  CreatePipelineCommand,
  DeletePipelineCommand,
  GetPipelineCommand,
  GetPipelineExecutionCommand,
  GetPipelineStateCommand,
  ListActionExecutionsCommand,
  ListPipelineExecutionsCommand,
  ListPipelinesCommand,
  type PipelineDeclaration,
  PutApprovalResultCommand,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
} from "@aws-sdk/client-codepipeline";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { emulatorClientConfig, inAccount, lifecycleHookStatuses } from "../../sandbox/emulator";
import { callJsonApi, useEmulator } from "../support/emulator";

const ACCOUNT_A = "111111111111";
const ACCOUNT_B = "222222222222";
const ARTIFACT_BUCKET = "pipewright-emulator-artifacts";
const COMMIT = "9f0c2b7e4d1a3c5b6e8f0a1b2c3d4e5f6a7b8c9d";
const CONNECTION_ARN = "arn:aws:codeconnections:us-east-1:111111111111:connection/0f1e2d3c-aaaa-bbbb-cccc-123456789012";
const SOURCE_KEY = /^[A-Za-z0-9-]{1,20}\/SourceArti\/[A-Za-z0-9]{7}$/;

const emulator = useEmulator();
let pipelinesA: CodePipelineClient;
let pipelinesB: CodePipelineClient;
let s3A: S3Client;

/** A V2 pipeline: a CodeConnections source, then a manual approval. Names are >20 chars on purpose. */
function declaration(name: string, account = ACCOUNT_A): PipelineDeclaration {
  return {
    name,
    roleArn: `arn:aws:iam::${account}:role/pipewright-codepipeline`,
    pipelineType: "V2",
    executionMode: "SUPERSEDED",
    artifactStore: { type: "S3", location: ARTIFACT_BUCKET },
    variables: [{ name: "PR_NUMBER", defaultValue: "0" }],
    stages: [
      {
        name: "Source",
        actions: [
          {
            name: "GitHub",
            actionTypeId: { category: "Source", owner: "AWS", provider: "CodeStarSourceConnection", version: "1" },
            configuration: {
              ConnectionArn: CONNECTION_ARN,
              FullRepositoryId: "acme/monorepo",
              BranchName: "main",
            },
            outputArtifacts: [{ name: "SourceArtifact" }],
            namespace: "SourceVariables",
          },
        ],
      },
      {
        name: "Approval",
        actions: [
          {
            name: "ManualApproval",
            actionTypeId: { category: "Approval", owner: "AWS", provider: "Manual", version: "1" },
            configuration: { CustomData: "PR #{variables.PR_NUMBER}" },
          },
        ],
      },
    ],
  };
}

async function createPipeline(name: string): Promise<string> {
  await pipelinesA.send(new CreatePipelineCommand({ pipeline: declaration(name) }));
  const { pipelineExecutionSummaries } = await pipelinesA.send(new ListPipelineExecutionsCommand({ pipelineName: name }));
  return pipelineExecutionSummaries?.[0]?.pipelineExecutionId as string;
}

async function createPipelineRole(accountId: string): Promise<void> {
  const trust = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "codepipeline.amazonaws.com" }, Action: "sts:AssumeRole" }],
  };
  const iam = inAccount(new IAMClient(emulatorClientConfig(emulator())), accountId);
  try {
    await iam.send(new CreateRoleCommand({ RoleName: "pipewright-codepipeline", AssumeRolePolicyDocument: JSON.stringify(trust) }));
  } finally {
    iam.destroy();
  }
}

async function expectAwsError(call: Promise<unknown>, name: string): Promise<void> {
  await expect(call).rejects.toMatchObject({ name, $metadata: { httpStatusCode: 400 } });
}

async function sourceArtifactKeys(pipelineName: string): Promise<string[]> {
  const listing = await s3A.send(new ListObjectsV2Command({ Bucket: ARTIFACT_BUCKET, Prefix: `${pipelineName.slice(0, 20)}/` }));
  return (listing.Contents ?? []).map((object) => object.Key as string);
}

async function executionStatus(pipelineName: string, pipelineExecutionId: string): Promise<string | undefined> {
  const { pipelineExecution } = await pipelinesA.send(new GetPipelineExecutionCommand({ pipelineName, pipelineExecutionId }));
  return pipelineExecution?.status;
}

beforeAll(async () => {
  const config = emulatorClientConfig(emulator());
  pipelinesA = inAccount(new CodePipelineClient(config), ACCOUNT_A);
  pipelinesB = inAccount(new CodePipelineClient(config), ACCOUNT_B);
  s3A = inAccount(new S3Client(config), ACCOUNT_A);
  await Promise.all([createPipelineRole(ACCOUNT_A), createPipelineRole(ACCOUNT_B)]);
  await s3A.send(new CreateBucketCommand({ Bucket: ARTIFACT_BUCKET }));
});

afterAll(() => {
  for (const client of [pipelinesA, pipelinesB, s3A]) client?.destroy();
});

describe("AWS emulator: CodePipeline", () => {
  test("CreatePipeline of a V2 pipeline parses in the SDK and starts one execution by itself", async () => {
    const name = "pw-create-v2-pipeline-with-approval";
    const before = Date.now();
    const created = await pipelinesA.send(new CreatePipelineCommand({ pipeline: declaration(name) }));
    expect(created.pipeline).toMatchObject({ pipelineType: "V2", executionMode: "SUPERSEDED", version: 1 });

    // Stock moto sends ISO strings here, which the SDK refuses to deserialize.
    const { metadata } = await pipelinesA.send(new GetPipelineCommand({ name }));
    expect(metadata?.created).toBeInstanceOf(Date);
    expect(Math.abs((metadata?.created?.getTime() ?? 0) - before)).toBeLessThan(60_000);

    const { pipelineExecutionSummaries } = await pipelinesA.send(new ListPipelineExecutionsCommand({ pipelineName: name }));
    expect(pipelineExecutionSummaries).toHaveLength(1);
    expect(pipelineExecutionSummaries?.[0]).toMatchObject({
      status: "InProgress",
      trigger: { triggerType: "CreatePipeline" },
      executionMode: "SUPERSEDED",
      executionType: "STANDARD",
    });
    expect(pipelineExecutionSummaries?.[0]?.startTime).toBeInstanceOf(Date);
  });

  test("a run leaves its source artifact under CodePipeline's truncated key, and ListActionExecutions names it", async () => {
    const name = "pw-artifacts-pipeline-for-cleanup";
    const executionId = await createPipeline(name);

    const keys = await sourceArtifactKeys(name);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(SOURCE_KEY);
    expect(keys[0]?.startsWith("pw-artifacts-pipelin/SourceArti/")).toBe(true);

    const { actionExecutionDetails } = await pipelinesA.send(
      new ListActionExecutionsCommand({ pipelineName: name, filter: { pipelineExecutionId: executionId } }),
    );
    const source = actionExecutionDetails?.find((detail) => detail.stageName === "Source");
    expect(source).toMatchObject({
      pipelineExecutionId: executionId,
      actionName: "GitHub",
      status: "Succeeded",
      input: { actionTypeId: { category: "Source", provider: "CodeStarSourceConnection" } },
      output: {
        outputArtifacts: [{ name: "SourceArtifact", s3location: { bucket: ARTIFACT_BUCKET, key: keys[0] } }],
      },
    });
    expect(source?.output?.outputVariables).toEqual({
      CommitId: expect.stringMatching(/^[0-9a-f]{40}$/),
      BranchName: "main",
      FullRepositoryName: "acme/monorepo",
      ConnectionArn: CONNECTION_ARN,
    });
    expect(source?.startTime).toBeInstanceOf(Date);
    // The approval stage has started too, and waits.
    const approval = actionExecutionDetails?.find((detail) => detail.stageName === "Approval");
    expect(approval).toMatchObject({
      status: "InProgress",
      input: { resolvedConfiguration: { CustomData: "PR 0" } },
    });
  });

  test("StartPipelineExecution pinned to a commit is idempotent per clientRequestToken", async () => {
    const name = "pw-start-pinned-idempotent-pipeline";
    const createdId = await createPipeline(name);
    const start = new StartPipelineExecutionCommand({
      name,
      clientRequestToken: "pr-42-head-9f0c2b7",
      sourceRevisions: [{ actionName: "GitHub", revisionType: "COMMIT_ID", revisionValue: COMMIT }],
      variables: [{ name: "PR_NUMBER", value: "42" }],
    });

    const first = await pipelinesA.send(start);
    const again = await pipelinesA.send(start);
    expect(again.pipelineExecutionId).toBe(first.pipelineExecutionId);

    const { pipelineExecutionSummaries } = await pipelinesA.send(new ListPipelineExecutionsCommand({ pipelineName: name }));
    expect(pipelineExecutionSummaries?.map((summary) => summary.pipelineExecutionId)).toEqual([first.pipelineExecutionId, createdId]);
    expect(pipelineExecutionSummaries?.[0]?.sourceRevisions).toEqual([{ actionName: "GitHub", revisionId: COMMIT }]);
    expect(await sourceArtifactKeys(name)).toHaveLength(2);

    const { pipelineExecution } = await pipelinesA.send(
      new GetPipelineExecutionCommand({ pipelineName: name, pipelineExecutionId: first.pipelineExecutionId }),
    );
    expect(pipelineExecution).toMatchObject({
      pipelineName: name,
      pipelineVersion: 1,
      status: "InProgress",
      artifactRevisions: [{ name: "SourceArtifact", revisionId: COMMIT }],
      variables: [{ name: "PR_NUMBER", resolvedValue: "42" }],
      trigger: { triggerType: "StartPipelineExecution" },
      executionMode: "SUPERSEDED",
      executionType: "STANDARD",
    });
  });

  test("CreatePipeline of a name in use answers PipelineNameInUseException and starts nothing", async () => {
    const name = "pw-create-name-in-use-pipeline";
    const createdId = await createPipeline(name);
    await expectAwsError(pipelinesA.send(new CreatePipelineCommand({ pipeline: declaration(name) })), "PipelineNameInUseException");
    const { pipelineExecutionSummaries } = await pipelinesA.send(new ListPipelineExecutionsCommand({ pipelineName: name }));
    expect(pipelineExecutionSummaries?.map((summary) => summary.pipelineExecutionId)).toEqual([createdId]);
  });

  test("ListPipelineExecutions pages newest first", async () => {
    const name = "pw-list-executions-paging-pipeline";
    const createdId = await createPipeline(name);
    const { pipelineExecutionId: startedId } = await pipelinesA.send(new StartPipelineExecutionCommand({ name }));

    const page1 = await pipelinesA.send(new ListPipelineExecutionsCommand({ pipelineName: name, maxResults: 1 }));
    expect(page1.pipelineExecutionSummaries?.map((s) => s.pipelineExecutionId)).toEqual([startedId]);
    expect(page1.nextToken).toBeDefined();
    const page2 = await pipelinesA.send(new ListPipelineExecutionsCommand({ pipelineName: name, maxResults: 1, nextToken: page1.nextToken }));
    expect(page2.pipelineExecutionSummaries?.map((s) => s.pipelineExecutionId)).toEqual([createdId]);
    expect(page2.nextToken).toBeUndefined();
  });

  test("StartPipelineExecution rejects what AWS rejects", async () => {
    const name = "pw-start-validation-pipeline";
    await createPipeline(name);
    await expectAwsError(pipelinesA.send(new StartPipelineExecutionCommand({ name, clientRequestToken: "not_valid!" })), "ValidationException");
    await expectAwsError(
      pipelinesA.send(
        new StartPipelineExecutionCommand({
          name,
          sourceRevisions: [{ actionName: "GitHub", revisionType: "IMAGE_DIGEST", revisionValue: "sha256:ab" }],
        }),
      ),
      "ValidationException",
    );
    await expectAwsError(
      pipelinesA.send(new StartPipelineExecutionCommand({ name, variables: [{ name: "UNDECLARED", value: "1" }] })),
      "ValidationException",
    );
    await expectAwsError(pipelinesA.send(new StartPipelineExecutionCommand({ name: "pw-no-such-pipeline" })), "PipelineNotFoundException");
    const { pipelineExecutionSummaries } = await pipelinesA.send(new ListPipelineExecutionsCommand({ pipelineName: name }));
    expect(pipelineExecutionSummaries).toHaveLength(1);
  });

  test("GetPipelineState hands out the approval token; PutApprovalResult lets the run finish", async () => {
    const name = "pw-approval-pipeline-for-state";
    const executionId = await createPipeline(name);

    const state = await pipelinesA.send(new GetPipelineStateCommand({ name }));
    expect(state.stageStates?.map((stage) => [stage.stageName, stage.latestExecution?.status])).toEqual([
      ["Source", "Succeeded"],
      ["Approval", "InProgress"],
    ]);
    expect(state.stageStates?.[1]?.latestExecution?.pipelineExecutionId).toBe(executionId);
    const approval = state.stageStates?.[1]?.actionStates?.[0];
    expect(approval?.actionName).toBe("ManualApproval");
    const token = approval?.latestExecution?.token as string;
    expect(token).toMatch(/^[0-9a-f-]{36}$/);

    await expectAwsError(
      pipelinesA.send(
        new PutApprovalResultCommand({
          pipelineName: name,
          stageName: "Approval",
          actionName: "NoSuchAction",
          token,
          result: { status: "Approved", summary: "ok" },
        }),
      ),
      "ActionNotFoundException",
    );
    const approve = new PutApprovalResultCommand({
      pipelineName: name,
      stageName: "Approval",
      actionName: "ManualApproval",
      token,
      result: { status: "Approved", summary: "Looks good" },
    });
    const { approvedAt } = await pipelinesA.send(approve);
    expect(approvedAt).toBeInstanceOf(Date);
    expect(await executionStatus(name, executionId)).toBe("Succeeded");
    await expectAwsError(pipelinesA.send(approve), "ApprovalAlreadyCompletedException");

    const after = await pipelinesA.send(new GetPipelineStateCommand({ name }));
    expect(after.stageStates?.[1]?.latestExecution?.status).toBe("Succeeded");
    expect(after.stageStates?.[1]?.actionStates?.[0]?.latestExecution).toMatchObject({
      status: "Succeeded",
      summary: "Looks good",
    });
  });

  test("a rejected approval fails the run", async () => {
    const name = "pw-rejected-approval-pipeline";
    const executionId = await createPipeline(name);
    const state = await pipelinesA.send(new GetPipelineStateCommand({ name }));
    await pipelinesA.send(
      new PutApprovalResultCommand({
        pipelineName: name,
        stageName: "Approval",
        actionName: "ManualApproval",
        token: state.stageStates?.[1]?.actionStates?.[0]?.latestExecution?.token,
        result: { status: "Rejected", summary: "No" },
      }),
    );
    expect(await executionStatus(name, executionId)).toBe("Failed");
  });

  test("StopPipelineExecution: stop-and-wait goes through Stopping, abandon stops, a finished run is not stoppable", async () => {
    const name = "pw-stop-execution-pipeline";
    const executionId = await createPipeline(name);
    const stop = (abandon: boolean) =>
      pipelinesA.send(
        new StopPipelineExecutionCommand({
          pipelineName: name,
          pipelineExecutionId: executionId,
          abandon,
          reason: "Superseded by a newer commit",
        }),
      );

    expect((await stop(false)).pipelineExecutionId).toBe(executionId);
    // The approval is still waiting, so the run cannot reach Stopped yet.
    expect(await executionStatus(name, executionId)).toBe("Stopping");
    await expectAwsError(stop(false), "DuplicatedStopRequestException");

    await stop(true);
    expect(await executionStatus(name, executionId)).toBe("Stopped");
    const { pipelineExecutionSummaries } = await pipelinesA.send(new ListPipelineExecutionsCommand({ pipelineName: name }));
    expect(pipelineExecutionSummaries?.[0]?.stopTrigger).toEqual({ reason: "Superseded by a newer commit" });
    const { actionExecutionDetails } = await pipelinesA.send(
      new ListActionExecutionsCommand({ pipelineName: name, filter: { pipelineExecutionId: executionId } }),
    );
    expect(actionExecutionDetails?.find((detail) => detail.stageName === "Approval")?.status).toBe("Abandoned");

    await expectAwsError(stop(true), "PipelineExecutionNotStoppableException");
  });

  test("DeletePipeline drops the executions but, as in AWS, not the artifacts", async () => {
    const name = "pw-delete-pipeline-drops-executions";
    const executionId = await createPipeline(name);
    await pipelinesA.send(new DeletePipelineCommand({ name }));
    await expectAwsError(pipelinesA.send(new ListPipelineExecutionsCommand({ pipelineName: name })), "PipelineNotFoundException");

    const recreatedId = await createPipeline(name);
    const { pipelineExecutionSummaries } = await pipelinesA.send(new ListPipelineExecutionsCommand({ pipelineName: name }));
    expect(pipelineExecutionSummaries?.map((summary) => summary.pipelineExecutionId)).toEqual([recreatedId]);
    await expectAwsError(
      pipelinesA.send(new GetPipelineExecutionCommand({ pipelineName: name, pipelineExecutionId: executionId })),
      "PipelineExecutionNotFoundException",
    );
    expect(await sourceArtifactKeys(name)).toHaveLength(2);
  });

  test("accounts are isolated", async () => {
    const name = "pw-account-isolation-pipeline";
    const executionIdA = await createPipeline(name);

    await expectAwsError(pipelinesB.send(new GetPipelineCommand({ name })), "PipelineNotFoundException");
    await expectAwsError(pipelinesB.send(new StartPipelineExecutionCommand({ name })), "PipelineNotFoundException");
    const { pipelines } = await pipelinesB.send(new ListPipelinesCommand({}));
    expect(pipelines?.map((pipeline) => pipeline.name)).not.toContain(name);

    // The same name in account B is another pipeline, with runs of its own. B has no
    // artifact bucket of that name, so the source artifact is simply not stored.
    await pipelinesB.send(new CreatePipelineCommand({ pipeline: declaration(name, ACCOUNT_B) }));
    const { pipelineExecutionSummaries } = await pipelinesB.send(new ListPipelineExecutionsCommand({ pipelineName: name }));
    expect(pipelineExecutionSummaries).toHaveLength(1);
    expect(pipelineExecutionSummaries?.[0]?.pipelineExecutionId).not.toBe(executionIdA);
    await expectAwsError(
      pipelinesB.send(new GetPipelineExecutionCommand({ pipelineName: name, pipelineExecutionId: executionIdA })),
      "PipelineExecutionNotFoundException",
    );
  });
});

describe("AWS emulator: CodeDeploy and CodeBuild timestamps", () => {
  test("are epoch-second JSON numbers, as the SDKs and the Terraform provider expect", async () => {
    const call = (service: string, target: string, input: object) => callJsonApi(emulator(), { service, target, input, accountId: ACCOUNT_A });
    await call("codedeploy", "CodeDeploy_20141006.CreateApplication", {
      applicationName: "pw-timestamps",
      computePlatform: "Lambda",
    });
    const application = await call("codedeploy", "CodeDeploy_20141006.GetApplication", {
      applicationName: "pw-timestamps",
    });
    expect(typeof JSON.parse(application.body).application.createTime).toBe("number");

    await call("codebuild", "CodeBuild_20161006.CreateProject", {
      name: "pw-timestamps",
      source: { type: "S3", location: `${ARTIFACT_BUCKET}/source.zip` },
      artifacts: { type: "NO_ARTIFACTS" },
      environment: { type: "LINUX_CONTAINER", image: "aws/codebuild/standard:7.0", computeType: "BUILD_GENERAL1_SMALL" },
      serviceRole: `arn:aws:iam::${ACCOUNT_A}:role/pipewright-codepipeline`,
    });
    const started = await call("codebuild", "CodeBuild_20161006.StartBuild", { projectName: "pw-timestamps" });
    const { build } = JSON.parse(started.body);
    expect(typeof build.startTime).toBe("number");
    const fetched = await call("codebuild", "CodeBuild_20161006.BatchGetBuilds", { ids: [build.id] });
    const [finished] = JSON.parse(fetched.body).builds;
    expect(typeof finished.endTime).toBe("number");
    expect(finished.endTime).toBeGreaterThan(build.startTime);
  });
});

describe("AWS emulator: CodeDeploy lifecycle hooks", () => {
  const report = (input: object, accountId = ACCOUNT_A) =>
    callJsonApi(emulator(), {
      service: "codedeploy",
      accountId,
      target: "CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus",
      input,
    });

  test("PutLifecycleEventHookExecutionStatus is recorded and readable by tests", async () => {
    const input = { deploymentId: "d-EMULATOR1", lifecycleEventHookExecutionId: "hook-before-allow", status: "Succeeded" };
    const response = await report(input, ACCOUNT_B);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ lifecycleEventHookExecutionId: "hook-before-allow" });

    const recorded = await lifecycleHookStatuses(emulator());
    expect(recorded).toContainEqual({
      accountId: ACCOUNT_B,
      region: "us-east-1",
      deploymentId: "d-EMULATOR1",
      lifecycleEventHookExecutionId: "hook-before-allow",
      status: "Succeeded",
      reportedAt: expect.any(Number),
    });

    // A hook's verdict is final.
    const twice = await report({ ...input, status: "Failed" }, ACCOUNT_B);
    expect(twice.status).toBe(400);
    expect(JSON.parse(twice.body)).toMatchObject({ __type: "LifecycleEventAlreadyCompletedException" });
  });

  test("a status other than Succeeded or Failed is rejected, as AWS does", async () => {
    const response = await report({
      deploymentId: "d-EMULATOR2",
      lifecycleEventHookExecutionId: "hook-after-allow",
      status: "Skipped",
    });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      __type: "InvalidLifecycleEventHookExecutionStatusException",
      message: expect.stringContaining("Skipped"),
    });
    const recorded = await lifecycleHookStatuses(emulator());
    expect(recorded.map((r) => r.deploymentId)).not.toContain("d-EMULATOR2");
  });
});
