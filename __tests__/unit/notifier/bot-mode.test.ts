/**
 * The handler in Slack's bot mode, with the real thread logic (slack-bot.ts) over fakes of the
 * thread table and Slack's Web API: which events join a main pipeline's thread, in what order
 * they may come, and what pull request pipelines post instead.
 */
import type { EventBridgeEvent } from "aws-lambda";
import { parseNotifyStates } from "../../../functions/notifier/config";
import { NotificationDeliveryError } from "../../../functions/notifier/errors";
import type { ActionExecutionFacts } from "../../../functions/notifier/facts";
import { makeHandler } from "../../../functions/notifier/handler";
import { PR_TAG_KEYS } from "../../../functions/notifier/identity";
import { SlackBotChannel, threadKey } from "../../../functions/notifier/slack-bot";
import { RepositoryCatalog } from "../../../functions/shared/repositories";
import { APPROVAL_BLOCK_ID, decodeApprovalTarget } from "../../../functions/shared/slack/approval";
import { SlackApiError } from "../../../functions/shared/slack/web-api";
import { type FixtureName, sampleFor } from "./events";
import { FakeChat, FakeFacts, MemoryThreadStore, RecordingTopic, recordingLogger } from "./fakes";

const SHA = "3f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a";
const EXECUTION = "12345678-1234-5678-abcd-12345678abcd";
const CHANNEL = "C0SANDBOX01";
const ORDERS = "pipewright-orders";
const PAYMENTS = "pipewright-payments";
const ORDERS_PR = "pipewright-orders-pr-12";
const APPROVER = "U0APPROVER1";

/** orders has its Slack approvers; payments has none. */
const CATALOG = RepositoryCatalog.from({
  repositories: [
    {
      repository: "acme-corp/shop",
      mainBranch: "main",
      forkLabel: "safe-to-test",
      services: [
        { name: "orders", pipeline: ORDERS, include: ["services/orders/**"], slackApprovers: [APPROVER] },
        { name: "payments", pipeline: PAYMENTS, include: ["services/payments/**"] },
      ],
    },
  ],
});

let facts: FakeFacts;
let topic: RecordingTopic;
let store: MemoryThreadStore;
let chat: FakeChat;
let logger: ReturnType<typeof recordingLogger>;

function handler(notifyStates?: string) {
  return makeHandler({
    config: {
      pipelinePrefix: "pipewright-",
      catalog: CATALOG,
      notifyStates: parseNotifyStates(notifyStates),
      githubApiUrl: "https://api.github.com",
    },
    facts,
    topic,
    slackBot: new SlackBotChannel({ chat: async () => chat, store, channel: CHANNEL, logger, parentWaitMs: 500, pollIntervalMs: 5 }),
    logger,
  });
}

function event(name: FixtureName, pipeline = ORDERS, overrides: { state?: string; stage?: string; action?: string } = {}) {
  const sample = sampleFor(name, pipeline, { executionId: EXECUTION, state: overrides.state });
  if (overrides.stage) sample.detail.stage = overrides.stage;
  if (overrides.action) sample.detail.action = overrides.action;
  // Each delivery of an event has an id of its own.
  sample.id = `${name}-${overrides.stage ?? ""}-${overrides.state ?? ""}`;
  return sample as EventBridgeEvent<string, unknown>;
}

const stage = (name: string, state: "SUCCEEDED" | "FAILED", pipeline = ORDERS) => event("stage-failed", pipeline, { stage: name, state });

const buildFailed: ActionExecutionFacts[] = [
  { stage: "Source", action: "Source", category: "Source", status: "Succeeded", startTime: new Date(1000) },
  {
    stage: "Build",
    action: "BuildAndPackage",
    category: "Build",
    provider: "CodeBuild",
    status: "Failed",
    startTime: new Date(2000),
    externalExecutionSummary: "Build terminated with state: FAILED",
    externalExecutionUrl: "https://us-east-1.console.aws.amazon.com/codebuild/home?region=us-east-1#/builds/b:1/view/new",
  },
];

beforeEach(() => {
  facts = new FakeFacts();
  topic = new RecordingTopic();
  store = new MemoryThreadStore();
  chat = new FakeChat();
  logger = recordingLogger();
  for (const pipeline of [ORDERS, PAYMENTS]) {
    facts.executions.set(`${pipeline}/${EXECUTION}`, { status: "InProgress", revisions: [{ name: "SourceOutput", revisionId: SHA }] });
  }
});

const parents = () => chat.posts().filter((post) => post.threadTs === undefined);
const replies = () => chat.posts().filter((post) => post.threadTs !== undefined);

describe("a main pipeline's execution is one thread", () => {
  test("in any order: a stage result before STARTED posts the parent; the rest reply under it; the finish updates the parent", async () => {
    const notify = handler();
    await notify(stage("Source", "SUCCEEDED"));
    await expect(notify(event("pipeline-started"))).resolves.toMatchObject({ channels: [{ channel: "slack", status: "delivered" }] });
    await notify(stage("Build", "SUCCEEDED"));
    facts.actions.set(`${ORDERS}/${EXECUTION}`, [
      { stage: "Approval", action: "Approval", category: "Approval", status: "InProgress", configuration: { CustomData: "Check the change set" } },
    ]);
    await notify(event("action-approval-started"));
    facts.executions.set(`${ORDERS}/${EXECUTION}`, { status: "Succeeded", revisions: [{ revisionId: SHA }] });
    await notify(event("pipeline-succeeded"));

    expect(parents().map((post) => post.text)).toEqual(["pipewright-orders (main): running"]);
    const ts = "1711461552.000100";
    expect(replies().map((post) => [post.text, post.threadTs, post.replyBroadcast])).toEqual([
      ["pipewright-orders: stage Source succeeded", ts, false],
      ["pipewright-orders: stage Build succeeded", ts, false],
      ["Approval needed: pipewright-orders / Approval / Approval", ts, true],
      ["pipewright-orders (main): succeeded in 14m 46s", ts, false],
    ]);
    expect(chat.calls.filter((call) => call.method === "chat.update")).toEqual([
      { method: "chat.update", channel: CHANNEL, ts, text: "pipewright-orders (main): succeeded in 14m 46s" },
    ]);
    expect(store.items.get(threadKey(ORDERS, EXECUTION))).toMatchObject({ channel: CHANNEL, ts });
  });

  test("two first events at once post one parent; the other replies in its thread", async () => {
    chat.delayMs = 40;
    const notify = handler();

    await Promise.all([notify(event("pipeline-started")), notify(stage("Source", "SUCCEEDED"))]);

    expect(parents()).toHaveLength(1);
    expect(replies()).toEqual([expect.objectContaining({ text: "pipewright-orders: stage Source succeeded", threadTs: "1711461552.000100" })]);
  });

  test("a failed stage's reply names the failed action and what it reported", async () => {
    facts.actions.set(`${ORDERS}/${EXECUTION}`, buildFailed);
    await handler()(stage("Build", "FAILED"));

    const reply = replies()[0]!;
    expect(reply.text).toBe("pipewright-orders: stage Build failed at BuildAndPackage");
    expect(JSON.stringify(reply.blocks)).toContain("Build terminated with state: FAILED");
    expect(facts.calls).toContain(`ListActionExecutions ${ORDERS}`);
  });

  test("the approval's buttons answer the action waiting; the service's approvers are named", async () => {
    await handler()(event("action-approval-started"));

    const approval = replies()[0]!;
    const buttons = (approval.blocks as Array<{ block_id?: string; elements?: Array<{ value: string }> }>).find(
      (b) => b.block_id === APPROVAL_BLOCK_ID,
    );
    expect(buttons?.elements).toHaveLength(2);
    expect(decodeApprovalTarget(buttons!.elements![0]!.value)).toEqual({
      pipeline: ORDERS,
      stage: "Approval",
      action: "Approval",
      executionId: EXECUTION,
    });
    expect(JSON.stringify(approval.blocks)).toContain(`<@${APPROVER}>`);
    // The e-mail goes out as before (APPROVAL_WAITING is on by default).
    expect(topic.published.map((email) => email.subject)).toEqual(["APPROVAL WAITING: pipewright-orders, main, at Approval"]);
  });

  test("a service without Slack approvers gets no buttons: the message sends reviewers to the console", async () => {
    await handler()(event("action-approval-started", PAYMENTS));

    const approval = replies()[0]!;
    expect((approval.blocks as Array<{ block_id?: string }>).some((block) => block.block_id === APPROVAL_BLOCK_ID)).toBe(false);
    expect(JSON.stringify(approval.blocks)).toContain("No Slack user may answer this approval");
  });

  test("a retried approval event does not post the approval twice", async () => {
    const notify = handler();
    const approval = event("action-approval-started");
    await notify(approval);
    await notify(approval);
    expect(replies()).toHaveLength(1);
  });

  test("NOTIFY_STATES governs the e-mails, not the thread", async () => {
    facts.executions.set(`${ORDERS}/${EXECUTION}`, { status: "Failed", revisions: [{ revisionId: SHA }] });
    facts.actions.set(`${ORDERS}/${EXECUTION}`, buildFailed);

    const result = await handler("NONE")(event("pipeline-failed"));

    expect(result).toMatchObject({ notification: undefined, channels: [{ channel: "slack", status: "delivered" }] });
    expect(topic.published).toEqual([]);
    expect(parents().map((post) => post.text)).toEqual(["pipewright-orders (main): failed after 8m 18s"]);
    expect(replies().map((post) => post.text)).toEqual(["pipewright-orders (main): failed after 8m 18s at Build / BuildAndPackage"]);
  });

  test("a failure with the defaults: the e-mail, and the thread instead of a message of its own", async () => {
    facts.executions.set(`${ORDERS}/${EXECUTION}`, { status: "Failed", revisions: [{ revisionId: SHA }] });
    facts.actions.set(`${ORDERS}/${EXECUTION}`, buildFailed);

    const result = await handler()(event("pipeline-failed"));

    expect(result).toMatchObject({
      notification: "FAILED",
      channels: [
        { channel: "sns", status: "delivered" },
        { channel: "slack", status: "delivered" },
      ],
    });
    expect(chat.posts()).toHaveLength(2);
  });
});

describe("pull request pipelines in bot mode", () => {
  beforeEach(() => {
    facts.executions.set(`${ORDERS_PR}/${EXECUTION}`, { status: "Failed", revisions: [{ revisionId: SHA }] });
    facts.tagsByArn.set(`arn:aws:codepipeline:us-east-1:123456789012:${ORDERS_PR}`, {
      [PR_TAG_KEYS.pullRequest]: "12",
      [PR_TAG_KEYS.basePipeline]: ORDERS,
    });
  });

  test("post the NOTIFY_STATES notifications as messages of their own, without a thread", async () => {
    facts.actions.set(`${ORDERS_PR}/${EXECUTION}`, buildFailed);
    const notify = handler();

    await notify(event("pipeline-failed", ORDERS_PR));
    await notify(event("pipeline-started", ORDERS_PR));
    await notify(stage("Build", "FAILED", ORDERS_PR));

    expect(chat.posts()).toEqual([
      expect.objectContaining({
        channel: CHANNEL,
        threadTs: undefined,
        text: "FAILED: pipewright-orders-pr-12, acme-corp/shop#12, at Build/BuildAndPackage",
      }),
    ]);
    const blocks = chat.posts()[0]!.blocks as Array<{ type: string; text?: { text: string } }>;
    expect(blocks[0]).toEqual({ type: "header", text: { type: "plain_text", text: "pipewright-orders-pr-12 (PR #12) failed", emoji: false } });
    expect(store.claims).toBe(0);
  });
});

describe("Slack's failures are a channel's failures", () => {
  const notInChannel = () => new SlackApiError("chat.postMessage", "not_in_channel", 200, "Slack's chat.postMessage answered not_in_channel");

  test("beside a delivered e-mail, a failing Slack is reported and the event completes", async () => {
    facts.executions.set(`${ORDERS}/${EXECUTION}`, { status: "Failed", revisions: [{ revisionId: SHA }] });
    chat.failNext = notInChannel();

    const result = await handler()(event("pipeline-failed"));

    expect(result).toMatchObject({
      channels: [
        { channel: "sns", status: "delivered" },
        { channel: "slack", status: "failed" },
      ],
    });
    expect(logger.entries.find((entry) => entry.level === "error")?.attributes).toMatchObject({ channel: "slack", status: 200, Channel: "slack" });
  });

  test("when Slack is the only channel of the event and fails, the handler throws so the event is retried", async () => {
    chat.failNext = notInChannel();
    await expect(handler()(stage("Build", "SUCCEEDED"))).rejects.toThrow(NotificationDeliveryError);
    // The claim was released: the retry posts the parent.
    await handler()(stage("Build", "SUCCEEDED"));
    expect(parents()).toHaveLength(1);
    expect(replies()).toHaveLength(1);
  });
});
