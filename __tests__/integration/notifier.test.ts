/**
 * The notifier against the AWS emulator: the real handler, the real CodePipeline reads
 * (executions, action executions, tags, previous executions) and the real SNS publish to a
 * KMS-encrypted topic, read back from an SQS queue subscribed to it. GitHub is a local fake
 * server; Slack is not configured. Events are built in the shape CodePipeline puts on the
 * default bus (see __tests__/fixtures/codepipeline-events). Two repositories: the world's
 * monorepo (its orders pipeline) and a billing repository whose pipeline the tests drive.
 */
import { randomUUID } from "node:crypto";
import {
  type CodePipelineClient,
  CreatePipelineCommand,
  GetPipelineStateCommand,
  type PipelineDeclaration,
  PutApprovalResultCommand,
  StartPipelineExecutionCommand,
} from "@aws-sdk/client-codepipeline";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { EventBridgeEvent } from "aws-lambda";
import { CodePipelineFacts, SnsTopicPublisher } from "../../functions/notifier/aws";
import { parseNotifyStates } from "../../functions/notifier/config";
import { GitHubCommitStatuses } from "../../functions/notifier/github";
import { makeHandler, type NotifierResult } from "../../functions/notifier/handler";
import { PR_TAG_KEYS } from "../../functions/notifier/identity";
import { CODEPIPELINE_DETAIL_TYPES } from "../../functions/shared/codepipeline-events";
import { gitHubClientSource } from "../../functions/shared/github/client";
import { RepositoryCatalog } from "../../functions/shared/repositories";
import { emulatorClientConfig, inAccount } from "../../sandbox/emulator";
import { useEmulator } from "../support/emulator";
import { FakeHttpServer } from "../support/fake-http";
import {
  ARTIFACT_BUCKET,
  BUILD_ACCOUNT,
  commit,
  CONNECTION_ARN,
  createWorld,
  MAIN_PIPELINES,
  PIPELINE_ROLE_ARN,
  recordingLogger,
  REGION,
  REPOSITORY,
  type World,
} from "./support/pipewright-world";

const emulator = useEmulator();
let world: World;
let codepipeline: CodePipelineClient;
let sns: SNSClient;
let sqs: SQSClient;
let queueUrl: string;
let topicArn: string;
let github: FakeHttpServer;
let notify: (event: EventBridgeEvent<string, unknown>) => Promise<NotifierResult>;
const logger = recordingLogger();

const SERVICE = "billing";
const MAIN = `pipewright-${SERVICE}`;
const PR = `${MAIN}-pr-7`;
const APPROVAL_NOTE = "Review the prod change set of pipewright-billing";
/** The repository of the billing pipeline; the world's REPOSITORY holds the orders pipeline. */
const BILLING_REPOSITORY = "acme-corp/billing";
const ORDERS = MAIN_PIPELINES[0] as string;

/** The repository catalog as the stacks bundle it with the notifier. */
const CATALOG = RepositoryCatalog.from({
  repositories: [
    {
      repository: REPOSITORY,
      mainBranch: "main",
      forkLabel: "safe-to-test",
      services: [{ name: "orders", pipeline: ORDERS, include: ["services/orders/**"] }],
    },
    { repository: BILLING_REPOSITORY, mainBranch: "main", forkLabel: "safe-to-test", services: [{ name: SERVICE, pipeline: MAIN, include: ["**"] }] },
  ],
});

/** Source from GitHub, then a prod stage whose manual approval the tests answer. */
function approvalPipeline(name: string, artifactKeyArn: string): PipelineDeclaration {
  return {
    name,
    roleArn: PIPELINE_ROLE_ARN,
    pipelineType: "V2",
    executionMode: "QUEUED",
    artifactStore: { type: "S3", location: ARTIFACT_BUCKET, encryptionKey: { id: artifactKeyArn, type: "KMS" } },
    stages: [
      {
        name: "Source",
        actions: [
          {
            name: "Source",
            actionTypeId: { category: "Source", owner: "AWS", provider: "CodeStarSourceConnection", version: "1" },
            configuration: { ConnectionArn: CONNECTION_ARN, FullRepositoryId: BILLING_REPOSITORY, BranchName: "main", DetectChanges: "false" },
            outputArtifacts: [{ name: "SourceOutput" }],
          },
        ],
      },
      {
        name: "Prod",
        actions: [
          {
            name: "Approve",
            actionTypeId: { category: "Approval", owner: "AWS", provider: "Manual", version: "1" },
            configuration: { CustomData: APPROVAL_NOTE },
          },
        ],
      },
    ],
  };
}

beforeAll(async () => {
  world = await createWorld(emulator());
  codepipeline = world.clients().codepipeline;
  const config = emulatorClientConfig(emulator());
  sns = inAccount(new SNSClient(config), BUILD_ACCOUNT);
  sqs = inAccount(new SQSClient(config), BUILD_ACCOUNT);

  await codepipeline.send(new CreatePipelineCommand({ pipeline: approvalPipeline(MAIN, world.artifactKeyArn) }));
  await codepipeline.send(
    new CreatePipelineCommand({
      pipeline: approvalPipeline(PR, world.artifactKeyArn),
      tags: [
        { key: PR_TAG_KEYS.repository, value: BILLING_REPOSITORY },
        { key: PR_TAG_KEYS.pullRequest, value: "7" },
        { key: PR_TAG_KEYS.headSha, value: commit("pr-7-head") },
        { key: PR_TAG_KEYS.basePipeline, value: MAIN },
      ],
    }),
  );

  // The notifications topic, encrypted with the platform key as the construct creates it.
  const topic = await sns.send(new CreateTopicCommand({ Name: "pipewright-notifications", Attributes: { KmsMasterKeyId: world.artifactKeyArn } }));
  topicArn = topic.TopicArn as string;
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: "notifications-inbox" }));
  queueUrl = queue.QueueUrl as string;
  const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: attributes.Attributes?.QueueArn }));

  github = await FakeHttpServer.start(() => ({ status: 201, body: {} }));
  notify = makeHandler({
    config: {
      pipelinePrefix: "pipewright-",
      catalog: CATALOG,
      notifyStates: parseNotifyStates(undefined),
      githubApiUrl: github.url,
    },
    facts: new CodePipelineFacts(codepipeline),
    topic: new SnsTopicPublisher(sns, topicArn),
    commitStatuses: new GitHubCommitStatuses({
      client: gitHubClientSource(async () => ({ kind: "token", token: "ghp_test" }), {
        baseUrl: github.url,
        userAgent: "pipewright-notifier",
        policy: { retryBaseDelayMs: 1 },
      }),
    }),
    logger,
  });
});

afterAll(async () => {
  await github?.stop();
  sns?.destroy();
  sqs?.destroy();
  world?.destroy();
});

afterEach(() => {
  github.requests.length = 0;
});

function codePipelineEvent(detailType: string, pipeline: string, detail: Record<string, unknown>): EventBridgeEvent<string, unknown> {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": detailType,
    source: "aws.codepipeline",
    account: BUILD_ACCOUNT,
    time: new Date().toISOString(),
    region: REGION,
    resources: [`arn:aws:codepipeline:${REGION}:${BUILD_ACCOUNT}:${pipeline}`],
    detail: { pipeline, version: 1, ...detail },
  };
}

const pipelineChanged = (pipeline: string, executionId: string, state: string) =>
  codePipelineEvent(CODEPIPELINE_DETAIL_TYPES.pipeline, pipeline, {
    "execution-id": executionId,
    "execution-trigger": { "trigger-type": "StartPipelineExecution", "trigger-detail": PIPELINE_ROLE_ARN },
    state,
  });

const approvalWaiting = (pipeline: string, executionId: string) =>
  codePipelineEvent(CODEPIPELINE_DETAIL_TYPES.action, pipeline, {
    "execution-id": executionId,
    stage: "Prod",
    action: "Approve",
    state: "STARTED",
    region: REGION,
    type: { owner: "AWS", provider: "Manual", category: "Approval", version: "1" },
  });

async function start(pipeline: string, sha: string): Promise<string> {
  const { pipelineExecutionId } = await codepipeline.send(
    new StartPipelineExecutionCommand({
      name: pipeline,
      clientRequestToken: randomUUID(),
      sourceRevisions: [{ actionName: "Source", revisionType: "COMMIT_ID", revisionValue: sha }],
    }),
  );
  return pipelineExecutionId as string;
}

async function answerApproval(pipeline: string, executionId: string, status: "Approved" | "Rejected", summary: string): Promise<void> {
  const state = await codepipeline.send(new GetPipelineStateCommand({ name: pipeline }));
  const prod = state.stageStates?.find((stage) => stage.stageName === "Prod");
  const approval = prod?.actionStates?.find((action) => action.actionName === "Approve");
  const token = approval?.latestExecution?.token;
  if (!token || prod?.latestExecution?.pipelineExecutionId !== executionId) {
    throw new Error(`No approval of execution ${executionId} is waiting in ${pipeline}`);
  }
  await codepipeline.send(
    new PutApprovalResultCommand({ pipelineName: pipeline, stageName: "Prod", actionName: "Approve", token, result: { status, summary } }),
  );
}

interface Delivered {
  Subject: string;
  Message: string;
  TopicArn: string;
}

/** The SNS notifications the queue received, oldest first, waiting up to `waitSeconds` for the first one. */
async function receive(waitSeconds = 2): Promise<Delivered[]> {
  const delivered: Delivered[] = [];
  for (;;) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: delivered.length === 0 ? waitSeconds : 0 }),
    );
    if (!Messages || Messages.length === 0) return delivered;
    for (const message of Messages) {
      delivered.push(JSON.parse(message.Body as string) as Delivered);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
}

function statusesPosted(): Array<{ repository: string; sha: string; state: string; context: string; description: string }> {
  return github.requests
    .map((request) => ({ request, path: /^\/repos\/([^/]+\/[^/]+)\/statuses\/([0-9a-f]+)$/.exec(request.path) }))
    .filter(({ path }) => path !== null)
    .map(({ request, path }) => ({ repository: path![1] as string, sha: path![2] as string, ...request.json() }));
}

describe("notifier against the emulator", () => {
  const broken = commit("billing-broken");
  const fixed = commit("billing-fixed");
  let failedExecution: string;

  test("an approval waiting is published to the topic with the reviewer's instructions and the approve link", async () => {
    failedExecution = await start(MAIN, broken);

    const result = await notify(approvalWaiting(MAIN, failedExecution));

    expect(result).toMatchObject({ notification: "APPROVAL_WAITING", channels: [{ channel: "sns", status: "delivered" }] });
    const [message, ...others] = await receive();
    expect(others).toEqual([]);
    expect(message!.TopicArn).toBe(topicArn);
    expect(message!.Subject).toBe("APPROVAL WAITING: pipewright-billing, main, at Prod");
    expect(message!.Message).toContain(APPROVAL_NOTE);
    expect(message!.Message).toContain(`https://${REGION}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${MAIN}/view?region=${REGION}`);
    expect(message!.Message).toContain(`Commit:        ${broken.slice(0, 7)}`);
  });

  test("a rejected approval fails the execution: the topic gets the failed action and its summary, the commit a failure status", async () => {
    await answerApproval(MAIN, failedExecution, "Rejected", "The change set replaces the orders table");

    const result = await notify(pipelineChanged(MAIN, failedExecution, "FAILED"));

    expect(result).toMatchObject({ notification: "FAILED" });
    const [message] = await receive();
    expect(message!.Subject).toBe("FAILED: pipewright-billing, main, at Prod/Approve");
    expect(message!.Message).toContain("failed at stage Prod, action Approve");
    expect(message!.Message).toContain("Error:         The change set replaces the orders table");
    expect(message!.Message).toContain(`/pipelines/${MAIN}/executions/${failedExecution}/timeline?region=${REGION}`);
    expect(message!.Message).toContain(`Account:       ${BUILD_ACCOUNT}, Region ${REGION}`);
    expect(message!.Message).toMatch(/^Repository: +acme-corp\/billing$/m);
    expect(message!.Message).toContain(`${github.url}/${BILLING_REPOSITORY}/commit/${broken}`);
    expect(statusesPosted()).toEqual([
      expect.objectContaining({
        repository: BILLING_REPOSITORY,
        sha: broken,
        state: "failure",
        context: `pipewright/${MAIN}`,
        description: "Failed at Prod/Approve: The change set replaces the orders table",
      }),
    ]);
  });

  test("the next success on the main branch is announced as RECOVERED", async () => {
    const execution = await start(MAIN, fixed);
    await answerApproval(MAIN, execution, "Approved", "Looks good");

    const result = await notify(pipelineChanged(MAIN, execution, "SUCCEEDED"));

    expect(result).toMatchObject({ notification: "RECOVERED" });
    const [message] = await receive();
    expect(message!.Subject).toBe("RECOVERED: pipewright-billing, main");
    expect(message!.Message).toContain(`the failed execution ${failedExecution}`);
    expect(statusesPosted()).toEqual([expect.objectContaining({ sha: fixed, state: "success" })]);
  });

  test("a success after a success publishes nothing but still marks the commit", async () => {
    const again = commit("billing-again");
    const execution = await start(MAIN, again);
    await answerApproval(MAIN, execution, "Approved", "ok");

    await expect(notify(pipelineChanged(MAIN, execution, "SUCCEEDED"))).resolves.toMatchObject({ notification: undefined });

    expect(await receive(1)).toEqual([]);
    expect(statusesPosted()).toEqual([expect.objectContaining({ sha: again, state: "success" })]);
  });

  test("a late STARTED of a finished execution sets no pending status", async () => {
    await expect(notify(pipelineChanged(MAIN, failedExecution, "STARTED"))).resolves.toMatchObject({ channels: [] });
    expect(statusesPosted()).toEqual([]);
  });

  test("a pull request pipeline is named by its tags (read from the emulator), with the pull request's number and link", async () => {
    const head = commit("pr-7-head");
    const execution = await start(PR, head);
    await expect(notify(pipelineChanged(PR, execution, "STARTED"))).resolves.toMatchObject({
      channels: [{ channel: "github", status: "delivered" }],
    });
    await answerApproval(PR, execution, "Rejected", "Preview broken");

    await notify(pipelineChanged(PR, execution, "FAILED"));

    const [message] = await receive();
    expect(message!.Subject).toBe("FAILED: pipewright-billing-pr-7, acme-corp/billing#7, at Prod/Approve");
    expect(message!.Message).toMatch(/^Service: +billing$/m);
    expect(message!.Message).toMatch(/^Repository: +acme-corp\/billing$/m);
    expect(message!.Message).toContain(`${github.url}/${BILLING_REPOSITORY}/pull/7`);
    expect(statusesPosted().map((s) => [s.repository, s.sha, s.state, s.context])).toEqual([
      [BILLING_REPOSITORY, head, "pending", `pipewright/${PR}`],
      [BILLING_REPOSITORY, head, "failure", `pipewright/${PR}`],
    ]);
    // Every read worked, ListTagsForResource included: nothing was missing or failed.
    expect(logger.entries.filter((entry) => entry.level === "error" || entry.level === "warn")).toEqual([]);
  });

  test("the other repository's main pipeline sets its status in that repository", async () => {
    const sha = commit("orders-change");
    const execution = await start(ORDERS, sha);

    await expect(notify(pipelineChanged(ORDERS, execution, "STARTED"))).resolves.toMatchObject({
      channels: [{ channel: "github", status: "delivered" }],
    });

    expect(statusesPosted()).toEqual([expect.objectContaining({ repository: REPOSITORY, sha, state: "pending", context: `pipewright/${ORDERS}` })]);
  });
});
