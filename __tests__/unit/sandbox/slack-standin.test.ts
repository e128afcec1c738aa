import { LogLevel, WebClient } from "@slack/web-api";
import { blockKitProblems, readRecordedSlackCalls, type SlackStandIn, startSlackStandIn } from "../../../sandbox/slack-standin";

const TOKEN = "xoxb-sandbox-0123456789abcdef01234567";
const CHANNEL = "C0SANDBOX01";

const approvalBlocks = [
  { type: "section", text: { type: "mrkdwn", text: "*pipewright-shop-orders* waits for approval" } },
  {
    type: "actions",
    block_id: "pipewright_approval",
    elements: [
      { type: "button", action_id: "pipewright_approve", style: "primary", text: { type: "plain_text", text: "Approve" }, value: '{"pipeline":"p"}' },
      { type: "button", action_id: "pipewright_reject", style: "danger", text: { type: "plain_text", text: "Reject" }, value: '{"pipeline":"p"}' },
    ],
  },
];

let standIn: SlackStandIn;
let calls: string[];

beforeEach(async () => {
  calls = [];
  standIn = await startSlackStandIn({ botToken: TOKEN, channels: [CHANNEL], onCall: (call) => calls.push(call.kind) });
});
afterEach(() => standIn.close());

/** Slack's own client, as the notifier and the worker use it, pointed at the stand-in; no retries, no log noise. */
const client = (token = TOKEN) => new WebClient(token, { slackApiUrl: `${standIn.url}/api/`, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });

/** Slack's error code of a call @slack/web-api rejected. */
async function slackError(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    return (error as { data?: { error?: string } }).data?.error ?? String(error);
  }
  throw new Error("Slack accepted the call");
}

describe("the sandbox's Slack stand-in, called by @slack/web-api's WebClient", () => {
  it("answers chat.postMessage as Slack does and records the call with its blocks decoded", async () => {
    const answer = await client().chat.postMessage({ channel: CHANNEL, text: "Approval waiting", blocks: approvalBlocks });
    expect(answer).toMatchObject({
      ok: true,
      channel: CHANNEL,
      ts: expect.stringMatching(/^\d{10}\.\d{6}$/),
      message: { type: "message", text: "Approval waiting", blocks: approvalBlocks, bot_id: "B0SANDBOX01", app_id: "A0SANDBOX01" },
    });
    const recorded = await readRecordedSlackCalls(standIn.url);
    expect(recorded).toEqual([
      {
        kind: "postMessage",
        time: expect.any(String),
        ok: true,
        body: { channel: CHANNEL, text: "Approval waiting", blocks: approvalBlocks },
        channel: CHANNEL,
        ts: answer.ts,
        message: answer.message,
      },
    ]);
    expect(calls).toEqual(["postMessage"]);
  });

  it("gives every message a unique, increasing ts, and records threads and broadcasts", async () => {
    const parent = await client().chat.postMessage({ channel: CHANNEL, text: "pipewright-shop-orders started" });
    const replies = await Promise.all(
      [1, 2, 3].map((n) =>
        client().chat.postMessage({ channel: CHANNEL, text: `step ${n}`, thread_ts: parent.ts as string, reply_broadcast: n === 3 }),
      ),
    );
    const all = [parent.ts, ...replies.map((r) => r.ts)] as string[];
    expect(new Set(all).size).toBe(4);
    expect([...all].sort((a, b) => Number(a) - Number(b))).toEqual([...all].sort());
    expect(Number(all[0])).toBeLessThan(Number(replies[0]?.ts));
    const recorded = (await readRecordedSlackCalls(standIn.url)).slice(1);
    expect(recorded.map((call) => [call.thread_ts, call.body.reply_broadcast])).toEqual([
      [parent.ts, false],
      [parent.ts, false],
      [parent.ts, true],
    ]);
  });

  it("updates a posted message (chat.update) and answers message_not_found for a ts it never posted", async () => {
    const posted = await client().chat.postMessage({ channel: CHANNEL, text: "Approval waiting", blocks: approvalBlocks });
    const updated = await client().chat.update({ channel: CHANNEL, ts: posted.ts as string, text: "Approved by <@U0APPROVER1>" });
    expect(updated).toMatchObject({ ok: true, channel: CHANNEL, ts: posted.ts, text: "Approved by <@U0APPROVER1>" });
    expect(updated.message).not.toHaveProperty("blocks");
    expect(await slackError(client().chat.update({ channel: CHANNEL, ts: "1000000000.000001", text: "x" }))).toBe("message_not_found");
    const recorded = await readRecordedSlackCalls(standIn.url);
    expect(recorded.map((call) => [call.kind, call.ok, call.error, call.ts])).toEqual([
      ["postMessage", true, undefined, posted.ts],
      ["update", true, undefined, posted.ts],
      ["update", false, "message_not_found", "1000000000.000001"],
    ]);
  });

  it("answers invalid_auth for another token and not_authed for none, recording both", async () => {
    expect(await slackError(client("xoxb-someone-else").chat.postMessage({ channel: CHANNEL, text: "hi" }))).toBe("invalid_auth");
    expect(await slackError(client("").chat.postMessage({ channel: CHANNEL, text: "hi" }))).toBe("not_authed");
    const recorded = await readRecordedSlackCalls(standIn.url);
    expect(recorded.map((call) => [call.ok, call.error])).toEqual([
      [false, "invalid_auth"],
      [false, "not_authed"],
    ]);
    expect(JSON.stringify(recorded)).not.toContain("xoxb-someone-else");
  });

  it("answers channel_not_found outside its channels and no_text for an empty message", async () => {
    expect(await slackError(client().chat.postMessage({ channel: "C0ELSEWHERE", text: "hi" }))).toBe("channel_not_found");
    expect(await slackError(client().chat.postMessage({ channel: CHANNEL, text: "" }))).toBe("no_text");
  });

  it("answers invalid_blocks, with Slack's errors, for blocks Slack would refuse", async () => {
    const tooLong = [
      { type: "actions", elements: [{ type: "button", action_id: "a", text: { type: "plain_text", text: "A" }, value: "v".repeat(2001) }] },
    ];
    const error = await client()
      .chat.postMessage({ channel: CHANNEL, text: "x", blocks: tooLong })
      .catch((e: { data: { error: string; errors: string[] } }) => e.data);
    expect(error).toMatchObject({
      error: "invalid_blocks",
      errors: ["button value must be at most 2000 characters [json-pointer:/blocks/0/elements/0]"],
    });
  });

  it("takes a JSON body with the token in the Authorization header, and a form body with the token as a field", async () => {
    const json = await fetch(`${standIn.url}/api/chat.postMessage`, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ channel: CHANNEL, text: "json", blocks: approvalBlocks, reply_broadcast: false }),
    });
    expect(await json.json()).toMatchObject({ ok: true, message: { text: "json", blocks: approvalBlocks } });
    const form = await fetch(`${standIn.url}/api/chat.postMessage`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: TOKEN, channel: CHANNEL, text: "form" }).toString(),
    });
    expect(await form.json()).toMatchObject({ ok: true, message: { text: "form" } });
    const recorded = await readRecordedSlackCalls(standIn.url);
    expect(recorded.map((call) => call.body)).toEqual([
      { channel: CHANNEL, text: "json", blocks: approvalBlocks, reply_broadcast: false },
      { channel: CHANNEL, text: "form" },
    ]);
  });

  it("answers unknown methods with unknown_method (HTTP 200, so the client does not retry) and records nothing", async () => {
    expect(await slackError(client().apiCall("chat.postEphemeral", { channel: CHANNEL, text: "x", user: "U0APPROVER1" }))).toBe("unknown_method");
    expect(await readRecordedSlackCalls(standIn.url)).toEqual([]);
  });

  it("takes response_url answers under any id and records them; refuses a body that is not JSON", async () => {
    const ok = await fetch(`${standIn.url}/response/abc123`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ response_type: "ephemeral", text: "You may not approve this" }),
    });
    expect([ok.status, await ok.text()]).toEqual([200, "ok"]);
    const bad = await fetch(`${standIn.url}/response/abc123`, { method: "POST", body: "text=hi" });
    expect([bad.status, await bad.text()]).toEqual([400, "invalid_payload"]);
    const recorded = await readRecordedSlackCalls(standIn.url);
    expect(recorded.map((call) => [call.kind, call.responseId, call.ok, call.body])).toEqual([
      ["response", "abc123", true, { response_type: "ephemeral", text: "You may not approve this" }],
      ["response", "abc123", false, { raw: "text=hi" }],
    ]);
  });

  it("names the fix when the stand-in does not answer", async () => {
    await standIn.close();
    await expect(readRecordedSlackCalls(standIn.url)).rejects.toThrow(
      /The Slack stand-in at http:\/\/127\.0\.0\.1:\d+ does not answer .*Fix: npm run sandbox -- status/,
    );
  });
});

describe("Block Kit checks of the stand-in", () => {
  it("accepts pipewright's approval blocks", () => {
    expect(blockKitProblems(approvalBlocks)).toEqual([]);
  });

  it("names each problem Slack would refuse, with its place", () => {
    const button = (actionId: string) => ({ type: "button", action_id: actionId, text: { type: "plain_text", text: "Go" } });
    expect(
      blockKitProblems([
        { type: "section", block_id: "a", text: { type: "mrkdwn", text: "x".repeat(3001) } },
        { type: "actions", block_id: "a", elements: [button("same"), button("same")] },
        { type: "header", text: { type: "mrkdwn", text: "not plain" } },
        "not a block",
      ]),
    ).toEqual([
      "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
      "duplicate block_id a [json-pointer:/blocks/1]",
      "duplicate action_id same [json-pointer:/blocks/1/elements/1]",
      "must be plain_text of at most 150 characters [json-pointer:/blocks/2/text]",
      "must be an object with a type [json-pointer:/blocks/3]",
    ]);
    expect(blockKitProblems({})).toEqual(["blocks must be an array [json-pointer:/blocks]"]);
    expect(blockKitProblems(Array.from({ length: 51 }, () => ({ type: "divider" })))).toEqual([
      "no more than 50 items allowed [json-pointer:/blocks]",
    ]);
  });
});
