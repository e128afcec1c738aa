/**
 * The notifier in Slack's bot mode against the AWS emulator: the real handler, the real
 * CodePipeline reads, SNS, and the thread table in DynamoDB (its conditional writes decide which
 * event posts an execution's parent); Slack's Web API is a local fake that answers
 * chat.postMessage and chat.update as Slack does. The events are the documented samples of
 * __tests__/fixtures/codepipeline-events, renamed to the world's orders pipeline and execution.
 */
import { randomUUID } from "node:crypto";
import { StartPipelineExecutionCommand } from "@aws-sdk/client-codepipeline";
import { CreateTableCommand, type DynamoDBClient, GetItemCommand, PutItemCommand, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import type { EventBridgeEvent } from "aws-lambda";
import { CodePipelineFacts, SnsTopicPublisher } from "../../functions/notifier/aws";
import { parseNotifyStates } from "../../functions/notifier/config";
import { ABANDONED_CLAIM_SECONDS, DynamoThreadStore, THREAD_TTL_SECONDS } from "../../functions/notifier/dynamo-threads";
import { makeHandler, type NotifierResult } from "../../functions/notifier/handler";
import { SlackBotChannel, threadKey } from "../../functions/notifier/slack-bot";
import { RepositoryCatalog } from "../../functions/shared/repositories";
import { APPROVAL_BLOCK_ID, decodeApprovalTarget } from "../../functions/shared/slack/approval";
import { slackChat } from "../../functions/shared/slack/web-api";
import { emulatorClientConfig, inAccount } from "../../sandbox/emulator";
import { useEmulator } from "../support/emulator";
import { FakeHttpServer, type ReceivedRequest } from "../support/fake-http";
import { type FixtureName, sampleFor } from "../unit/notifier/events";
import { BUILD_ACCOUNT, commit, createWorld, MAIN_PIPELINES, recordingLogger, REGION, REPOSITORY, type World } from "./support/pipewright-world";

const emulator = useEmulator();
const TABLE = "pipewright-slack-threads";
const CHANNEL = "C0SANDBOX01";
const APPROVER = "U0APPROVER1";
const TOKEN = "xoxb-sandbox-token";
const ORDERS = MAIN_PIPELINES[0] as string;

const CATALOG = RepositoryCatalog.from({
  repositories: [
    {
      repository: REPOSITORY,
      mainBranch: "main",
      forkLabel: "safe-to-test",
      services: [{ name: "orders", pipeline: ORDERS, include: ["services/orders/**"], slackApprovers: [APPROVER] }],
    },
  ],
});

let world: World;
let dynamodb: DynamoDBClient;
let sns: SNSClient;
let slack: FakeHttpServer;
let notify: (event: EventBridgeEvent<string, unknown>) => Promise<NotifierResult>;
const logger = recordingLogger();

/** Slack's Web API: each post gets the next ts after a short delay (so concurrent events overlap), as Slack answers. */
function slackWebApi(): (request: ReceivedRequest) => { status: number; body: object; delayMs?: number } {
  let next = 1;
  return (request) => {
    if (request.headers.authorization !== `Bearer ${TOKEN}`) return { status: 200, body: { ok: false, error: "invalid_auth" } };
    const form = new URLSearchParams(request.body);
    if (request.path === "/api/chat.postMessage") {
      return { status: 200, body: { ok: true, channel: form.get("channel"), ts: `1711461552.${String(next++).padStart(6, "0")}` }, delayMs: 150 };
    }
    if (request.path === "/api/chat.update") return { status: 200, body: { ok: true, channel: form.get("channel"), ts: form.get("ts") } };
    return { status: 404, body: { ok: false, error: "unknown_method" } };
  };
}

interface SlackCall {
  method: string;
  channel: string | null;
  text: string | null;
  threadTs: string | null;
  ts: string | null;
  replyBroadcast: string | null;
  blocks: Array<{ block_id?: string; elements?: Array<{ action_id?: string; value?: string }> }>;
}

function slackCalls(): SlackCall[] {
  return slack.requests.map((request) => {
    const form = new URLSearchParams(request.body);
    return {
      method: request.path.replace("/api/", ""),
      channel: form.get("channel"),
      text: form.get("text"),
      threadTs: form.get("thread_ts"),
      ts: form.get("ts"),
      replyBroadcast: form.get("reply_broadcast"),
      blocks: JSON.parse(form.get("blocks") ?? "[]"),
    };
  });
}

beforeAll(async () => {
  world = await createWorld(emulator());
  dynamodb = world.clients().dynamodb;
  // The table as the build stack creates it in bot mode.
  await dynamodb.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: "thread", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "thread", AttributeType: "S" }],
    }),
  );
  await dynamodb.send(new UpdateTimeToLiveCommand({ TableName: TABLE, TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true } }));
  sns = inAccount(new SNSClient(emulatorClientConfig(emulator())), BUILD_ACCOUNT);
  const topic = await sns.send(new CreateTopicCommand({ Name: "pipewright-notifications" }));

  slack = await FakeHttpServer.start(slackWebApi());
  const chat = slackChat({ token: async () => TOKEN, apiUrl: `${slack.url}/api/`, policy: { retryBaseDelayMs: 1 } });
  notify = makeHandler({
    config: { pipelinePrefix: "pipewright-", catalog: CATALOG, notifyStates: parseNotifyStates(undefined), githubApiUrl: "https://api.github.com" },
    facts: new CodePipelineFacts(world.codepipeline),
    topic: new SnsTopicPublisher(sns, topic.TopicArn as string),
    slackBot: new SlackBotChannel({
      chat: async () => chat,
      store: new DynamoThreadStore(dynamodb, TABLE),
      channel: CHANNEL,
      logger,
      parentWaitMs: 3000,
    }),
    logger,
  });
});

afterAll(async () => {
  await slack?.stop();
  sns?.destroy();
  world?.destroy();
});

beforeEach(() => {
  slack.requests.length = 0;
});

async function startExecution(): Promise<string> {
  const { pipelineExecutionId } = await world.codepipeline.send(
    new StartPipelineExecutionCommand({
      name: ORDERS,
      clientRequestToken: randomUUID(),
      sourceRevisions: [{ actionName: "Source", revisionType: "COMMIT_ID", revisionValue: commit(`orders-${randomUUID()}`) }],
    }),
  );
  return pipelineExecutionId as string;
}

const STARTED_AT = Date.parse("2026-03-02T10:00:00.000Z");

/** A documented sample event of the orders pipeline's execution, `afterMs` after it started. */
function codePipelineEvent(
  name: FixtureName,
  executionId: string,
  afterMs: number,
  overrides: { state?: string; stage?: string; action?: string } = {},
): EventBridgeEvent<string, unknown> {
  const event = sampleFor(name, ORDERS, { executionId, state: overrides.state });
  event.id = randomUUID();
  event.account = BUILD_ACCOUNT;
  event.region = REGION;
  event.resources = [`arn:aws:codepipeline:${REGION}:${BUILD_ACCOUNT}:${ORDERS}`];
  event.time = new Date(STARTED_AT + afterMs).toISOString();
  event.detail["start-time"] = new Date(STARTED_AT).toISOString();
  if (overrides.stage) event.detail.stage = overrides.stage;
  if (overrides.action) event.detail.action = overrides.action;
  return event as EventBridgeEvent<string, unknown>;
}

async function threadItem(executionId: string) {
  const { Item } = await dynamodb.send(
    new GetItemCommand({ TableName: TABLE, Key: { thread: { S: threadKey(ORDERS, executionId) } }, ConsistentRead: true }),
  );
  return Item;
}

describe("one execution, one thread", () => {
  let executionId: string;
  let approval: EventBridgeEvent<string, unknown>;

  test("STARTED and the first stage's result at once: one parent, the other replies under it", async () => {
    executionId = await startExecution();

    const results = await Promise.all([
      notify(codePipelineEvent("pipeline-started", executionId, 0)),
      notify(codePipelineEvent("stage-failed", executionId, 20_000, { stage: "Source", state: "SUCCEEDED" })),
    ]);

    expect(results.map((result) => result.outcome === "handled" && result.channels.map((c) => `${c.channel} ${c.status}`))).toEqual([
      ["slack delivered"],
      ["slack delivered"],
    ]);
    const calls = slackCalls();
    expect(calls.map((call) => [call.method, call.channel, call.threadTs])).toEqual([
      ["chat.postMessage", CHANNEL, null],
      ["chat.postMessage", CHANNEL, "1711461552.000001"],
    ]);
    expect(calls[0]!.text).toBe("pipewright-orders (main): running");
    expect(calls[1]!.text).toBe("pipewright-orders: stage Source succeeded");
    const item = await threadItem(executionId);
    expect(item).toMatchObject({ channel: { S: CHANNEL }, ts: { S: "1711461552.000001" } });
    const expiresAt = Number(item?.expiresAt?.N);
    expect(expiresAt - Date.now() / 1000).toBeGreaterThan(THREAD_TTL_SECONDS - 60);
    expect(expiresAt - Date.now() / 1000).toBeLessThanOrEqual(THREAD_TTL_SECONDS);
  });

  test("the next stage result and the approval reply in the thread; the approval's buttons answer the action waiting", async () => {
    await notify(codePipelineEvent("stage-failed", executionId, 200_000, { stage: "Build", state: "SUCCEEDED" }));
    approval = codePipelineEvent("action-approval-started", executionId, 230_000, { stage: "Prod", action: "Approve" });
    await notify(approval);

    const [build, approvalMessage] = slackCalls();
    expect([build!.text, build!.threadTs]).toEqual(["pipewright-orders: stage Build succeeded", "1711461552.000001"]);
    expect(approvalMessage).toMatchObject({
      text: "Approval needed: pipewright-orders / Prod / Approve",
      threadTs: "1711461552.000001",
      replyBroadcast: "true",
    });
    const buttons = approvalMessage!.blocks.find((block) => block.block_id === APPROVAL_BLOCK_ID)?.elements ?? [];
    expect(buttons.map((button) => button.action_id)).toEqual(["pipewright_approve", "pipewright_reject"]);
    for (const button of buttons) {
      expect(decodeApprovalTarget(button.value as string)).toEqual({ pipeline: ORDERS, stage: "Prod", action: "Approve", executionId });
    }
  });

  test("a redelivered approval event posts nothing twice", async () => {
    await expect(notify(approval)).resolves.toMatchObject({
      channels: expect.arrayContaining([{ channel: "slack", status: "delivered", detail: expect.any(String) }]),
    });
    expect(slackCalls()).toEqual([]);
  });

  test("the finish replies in the thread and updates the parent to the final state with the duration", async () => {
    await notify(codePipelineEvent("pipeline-succeeded", executionId, 252_400));

    expect(slackCalls().map((call) => [call.method, call.text, call.threadTs ?? call.ts])).toEqual([
      ["chat.postMessage", "pipewright-orders (main): succeeded in 4m 12s", "1711461552.000001"],
      ["chat.update", "pipewright-orders (main): succeeded in 4m 12s", "1711461552.000001"],
    ]);
    const item = await threadItem(executionId);
    expect(item?.posted?.SS).toHaveLength(4);
    expect(logger.entries.filter((entry) => entry.level !== "info")).toEqual([]);
  });
});

describe("claims in the table", () => {
  const claim = async (executionId: string, claimedAgoSeconds: number) => {
    const now = Math.floor(Date.now() / 1000);
    await dynamodb.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          thread: { S: threadKey(ORDERS, executionId) },
          channel: { S: CHANNEL },
          claimant: { S: "an invocation that timed out" },
          claimedAt: { N: String(now - claimedAgoSeconds) },
          expiresAt: { N: String(now + THREAD_TTL_SECONDS) },
        },
      }),
    );
  };

  test("a claim whose parent never came is taken over once abandoned: the next event posts the parent", async () => {
    const executionId = await startExecution();
    await claim(executionId, ABANDONED_CLAIM_SECONDS + 5);

    await notify(codePipelineEvent("stage-failed", executionId, 20_000, { stage: "Source", state: "SUCCEEDED" }));

    const [parent, reply] = slackCalls();
    expect(parent!.threadTs).toBeNull();
    expect(reply!.threadTs).toEqual(expect.any(String));
    const item = await threadItem(executionId);
    expect(item?.ts?.S).toBe(reply!.threadTs);
    expect(item?.claimant?.S).not.toBe("an invocation that timed out");
  });

  test("while another event holds a fresh claim, an event waits, then posts on its own with a warning", async () => {
    const executionId = await startExecution();
    await claim(executionId, 0);

    const waited = Date.now();
    await notify(codePipelineEvent("stage-failed", executionId, 20_000, { stage: "Source", state: "SUCCEEDED" }));

    expect(Date.now() - waited).toBeGreaterThanOrEqual(3000);
    const [alone] = slackCalls();
    expect(alone).toMatchObject({ threadTs: null, text: "pipewright-orders: stage Source succeeded" });
    expect(JSON.stringify(alone!.blocks)).toContain(`pipewright-orders (main), execution ${executionId}`);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ level: "warn", message: expect.stringContaining("goes to the channel on its own") }),
    );
  });
});
