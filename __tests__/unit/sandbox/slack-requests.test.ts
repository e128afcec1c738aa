import { createHmac } from "node:crypto";
import {
  approvalMessages,
  blockActionPayload,
  newestApprovalMessage,
  SlackRequestError,
  signedBlockAction,
  signedSlashCommand,
  signSlackRequest,
  slackSignature,
} from "../../../sandbox/slack-requests";
import type { RecordedSlackCall, SlackMessage } from "../../../sandbox/slack-standin";

const SECRET = "b".repeat(64);
const CHANNEL = "C0SANDBOX01";
const RESPONSE_URL = "http://127.0.0.1:4100/response/0a1b2c3d";
const SENT_AT = new Date("2026-12-03T10:00:00.250Z");

const target = (pipeline: string, executionId = "e-1") => ({ pipeline, stage: "Prod", action: "Approve", executionId });
const button = (actionId: string, label: string, style: string, value: string) => ({
  type: "button",
  action_id: actionId,
  style,
  text: { type: "plain_text", text: label, emoji: true },
  value,
});

function approvalMessage(ts: string, pipeline: string, options: { commentBox?: boolean; executionId?: string; value?: string } = {}): SlackMessage {
  const value = options.value ?? JSON.stringify(target(pipeline, options.executionId));
  return {
    type: "message",
    ts,
    text: `${pipeline} waits for approval`,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${pipeline}* waits for approval` } },
      ...(options.commentBox === false
        ? []
        : [
            {
              type: "input",
              block_id: "pipewright_comment",
              optional: true,
              label: { type: "plain_text", text: "Comment" },
              element: { type: "plain_text_input", action_id: "comment" },
            },
          ]),
      {
        type: "actions",
        block_id: "pipewright_approval",
        elements: [button("pipewright_approve", "Approve", "primary", value), button("pipewright_reject", "Reject", "danger", value)],
      },
    ],
    user: "U0SANDBOXBOT",
    bot_id: "B0SANDBOX01",
    app_id: "A0SANDBOX01",
    team: "T0SANDBOX01",
  };
}

const posted = (message: SlackMessage): RecordedSlackCall => ({
  kind: "postMessage",
  time: "2026-12-03T10:00:00.000Z",
  ok: true,
  body: {},
  channel: CHANNEL,
  ts: message.ts,
  message,
});

/** The form body's fields, as the Slack function would parse them. */
const fields = (body: string) => Object.fromEntries(new URLSearchParams(body));

describe("Slack's request signature", () => {
  it("equals the example of Slack's documentation (Verifying requests from Slack)", () => {
    const body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    expect(slackSignature("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", body)).toBe(
      "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    );
  });

  it("signs the exact body with the time it was sent, in Slack's headers", () => {
    const signed = signSlackRequest(SECRET, "a=1", SENT_AT);
    expect(signed.timestamp).toBe("1796292000");
    expect(signed.headers).toEqual({
      "content-type": "application/x-www-form-urlencoded",
      "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
      "x-slack-request-timestamp": "1796292000",
      "x-slack-signature": `v0=${createHmac("sha256", SECRET).update("v0:1796292000:a=1").digest("hex")}`,
    });
  });

  it("can be sent as of ten minutes ago, to be refused as stale", () => {
    const stale = new Date(Date.now() - 10 * 60_000);
    const signed = signedSlashCommand({
      signingSecret: SECRET,
      command: "/pipewright",
      text: "help",
      userId: "U0APPROVER1",
      channelId: CHANNEL,
      responseUrl: RESPONSE_URL,
      sentAt: stale,
    });
    expect(Number(signed.timestamp)).toBe(Math.floor(stale.getTime() / 1000));
    expect(signed.signature).toBe(slackSignature(SECRET, signed.timestamp, signed.body));
  });
});

describe("a slash command as Slack sends it", () => {
  it("has Slack's fields in Slack's order, form-encoded and signed", () => {
    const signed = signedSlashCommand({
      signingSecret: SECRET,
      command: "/pipewright",
      text: "status orders",
      userId: "U0APPROVER1",
      channelId: CHANNEL,
      responseUrl: RESPONSE_URL,
      sentAt: SENT_AT,
      triggerId: "123.456.abc",
    });
    expect([...new URLSearchParams(signed.body).keys()]).toEqual([
      "token",
      "team_id",
      "team_domain",
      "channel_id",
      "channel_name",
      "user_id",
      "user_name",
      "command",
      "text",
      "api_app_id",
      "is_enterprise_install",
      "response_url",
      "trigger_id",
    ]);
    expect(fields(signed.body)).toMatchObject({
      team_id: "T0SANDBOX01",
      channel_id: CHANNEL,
      user_id: "U0APPROVER1",
      user_name: "sandbox-u0approver1",
      command: "/pipewright",
      text: "status orders",
      api_app_id: "A0SANDBOX01",
      response_url: RESPONSE_URL,
      trigger_id: "123.456.abc",
    });
    expect(signed.body).toContain("command=%2Fpipewright&text=status+orders&");
    expect(signed.signature).toBe(slackSignature(SECRET, "1796292000", signed.body));
  });

  it("gets a new trigger_id each time", () => {
    const options = { signingSecret: SECRET, command: "/pipewright", text: "", userId: "U0APPROVER1", channelId: CHANNEL, responseUrl: RESPONSE_URL };
    const [a, b] = [signedSlashCommand(options), signedSlashCommand(options)].map((signed) => fields(signed.body).trigger_id);
    expect(a).toMatch(/^\d{12}\.\d{11}\.[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
  });
});

describe("a click on an approval request's button (block_actions)", () => {
  const message = approvalMessage("1796291000.000100", "pipewright-shop-orders");
  const options = {
    signingSecret: SECRET,
    message,
    channelId: CHANNEL,
    actionId: "pipewright_approve",
    userId: "U0APPROVER1",
    responseUrl: RESPONSE_URL,
    sentAt: SENT_AT,
    triggerId: "123.456.abc",
  };

  it("carries what Slack sends: who, where, the message, the comment box and the button", () => {
    expect(blockActionPayload({ ...options, comment: "ship it" })).toEqual({
      type: "block_actions",
      user: { id: "U0APPROVER1", username: "sandbox-u0approver1", name: "sandbox-u0approver1", team_id: "T0SANDBOX01" },
      api_app_id: "A0SANDBOX01",
      token: "SandboxVerificationTok01",
      container: { type: "message", message_ts: message.ts, channel_id: CHANNEL, is_ephemeral: false },
      trigger_id: "123.456.abc",
      team: { id: "T0SANDBOX01", domain: "pipewright-sandbox" },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: CHANNEL, name: "pipewright-sandbox" },
      message,
      state: { values: { pipewright_comment: { comment: { type: "plain_text_input", value: "ship it" } } } },
      response_url: RESPONSE_URL,
      actions: [
        {
          action_id: "pipewright_approve",
          block_id: "pipewright_approval",
          text: { type: "plain_text", text: "Approve", emoji: true },
          value: JSON.stringify(target("pipewright-shop-orders")),
          style: "primary",
          type: "button",
          action_ts: "1796292000.250000",
        },
      ],
    });
  });

  it("has an empty comment box as null, and the Reject button's own label and style", () => {
    const payload = blockActionPayload({ ...options, actionId: "pipewright_reject" }) as any;
    expect(payload.state.values.pipewright_comment.comment.value).toBeNull();
    expect(payload.actions[0]).toMatchObject({ action_id: "pipewright_reject", text: { text: "Reject" }, style: "danger" });
  });

  it("is posted as the form field payload holding the JSON, signed", () => {
    const signed = signedBlockAction({ ...options, comment: "ok" });
    expect(Object.keys(fields(signed.body))).toEqual(["payload"]);
    expect(JSON.parse(fields(signed.body).payload as string)).toEqual(blockActionPayload({ ...options, comment: "ok" }));
    expect(signed.signature).toBe(slackSignature(SECRET, "1796292000", signed.body));
  });

  it("refuses a button the message does not have, and a comment for a message without a comment box", () => {
    expect(() => blockActionPayload({ ...options, actionId: "pipewright_retry" })).toThrow(SlackRequestError);
    expect(() => blockActionPayload({ ...options, actionId: "pipewright_retry" })).toThrow(
      `Message ${message.ts} has no button pipewright_retry in block pipewright_approval (it has: pipewright_approve, pipewright_reject). Fix: click a button the message shows`,
    );
    const withoutBox = approvalMessage("1796291000.000200", "pipewright-shop-orders", { commentBox: false });
    expect(() => blockActionPayload({ ...options, message: withoutBox, comment: "x" })).toThrow(
      "Message 1796291000.000200 has no comment box (block pipewright_comment). Fix: leave out --comment",
    );
    expect((blockActionPayload({ ...options, message: withoutBox }) as any).state).toEqual({ values: {} });
  });
});

describe("finding the approval request of a pipeline in what the stand-in recorded", () => {
  it("takes the newest posted message whose Approve button names the pipeline", () => {
    const older = approvalMessage("1796291000.000100", "pipewright-shop-orders", { executionId: "0bd0-0000" });
    const other = approvalMessage("1796291000.000200", "pipewright-shop-payments");
    const newer = approvalMessage("1796291000.000300", "pipewright-shop-orders", { executionId: "aaaa-0001" });
    const progress: SlackMessage = {
      ...other,
      ts: "1796291000.000400",
      text: "started",
      blocks: [{ type: "section", text: { type: "mrkdwn", text: "x" } }],
    };
    const recorded = [posted(older), posted(other), posted(newer), posted(progress)];
    expect(newestApprovalMessage(recorded, "pipewright-shop-orders")).toEqual({
      channel: CHANNEL,
      message: newer,
      target: target("pipewright-shop-orders", "aaaa-0001"),
    });
    expect(newestApprovalMessage(recorded, "pipewright-customer-preferences-api")).toBeUndefined();
    expect(approvalMessages(recorded).map((a) => a.message.ts)).toEqual([older.ts, other.ts, newer.ts]);
  });

  it("skips refused posts, updates and buttons whose value is no approval target", () => {
    const message = approvalMessage("1796291000.000100", "pipewright-shop-orders");
    const notATarget = approvalMessage("1796291000.000200", "pipewright-shop-orders", { value: '{"pipeline":"pipewright-shop-orders"}' });
    const recorded: RecordedSlackCall[] = [
      { ...posted(message), ok: false, error: "invalid_blocks" },
      { ...posted(message), kind: "update" },
      posted(notATarget),
    ];
    expect(approvalMessages(recorded)).toEqual([]);
  });
});
