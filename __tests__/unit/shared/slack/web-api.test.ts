import { FakeHttpServer } from "../../../support/fake-http";
import { parseSlackBotToken, SlackApiError, SlackBotTokenError, slackChat } from "../../../../functions/shared/slack/web-api";

const TOKEN = "xoxb-1234-5678-abcdef";
const FAST = { retryBaseDelayMs: 1, timeoutMs: 2_000 };

describe("slackChat", () => {
  let slack: FakeHttpServer;
  beforeEach(async () => {
    slack = await FakeHttpServer.start((request) =>
      request.path.endsWith("/chat.postMessage")
        ? { status: 200, body: { ok: true, channel: "C0SANDBOX01", ts: "1700000000.000100" } }
        : { status: 200, body: { ok: true } },
    );
  });
  afterEach(() => slack.stop());

  const chat = (options: Partial<Parameters<typeof slackChat>[0]> = {}) =>
    slackChat({ token: async () => TOKEN, apiUrl: `${slack.url}/api/`, policy: FAST, ...options });

  it("posts a threaded message to the configured API with the bot token", async () => {
    const blocks = [{ type: "section", text: { type: "mrkdwn", text: "hello" } }];
    const posted = await chat().postMessage({ channel: "C0SANDBOX01", text: "hello", blocks, threadTs: "1699999999.000100", replyBroadcast: true });
    expect(posted).toEqual({ channel: "C0SANDBOX01", ts: "1700000000.000100" });
    const [request] = slack.requests;
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/api/chat.postMessage");
    expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const form = new URLSearchParams(request.body);
    expect(form.get("channel")).toBe("C0SANDBOX01");
    expect(form.get("text")).toBe("hello");
    expect(form.get("thread_ts")).toBe("1699999999.000100");
    expect(form.get("reply_broadcast")).toBe("true");
    expect(JSON.parse(form.get("blocks") ?? "null")).toEqual(blocks);
    expect(form.has("token")).toBe(false);
  });

  it("adds the slash a base URL without one lacks, and updates a message", async () => {
    await chat({ apiUrl: `${slack.url}/api` }).update({ channel: "C0SANDBOX01", ts: "1700000000.000100", text: "done", blocks: [] });
    const [request] = slack.requests;
    expect(request.path).toBe("/api/chat.update");
    const form = new URLSearchParams(request.body);
    expect([form.get("channel"), form.get("ts"), form.get("text")]).toEqual(["C0SANDBOX01", "1700000000.000100", "done"]);
  });

  it("reads the token on each call, so a rotated token is used", async () => {
    let token = TOKEN;
    const client = chat({ token: async () => token });
    await client.update({ channel: "C1", ts: "1.2", text: "a" });
    token = "xoxb-rotated";
    await client.update({ channel: "C1", ts: "1.2", text: "b" });
    expect(slack.requests.map((request) => request.headers.authorization)).toEqual([`Bearer ${TOKEN}`, "Bearer xoxb-rotated"]);
  });

  it.each([
    ["not_in_channel", /invite the app to the channel/],
    ["invalid_auth", /store the installed app's bot token/],
    ["channel_not_found", /notifications\.slack\.channel/],
    ["some_new_error", /answered some_new_error$/],
  ])("maps ok:false %s to SlackApiError with the method, the code and the fix, without retrying", async (code, fix) => {
    slack.respond(() => ({ status: 200, body: { ok: false, error: code } }));
    const failure = chat().postMessage({ channel: "C0SANDBOX01", text: "hello" });
    await expect(failure).rejects.toBeInstanceOf(SlackApiError);
    await expect(failure).rejects.toMatchObject({ method: "chat.postMessage", errorCode: code, status: 200, message: expect.stringMatching(fix) });
    expect(slack.requests).toHaveLength(1);
  });

  it("retries a 5xx answer and succeeds", async () => {
    slack.respond((_request, count) => (count === 0 ? { status: 503, body: "busy" } : { status: 200, body: { ok: true } }));
    await chat().update({ channel: "C1", ts: "1.2", text: "a" });
    expect(slack.requests).toHaveLength(2);
  });

  it("gives up after the policy's retries with the HTTP status", async () => {
    slack.respond(() => ({ status: 500, body: "down" }));
    await expect(chat({ policy: { ...FAST, retries: 1 } }).update({ channel: "C1", ts: "1.2", text: "a" })).rejects.toMatchObject({
      name: "SlackApiError",
      method: "chat.update",
      status: 500,
    });
    expect(slack.requests).toHaveLength(2);
  });

  it("does not retry a 4xx answer and names the API URL as the fix of a 404", async () => {
    slack.respond(() => ({ status: 404, body: "no such path" }));
    await expect(chat().update({ channel: "C1", ts: "1.2", text: "a" })).rejects.toThrow(/HTTP 404.*notifications\.slack\.apiUrl/);
    expect(slack.requests).toHaveLength(1);
  });

  it("waits out a short rate limit once, and fails at once on a long one", async () => {
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
    };
    slack.respond((_request, count) => (count === 0 ? { status: 429, headers: { "retry-after": "2" } } : { status: 200, body: { ok: true } }));
    await chat({ sleep }).update({ channel: "C1", ts: "1.2", text: "a" });
    expect(waits).toEqual([2000]);

    slack.respond(() => ({ status: 429, headers: { "retry-after": "60" } }));
    await expect(chat({ sleep }).update({ channel: "C1", ts: "1.2", text: "a" })).rejects.toMatchObject({ errorCode: "ratelimited", status: 429 });
    expect(waits).toEqual([2000]);
  });

  it("times out a request that hangs", async () => {
    slack.respond(() => ({ status: 200, body: { ok: true }, delayMs: 2_000 }));
    await expect(chat({ policy: { ...FAST, timeoutMs: 100, retries: 0 } }).update({ channel: "C1", ts: "1.2", text: "a" })).rejects.toThrow(
      /timed out after 100 ms/,
    );
  });

  it("refuses an ok answer to chat.postMessage without channel and ts", async () => {
    slack.respond(() => ({ status: 200, body: { ok: true } }));
    await expect(chat().postMessage({ channel: "C1", text: "a" })).rejects.toThrow(/without the message's channel and ts/);
  });
});

describe("parseSlackBotToken", () => {
  it('reads {"token"} and a bare token', () => {
    expect(parseSlackBotToken(JSON.stringify({ token: TOKEN }), "arn:secret")).toBe(TOKEN);
    expect(parseSlackBotToken(` ${TOKEN}\n`, "arn:secret")).toBe(TOKEN);
  });

  it.each([
    ["no value", undefined, /holds no value/],
    ["an empty value", "  ", /holds no value/],
    ["a binary value", new Uint8Array([1, 2]), /binary/],
    ["plain text that is not a token", "hunter2-not-a-token", /neither a token/],
    ["JSON without a token", JSON.stringify({ url: "https://hooks.slack.com/services/x" }), /without a "token"/],
    ["a token that is not Slack's", JSON.stringify({ token: "ghp_hunter2" }), /without a "token"/],
  ])("refuses %s with the fix, without the value", (_name, value, problem) => {
    let caught: unknown;
    try {
      parseSlackBotToken(value, "pipewright/slack-bot-token");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SlackBotTokenError);
    expect((caught as Error).message).toMatch(problem);
    expect((caught as Error).message).toMatch(/pipewright\/slack-bot-token.*Fix: store \{"token": "xoxb-\.\.\."\}/);
    expect((caught as Error).message).not.toMatch(/hunter2/);
  });
});
