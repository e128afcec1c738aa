import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { LogLevel, WebClient } from "@slack/web-api";
import { main } from "../../../sandbox/cli";
import { NoApprovalRequestError, parseSlackArguments, SlackNotConfiguredError, slack } from "../../../sandbox/commands/slack";
import { SandboxNotRunningError, UsageError } from "../../../sandbox/errors";
import { SANDBOX_DIR_ENV, SandboxPaths } from "../../../sandbox/paths";
import { slackSignature } from "../../../sandbox/slack-requests";
import { type SlackStandIn, startSlackStandIn } from "../../../sandbox/slack-standin";
import { type SandboxState, writeState } from "../../../sandbox/state";
import { FakeHttpServer, type ReceivedRequest } from "../../support/fake-http";

const SECRET = "c".repeat(64);
const TOKEN = "xoxb-sandbox-00112233445566778899aabb";
const CHANNEL = "C0SANDBOX01";
const ORDERS = "pipewright-shop-orders";

describe("npm run sandbox -- slack: the command line", () => {
  it.each([
    [["/pipewright", "status", "orders"], {}, { kind: "slash-command", command: "/pipewright", text: "status orders" }],
    [
      ["/pipewright status orders"],
      { user: "U0STRANGER1" },
      { kind: "slash-command", command: "/pipewright", text: "status orders", user: "U0STRANGER1" },
    ],
    [["/pipewright"], {}, { kind: "slash-command", command: "/pipewright", text: "" }],
    [["approve", ORDERS], {}, { kind: "click", decision: "approve", pipeline: ORDERS }],
    [
      ["reject", ORDERS],
      { user: "W0APPROVER2", comment: "not today" },
      { kind: "click", decision: "reject", pipeline: ORDERS, user: "W0APPROVER2", comment: "not today" },
    ],
  ])("reads %p %p", (positional, options, expected) => {
    expect(parseSlackArguments(positional, options)).toEqual(expected);
  });

  it.each([
    [[], {}, "slack needs a slash command or approve|reject <pipeline>. Fix: e.g."],
    [["status", "orders"], {}, "\"status orders\" is not a slash command. Fix: start it with the command, e.g. slack '/pipewright status orders'"],
    [["approve"], {}, "slack approve needs a pipeline. Fix: npm run sandbox -- slack approve <pipeline>, e.g. pipewright-shop-orders"],
    [
      ["reject", ORDERS, "looks", "bad"],
      {},
      'slack reject takes one pipeline; "looks bad" is extra. Fix: quote a comment and give it with --comment "<text>"',
    ],
    [["/pipewright", "help"], { comment: "x" }, "--comment goes with slack approve|reject, not with a slash command. Fix: leave it out"],
    [
      ["approve", ORDERS],
      { user: "approver" },
      '--user "approver" is not a Slack user id. Fix: U or W, then 8 or more upper-case letters and digits, e.g. --user U0APPROVER1',
    ],
  ])("refuses %p %p, naming the fix", (positional, options, message) => {
    expect(() => parseSlackArguments(positional, options)).toThrow(UsageError);
    expect(() => parseSlackArguments(positional, options)).toThrow(message);
  });

  it("is wired into the CLI: options are taken out and a value is required", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "pipewright-slack-cli-"));
    const previous = process.env[SANDBOX_DIR_ENV];
    process.env[SANDBOX_DIR_ENV] = dir;
    try {
      await expect(main(["slack", "approve", "--user"])).rejects.toThrow("--user needs a value");
      await expect(main(["slack", "--comment", "ok", "approve"])).rejects.toThrow("slack approve needs a pipeline");
      await expect(main(["slack", "approve", ORDERS, "--user", "U0APPROVER1"])).rejects.toThrow(SandboxNotRunningError);
      await expect(main(["help"])).rejects.toThrow(/slack approve\|reject <pipeline>/);
    } finally {
      if (previous === undefined) delete process.env[SANDBOX_DIR_ENV];
      else process.env[SANDBOX_DIR_ENV] = previous;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("npm run sandbox -- slack: against the stand-in and a Slack app", () => {
  let standIn: SlackStandIn;
  let app: FakeHttpServer;
  let paths: SandboxPaths;
  let lines: string[];
  const web = () => new WebClient(TOKEN, { slackApiUrl: `${standIn.url}/api/`, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });

  beforeEach(async () => {
    standIn = await startSlackStandIn({ botToken: TOKEN, channels: [CHANNEL] });
    app = await FakeHttpServer.start();
    paths = new SandboxPaths(mkdtempSync(path.join(tmpdir(), "pipewright-slack-")));
    lines = [];
    writeSandboxState();
  });

  afterEach(async () => {
    await Promise.all([standIn.close(), app.stop()]);
    rmSync(paths.dir, { recursive: true, force: true });
  });

  /** Only what the slack command reads of a running sandbox's state. */
  function writeSandboxState(withSlack = true): void {
    const state: Pick<SandboxState, "repositories" | "logDir" | "slack"> = {
      repositories: [
        {
          repository: "pipewright-sandbox/shop",
          mainBranch: "main",
          pipelines: [
            { service: "shop-orders", name: ORDERS, include: [], exclude: [] },
            { service: "shop-payments", name: "pipewright-shop-payments", include: [], exclude: [] },
          ],
        },
      ],
      logDir: path.join(paths.dir, "logs"),
      ...(withSlack
        ? {
            slack: {
              apiUrl: `${standIn.url}/api/`,
              standInUrl: standIn.url,
              signingSecret: SECRET,
              botToken: TOKEN,
              channel: CHANNEL,
              approvers: ["U0APPROVER1"],
              commandsUrl: `${app.url}/slack/commands`,
              interactionsUrl: `${app.url}/slack/interactions`,
            },
          }
        : {}),
    };
    writeState(paths.stateFile, state as SandboxState);
  }

  const run = (line: Parameters<typeof slack>[1], answerTimeoutMs = 5_000) => slack(paths, line, { write: (l) => lines.push(l), answerTimeoutMs });

  /** The request's form fields, after checking its signature as the Slack function would. */
  function verified(request: ReceivedRequest): Record<string, string> {
    const timestamp = request.headers["x-slack-request-timestamp"] as string;
    expect(request.headers["x-slack-signature"]).toBe(slackSignature(SECRET, timestamp, request.body));
    expect(Math.abs(Date.now() / 1000 - Number(timestamp))).toBeLessThan(60);
    return Object.fromEntries(new URLSearchParams(request.body));
  }

  const later = (work: () => Promise<unknown>) => setTimeout(() => void work(), 50);
  const respondTo = (url: string, body: object) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  async function postApprovalRequest(pipeline = ORDERS): Promise<string> {
    const value = JSON.stringify({ pipeline, stage: "Prod", action: "Approve", executionId: "e-42" });
    const answer = await web().chat.postMessage({
      channel: CHANNEL,
      text: `${pipeline} waits for approval`,
      blocks: [
        { type: "section", text: { type: "mrkdwn", text: `*${pipeline}* waits for approval` } },
        {
          type: "input",
          block_id: "pipewright_comment",
          optional: true,
          label: { type: "plain_text", text: "Comment" },
          element: { type: "plain_text_input", action_id: "comment" },
        },
        {
          type: "actions",
          block_id: "pipewright_approval",
          elements: [
            { type: "button", action_id: "pipewright_approve", style: "primary", text: { type: "plain_text", text: "Approve" }, value },
            { type: "button", action_id: "pipewright_reject", style: "danger", text: { type: "plain_text", text: "Reject" }, value },
          ],
        },
      ],
    });
    return answer.ts as string;
  }

  it("sends a signed slash command as the first approver and prints the answer sent to its response_url", async () => {
    app.respond((request) => {
      const form = verified(request);
      later(() => respondTo(form.response_url as string, { response_type: "ephemeral", text: "pipewright-shop-orders: waiting for approval" }));
      return { status: 200, body: "" };
    });
    expect(await run({ kind: "slash-command", command: "/pipewright", text: "status orders" })).toBe(true);
    const form = verified(app.requests[0] as ReceivedRequest);
    expect(app.requests[0]?.path).toBe("/slack/commands");
    expect(form).toMatchObject({ command: "/pipewright", text: "status orders", user_id: "U0APPROVER1", channel_id: CHANNEL });
    expect(form.response_url).toMatch(new RegExp(`^${standIn.url}/response/[0-9a-f]{16}$`));
    expect(lines).toEqual([
      `/pipewright status orders  (as U0APPROVER1 in ${CHANNEL})`,
      "HTTP 200",
      "Answer on response_url:",
      "  (only visible to you)",
      "  pipewright-shop-orders: waiting for approval",
    ]);
  });

  it("prints the app's own answer, and says so when no answer reaches the response_url in time", async () => {
    app.respond(() => ({ status: 200, body: { response_type: "ephemeral", text: "Working on it" } }));
    expect(await run({ kind: "slash-command", command: "/pipewright", text: "help", user: "U0STRANGER1" }, 300)).toBe(false);
    expect(lines).toEqual([
      `/pipewright help  (as U0STRANGER1 in ${CHANNEL})`,
      "HTTP 200",
      "  (only visible to you)",
      "  Working on it",
      `No answer within 0.3 s (Slack would show nothing more). The Slack functions' logs: ${paths.dir}/logs/function-*slack*.log`,
    ]);
  });

  it("stops at an answer other than 200, as Slack would", async () => {
    app.respond(() => ({ status: 401, body: "bad signature" }));
    expect(await run({ kind: "slash-command", command: "/pipewright", text: "help" })).toBe(false);
    expect(lines.slice(1)).toEqual(["HTTP 401", "  bad signature", 'Slack would say "/pipewright failed" (Slack needs HTTP 200 within 3 s).']);
  });

  it("clicks Approve on the newest approval request, with the comment, and prints the updated message", async () => {
    await postApprovalRequest("pipewright-shop-payments");
    const ts = await postApprovalRequest();
    app.respond((request) => {
      const payload = JSON.parse(verified(request).payload as string);
      later(() =>
        web().chat.update({
          channel: payload.container.channel_id,
          ts: payload.container.message_ts,
          text: "Approved",
          blocks: [
            {
              type: "section",
              text: { type: "mrkdwn", text: `Approved by <@${payload.user.id}>: ${payload.state.values.pipewright_comment.comment.value}` },
            },
          ],
        }),
      );
      return { status: 200, body: "" };
    });
    expect(await run({ kind: "click", decision: "approve", pipeline: ORDERS, comment: "ship it" })).toBe(true);
    const payload = JSON.parse(verified(app.requests[0] as ReceivedRequest).payload as string);
    expect(app.requests[0]?.path).toBe("/slack/interactions");
    expect(payload).toMatchObject({
      type: "block_actions",
      user: { id: "U0APPROVER1" },
      container: { message_ts: ts, channel_id: CHANNEL },
      message: { ts },
      actions: [{ action_id: "pipewright_approve", block_id: "pipewright_approval" }],
    });
    expect(JSON.parse(payload.actions[0].value)).toEqual({ pipeline: ORDERS, stage: "Prod", action: "Approve", executionId: "e-42" });
    expect(lines).toEqual([
      `Approve ${ORDERS} (stage Prod, action Approve, execution e-42) as U0APPROVER1 with the comment "ship it"`,
      "HTTP 200",
      `The message now reads (chat.update of ${ts}):`,
      "  Approved by <@U0APPROVER1>: ship it",
    ]);
  });

  it("prints a refusal sent to the click's response_url, and notes a message updated since it was posted", async () => {
    const ts = await postApprovalRequest();
    await web().chat.update({ channel: CHANNEL, ts, text: "Approved by someone else" });
    app.respond((request) => {
      const payload = JSON.parse(verified(request).payload as string);
      later(() => respondTo(payload.response_url, { response_type: "ephemeral", replace_original: false, text: "Already answered" }));
      return { status: 200, body: "" };
    });
    expect(await run({ kind: "click", decision: "reject", pipeline: ORDERS, user: "U0STRANGER1" })).toBe(true);
    expect(lines).toEqual([
      `Note: message ${ts} was updated since it was posted; this click comes from a screen that still shows its buttons.`,
      `Reject ${ORDERS} (stage Prod, action Approve, execution e-42) as U0STRANGER1`,
      "HTTP 200",
      "Answer on response_url:",
      "  (only visible to you)",
      "  Already answered",
    ]);
  });

  it("names the fix when the pipeline has no approval request yet, or is not the sandbox's", async () => {
    await web().chat.postMessage({ channel: CHANNEL, text: "pipewright-shop-orders started" });
    const none = run({ kind: "click", decision: "approve", pipeline: ORDERS });
    await expect(none).rejects.toThrow(NoApprovalRequestError);
    await expect(run({ kind: "click", decision: "approve", pipeline: ORDERS })).rejects.toThrow(
      `No approval request for ${ORDERS} has reached Slack yet (the stand-in has 1 message(s), none with its Approve button). Fix: push a change that starts it`,
    );
    await expect(run({ kind: "click", decision: "approve", pipeline: "pipewright-shop-ordrs" })).rejects.toThrow(
      `Unknown pipeline "pipewright-shop-ordrs". Fix: name one of the sandbox's pipelines: ${ORDERS}, pipewright-shop-payments`,
    );
    expect(app.requests).toEqual([]);
  });

  it("names the fix when the sandbox runs without Slack", async () => {
    writeSandboxState(false);
    await expect(run({ kind: "slash-command", command: "/pipewright", text: "help" })).rejects.toThrow(SlackNotConfiguredError);
    await expect(run({ kind: "slash-command", command: "/pipewright", text: "help" })).rejects.toThrow(
      "This sandbox runs without Slack: its configuration's notifications.slack is not in bot mode. Fix:",
    );
  });
});
