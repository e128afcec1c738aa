import type { ChatMessage, ThreadDelivery } from "../../../functions/notifier/channels";
import { SlackBotChannel, threadKey } from "../../../functions/notifier/slack-bot";
import { SlackApiError } from "../../../functions/shared/slack/web-api";
import { FakeChat, MemoryThreadStore, recordingLogger } from "./fakes";

const CHANNEL = "C0123456789";
const PIPELINE = "pipewright-orders";
const EXECUTION = "12345678-1234-5678-abcd-12345678abcd";
const KEY = threadKey(PIPELINE, EXECUTION);

const message = (text: string): ChatMessage => ({ text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] });

function delivery(eventId: string, overrides: Partial<ThreadDelivery> = {}): ThreadDelivery {
  return { pipeline: PIPELINE, executionId: EXECUTION, eventId, parent: message("parent: running"), ...overrides };
}

const stageReply = (eventId: string) =>
  delivery(eventId, { reply: { message: message("stage Build succeeded"), standalone: message("orders: stage Build succeeded"), broadcast: false } });

let store: MemoryThreadStore;
let chat: FakeChat;
let logger: ReturnType<typeof recordingLogger>;
let claimants: number;

function channel(overrides: Partial<ConstructorParameters<typeof SlackBotChannel>[0]> = {}) {
  return new SlackBotChannel({
    chat: async () => chat,
    store,
    channel: CHANNEL,
    logger,
    parentWaitMs: 200,
    pollIntervalMs: 5,
    newClaimant: () => `claimant-${++claimants}`,
    ...overrides,
  });
}

beforeEach(() => {
  store = new MemoryThreadStore();
  chat = new FakeChat();
  logger = recordingLogger();
  claimants = 0;
});

describe("one parent per execution", () => {
  test("the first event posts the parent and records its ts; later events reply under it", async () => {
    const slack = channel();
    await expect(slack.thread(delivery("started"))).resolves.toEqual({ status: "delivered", detail: "parent 1711461552.000100" });
    await slack.thread(stageReply("stage-build"));

    expect(chat.posts()).toEqual([
      expect.objectContaining({ channel: CHANNEL, text: "parent: running", threadTs: undefined }),
      expect.objectContaining({ channel: CHANNEL, text: "stage Build succeeded", threadTs: "1711461552.000100", replyBroadcast: false }),
    ]);
    expect(store.items.get(KEY)).toMatchObject({ channel: CHANNEL, ts: "1711461552.000100" });
  });

  test("a stage event that arrives before STARTED posts the parent, then its reply; STARTED then adds nothing", async () => {
    const slack = channel();
    await slack.thread(stageReply("stage-build"));
    const started = await slack.thread(delivery("started"));

    expect(chat.posts().map((post) => [post.text, post.threadTs])).toEqual([
      ["parent: running", undefined],
      ["stage Build succeeded", "1711461552.000100"],
    ]);
    expect(started).toEqual({ status: "delivered", detail: "thread 1711461552.000100 already started" });
  });

  test("two first events at once: one parent, and the other waits for it and replies in its thread", async () => {
    chat.delayMs = 30;
    const slack = channel();

    const results = await Promise.all([slack.thread(delivery("started")), slack.thread(stageReply("stage-source"))]);

    const posts = chat.posts();
    expect(posts.filter((post) => post.threadTs === undefined)).toHaveLength(1);
    expect(posts.filter((post) => post.threadTs !== undefined)).toEqual([
      expect.objectContaining({ text: "stage Build succeeded", threadTs: "1711461552.000100" }),
    ]);
    expect(results.map((result) => result.status)).toEqual(["delivered", "delivered"]);
    expect(logger.entries.filter((entry) => entry.level === "warn")).toEqual([]);
  });

  test("when the parent is not posted in time, the reply goes to the channel on its own with a warning", async () => {
    chat.delayMs = 400;
    const slack = channel({ parentWaitMs: 50 });
    const first = slack.thread(delivery("started"));
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Only the parent's post is slow.
    chat.delayMs = 0;

    const late = await slack.thread(stageReply("stage-build"));
    await first;

    expect(late).toEqual({ status: "delivered", detail: "message 1711461552.000100 outside the thread" });
    expect(chat.posts().map((post) => [post.text, post.threadTs])).toEqual([
      ["orders: stage Build succeeded", undefined],
      ["parent: running", undefined],
    ]);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: "warn",
        message: "The thread's parent message was not posted within 50 ms, so this message goes to the channel on its own",
      }),
    );
  });

  test("a parent that Slack refuses releases the claim: the next event posts the parent", async () => {
    const slack = channel();
    chat.failNext = new SlackApiError("chat.postMessage", "not_in_channel", 200, "Slack's chat.postMessage answered not_in_channel");

    await expect(slack.thread(stageReply("stage-build"))).rejects.toThrow(/not_in_channel/);
    expect(store.items.has(KEY)).toBe(false);

    await slack.thread(stageReply("stage-build"));
    expect(chat.posts().map((post) => [post.text, post.threadTs])).toEqual([
      ["parent: running", undefined],
      ["stage Build succeeded", "1711461552.000100"],
    ]);
  });
});

describe("replies", () => {
  test("a retried event does not post its reply twice", async () => {
    const slack = channel();
    await slack.thread(stageReply("stage-build"));
    const again = await slack.thread(stageReply("stage-build"));

    expect(chat.posts()).toHaveLength(2);
    expect(again).toEqual({ status: "delivered", detail: "reply posted before" });
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: "info",
        message: "This event's reply is in the thread already (a retried or repeated event), so it is not posted again",
      }),
    );
  });

  test("a reply Slack refuses is not marked posted, so the retry posts it", async () => {
    const slack = channel();
    await slack.thread(delivery("started"));
    chat.failNext = new SlackApiError("chat.postMessage", undefined, 503, "Slack's chat.postMessage answered HTTP 503");

    await expect(slack.thread(stageReply("stage-build"))).rejects.toThrow(SlackApiError);
    await slack.thread(stageReply("stage-build"));

    expect(chat.posts().map((post) => post.text)).toEqual(["parent: running", "stage Build succeeded"]);
  });

  test("a broadcast reply (the approval) is shown in the channel too", async () => {
    const slack = channel();
    await slack.thread(
      delivery("approval", { reply: { message: message("Approval needed"), standalone: message("Approval needed"), broadcast: true } }),
    );
    expect(chat.posts()[1]).toMatchObject({ text: "Approval needed", threadTs: "1711461552.000100", replyBroadcast: true });
  });
});

describe("the finish", () => {
  const finish = (eventId: string) =>
    delivery(eventId, {
      parent: message("parent: succeeded in 4m 12s"),
      parentUpdate: message("parent: succeeded in 4m 12s"),
      reply: { message: message("Finished: succeeded"), standalone: message("orders: finished"), broadcast: false },
    });

  test("replies in the thread and updates the parent to the final state", async () => {
    const slack = channel();
    await slack.thread(delivery("started"));
    await slack.thread(finish("succeeded"));

    expect(chat.calls).toEqual([
      expect.objectContaining({ method: "chat.postMessage", text: "parent: running" }),
      expect.objectContaining({ method: "chat.postMessage", text: "Finished: succeeded", threadTs: "1711461552.000100" }),
      { method: "chat.update", channel: CHANNEL, ts: "1711461552.000100", text: "parent: succeeded in 4m 12s" },
    ]);
  });

  test("a finish that arrives first posts the parent in its final state and needs no update", async () => {
    const slack = channel();
    await slack.thread(finish("succeeded"));
    expect(chat.calls.map((call) => [call.method, call.text])).toEqual([
      ["chat.postMessage", "parent: succeeded in 4m 12s"],
      ["chat.postMessage", "Finished: succeeded"],
    ]);
  });
});

describe("no bot token yet", () => {
  test("the channel is skipped without touching the store", async () => {
    const slack = channel({ chat: async () => undefined });
    await expect(slack.thread(stageReply("stage-build"))).resolves.toEqual({
      status: "skipped",
      reason: "no Slack bot token is configured (the bot token secret holds no value)",
    });
    await expect(slack.post(message("PR failed"))).resolves.toMatchObject({ status: "skipped" });
    expect(store.claims).toBe(0);
  });
});

test("post: a message on its own in the channel", async () => {
  await expect(channel().post(message("pipewright-orders-pr-12 failed"))).resolves.toEqual({
    status: "delivered",
    detail: "message 1711461552.000100",
  });
  expect(chat.posts()).toEqual([expect.objectContaining({ channel: CHANNEL, text: "pipewright-orders-pr-12 failed", threadTs: undefined })]);
});
