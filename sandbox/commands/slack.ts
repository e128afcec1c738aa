import { randomBytes } from "node:crypto";
import { SandboxError, SandboxNotRunningError, UsageError } from "../errors";
import { APPROVE_ACTION_ID, REJECT_ACTION_ID } from "../../functions/shared/slack/approval";
import type { SandboxPaths } from "../paths";
import { slackMessageLines, slackResponseLines } from "../slack-display";
import {
  newestApprovalMessage,
  postSlackRequest,
  SLACK_USER_ID,
  type SlackAppAnswer,
  signedBlockAction,
  signedSlashCommand,
} from "../slack-requests";
import { type RecordedSlackCall, readRecordedSlackCalls } from "../slack-standin";
import { readState, type SandboxSlack, type SandboxState } from "../state";

/** What `npm run sandbox -- slack ...` asks for. */
export type SlackCommandLine =
  | { readonly kind: "slash-command"; readonly command: string; readonly text: string; readonly user?: string }
  | {
      readonly kind: "click";
      readonly decision: "approve" | "reject";
      readonly pipeline: string;
      readonly user?: string;
      readonly comment?: string;
    };

export const SLACK_USAGE = `  slack '<slash command>' [--user <id>]   send e.g. '/pipewright status orders' as Slack does (signed), print the answers
  slack approve|reject <pipeline>        click Approve or Reject on the pipeline's newest approval request in Slack
        [--user <id>] [--comment "<text>"]
                                         --user: the Slack user (default the first approver, U0APPROVER1); --comment: the comment box`;

/** No approval request for the pipeline has reached the Slack stand-in. */
export class NoApprovalRequestError extends SandboxError {}

/** The sandbox runs without Slack (its configuration is not in bot mode). */
export class SlackNotConfiguredError extends SandboxError {}

/**
 * What follows `slack` on the command line: `positional` without the
 * options, which the CLI has taken out. Throws UsageError naming the fix.
 */
export function parseSlackArguments(positional: readonly string[], options: { readonly user?: string; readonly comment?: string }): SlackCommandLine {
  const { user, comment } = options;
  if (user !== undefined && !SLACK_USER_ID.test(user)) {
    throw new UsageError(
      `--user "${user}" is not a Slack user id. Fix: U or W, then 8 or more upper-case letters and digits, e.g. --user U0APPROVER1`,
    );
  }
  const [first, ...rest] = positional;
  if (first === undefined) throw new UsageError(`slack needs a slash command or approve|reject <pipeline>. Fix: e.g.\n${SLACK_USAGE}`);
  if (first === "approve" || first === "reject") {
    const [pipeline, ...extra] = rest;
    if (pipeline === undefined)
      throw new UsageError(`slack ${first} needs a pipeline. Fix: npm run sandbox -- slack ${first} <pipeline>, e.g. pipewright-shop-orders`);
    if (extra.length > 0) {
      throw new UsageError(
        `slack ${first} takes one pipeline; "${extra.join(" ")}" is extra. Fix: quote a comment and give it with --comment "<text>"`,
      );
    }
    return { kind: "click", decision: first, pipeline, ...(user ? { user } : {}), ...(comment !== undefined ? { comment } : {}) };
  }
  const line = positional.join(" ").trim();
  const match = /^(\/\S+)\s*(.*)$/s.exec(line);
  if (!match) throw new UsageError(`"${line}" is not a slash command. Fix: start it with the command, e.g. slack '/pipewright status orders'`);
  if (comment !== undefined) throw new UsageError("--comment goes with slack approve|reject, not with a slash command. Fix: leave it out");
  return { kind: "slash-command", command: match[1] as string, text: (match[2] as string).trim(), ...(user ? { user } : {}) };
}

export interface SlackOptions {
  readonly write?: (line: string) => void;
  /** How long to wait for the app's answer (a response_url post or the chat.update). @default 20 s */
  readonly answerTimeoutMs?: number;
}

const POLL_INTERVAL_MS = 250;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The first call recorded after the first `after` calls that `matches`, waiting up to `timeoutMs`; undefined if none came. */
async function awaitRecorded(
  standInUrl: string,
  after: number,
  matches: (call: RecordedSlackCall) => boolean,
  timeoutMs: number,
): Promise<RecordedSlackCall | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await readRecordedSlackCalls(standInUrl)).slice(after).find(matches);
    if (found || Date.now() >= deadline) return found;
    await sleep(POLL_INTERVAL_MS);
  }
}

function slackOf(state: SandboxState): SandboxSlack {
  if (state.slack) return state.slack;
  throw new SlackNotConfiguredError(
    'This sandbox runs without Slack: its configuration\'s notifications.slack is not in bot mode. Fix: npm run sandbox -- down, then up with config/sandbox.json, or set notifications.slack to {"mode": "bot", "channel": "C..."} in yours',
  );
}

function userOf(line: SlackCommandLine, slack: SandboxSlack): string {
  const user = line.user ?? slack.approvers[0];
  if (user === undefined)
    throw new UsageError("The configuration names no Slack approvers (approvers.slackUserIds). Fix: say who clicks with --user U...");
  return user;
}

/** The app's immediate HTTP answer, as lines. */
function answerLines(answer: SlackAppAnswer): string[] {
  const lines = [`HTTP ${answer.status}`];
  if (answer.body.trim() === "") return lines;
  if (answer.contentType.startsWith("application/json")) {
    try {
      return [...lines, ...slackResponseLines(JSON.parse(answer.body)).map((line) => `  ${line}`)];
    } catch {
      // Not JSON after all: shown as it came.
    }
  }
  return [...lines, `  ${answer.body}`];
}

function newResponseUrl(slack: SandboxSlack): { id: string; url: string } {
  const id = randomBytes(8).toString("hex");
  return { id, url: `${slack.standInUrl}/response/${id}` };
}

function noAnswer(timeoutMs: number, state: SandboxState): string {
  return `No answer within ${timeoutMs / 1000} s (Slack would show nothing more). The Slack functions' logs: ${state.logDir}/function-*slack*.log`;
}

async function sendSlashCommand(
  state: SandboxState,
  line: Extract<SlackCommandLine, { kind: "slash-command" }>,
  write: (line: string) => void,
  timeoutMs: number,
): Promise<boolean> {
  const slack = slackOf(state);
  const user = userOf(line, slack);
  const response = newResponseUrl(slack);
  write(`${[line.command, line.text].filter(Boolean).join(" ")}  (as ${user} in ${slack.channel})`);
  const answer = await postSlackRequest(
    slack.commandsUrl,
    signedSlashCommand({
      signingSecret: slack.signingSecret,
      command: line.command,
      text: line.text,
      userId: user,
      channelId: slack.channel,
      responseUrl: response.url,
    }),
  );
  for (const shown of answerLines(answer)) write(shown);
  if (answer.status !== 200) {
    write(`Slack would say "${line.command} failed" (Slack needs HTTP 200 within 3 s).`);
    return false;
  }
  const reply = await awaitRecorded(slack.standInUrl, 0, (call) => call.kind === "response" && call.responseId === response.id, timeoutMs);
  if (!reply) {
    write(noAnswer(timeoutMs, state));
    return false;
  }
  write("Answer on response_url:");
  for (const shown of slackResponseLines(reply.body)) write(`  ${shown}`);
  return true;
}

async function click(
  state: SandboxState,
  line: Extract<SlackCommandLine, { kind: "click" }>,
  write: (line: string) => void,
  timeoutMs: number,
): Promise<boolean> {
  const slack = slackOf(state);
  const pipelines = state.repositories.flatMap((repository) => repository.pipelines.map((pipeline) => pipeline.name));
  if (!pipelines.includes(line.pipeline)) {
    throw new UsageError(`Unknown pipeline "${line.pipeline}". Fix: name one of the sandbox's pipelines: ${pipelines.join(", ")}`);
  }
  const user = userOf(line, slack);
  const recorded = await readRecordedSlackCalls(slack.standInUrl);
  const approval = newestApprovalMessage(recorded, line.pipeline);
  if (!approval) {
    const posted = recorded.filter((call) => call.kind === "postMessage" && call.ok).length;
    throw new NoApprovalRequestError(
      `No approval request for ${line.pipeline} has reached Slack yet (the stand-in has ${posted} message(s), none with its Approve button). ` +
        `Fix: push a change that starts it (npm run sandbox -- send push <payload.json>, e.g. sandbox/samples/push-orders.json), ` +
        "wait until the pipeline reaches its approval (npm run sandbox -- status; the notifier posts the request), then try again",
    );
  }
  const { target, message } = approval;
  const response = newResponseUrl(slack);
  const request = signedBlockAction({
    signingSecret: slack.signingSecret,
    message,
    channelId: approval.channel,
    actionId: line.decision === "approve" ? APPROVE_ACTION_ID : REJECT_ACTION_ID,
    userId: user,
    responseUrl: response.url,
    ...(line.comment !== undefined ? { comment: line.comment } : {}),
  });
  if (recorded.some((call) => call.kind === "update" && call.ok && call.ts === message.ts)) {
    write(`Note: message ${message.ts} was updated since it was posted; this click comes from a screen that still shows its buttons.`);
  }
  write(
    `${line.decision === "approve" ? "Approve" : "Reject"} ${target.pipeline} (stage ${target.stage}, action ${target.action}, execution ${target.executionId}) ` +
      `as ${user}${line.comment !== undefined ? ` with the comment "${line.comment}"` : ""}`,
  );
  const answer = await postSlackRequest(slack.interactionsUrl, request);
  for (const shown of answerLines(answer)) write(shown);
  if (answer.status !== 200) {
    write("Slack would show the click as failed (Slack needs HTTP 200 within 3 s).");
    return false;
  }
  const outcome = await awaitRecorded(
    slack.standInUrl,
    recorded.length,
    (call) => (call.kind === "update" && call.ts === message.ts) || (call.kind === "response" && call.responseId === response.id),
    timeoutMs,
  );
  if (!outcome) {
    write(noAnswer(timeoutMs, state));
    return false;
  }
  if (outcome.kind === "response") {
    write("Answer on response_url:");
    for (const shown of slackResponseLines(outcome.body)) write(`  ${shown}`);
    return true;
  }
  if (!outcome.ok) {
    write(`chat.update of message ${message.ts} was refused: ${outcome.error}`);
    return false;
  }
  write(`The message now reads (chat.update of ${message.ts}):`);
  for (const shown of slackMessageLines(outcome.message ?? outcome.body)) write(`  ${shown}`);
  return true;
}

/**
 * `npm run sandbox -- slack '/pipewright ...'` and `slack approve|reject <pipeline>`:
 * a slash command or a click on an approval request's button, sent to the
 * sandbox's HTTP API as Slack sends it (form-encoded, signed with the
 * sandbox's signing secret); prints the app's answer and then what Slack
 * would show (the response_url answer, or the approval message updated).
 * Returns whether the app answered.
 */
export async function slack(paths: SandboxPaths, line: SlackCommandLine, options: SlackOptions = {}): Promise<boolean> {
  const write = options.write ?? console.log;
  const timeoutMs = options.answerTimeoutMs ?? 20_000;
  const state = readState(paths.stateFile);
  if (!state) throw new SandboxNotRunningError(paths.stateFile);
  return line.kind === "slash-command" ? sendSlashCommand(state, line, write, timeoutMs) : click(state, line, write, timeoutMs);
}
