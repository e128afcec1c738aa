import { type ApprovalRequest, approvalRequestMessage } from "../shared/slack/approval";
import type { ChatMessage, ThreadDelivery } from "./channels";
import type { ApprovalFacts, CommitFacts, FailedActionFacts } from "./facts";
import { safeLink } from "../shared/links";
import { escapeMrkdwn, mrkdwnLink } from "../shared/slack/mrkdwn";
import { cut } from "../shared/text";
import { firstLine } from "./notification";
import type { FinishState, ThreadStep } from "./routing";
import { codeBlock } from "./slack-message";
import { BUTTON_TEXT_MAX, CONTEXT_MAX, FIELD_MAX, HEADER_MAX, SECTION_MAX } from "../shared/slack/block-kit";

/**
 * The messages of a main pipeline's execution thread in Slack (bot mode), and
 * what one event posts there. Pure. The parent says what ran and how it
 * stands; replies tell the stage results, the approval and the finish.
 */

/** Failed actions told in full in one reply; more are counted. */
const LISTED_FAILURES = 3;

/** What an event tells about its execution, as the handler gathered it. */
export interface ThreadInput {
  step: ThreadStep;
  eventId: string;
  pipeline: string;
  executionId: string;
  /** owner/name; undefined when the pipeline belongs to no configured repository. */
  repository?: string;
  service?: string;
  branch?: string;
  commit?: CommitFacts;
  /** How the execution was started (GetPipelineExecution's trigger, else the event's). */
  trigger?: { type?: string; detail?: string };
  links: { execution?: string; commit?: string };
  /** The execution's status as GetPipelineExecution reports it (InProgress, Succeeded, ...), when read. */
  executionStatus?: string;
  /** CodePipeline's summary of the execution (why it stopped, what superseded it). */
  statusSummary?: string;
  /** When the execution started (the event's start-time, ISO 8601). */
  startTime?: string;
  /** The event's time (ISO 8601). */
  time: string;
  /** The execution's failed actions (for a failed stage or a failed finish). */
  failures: readonly FailedActionFacts[];
  /** For an approval waiting: the approval's instructions and review link. */
  approval?: ApprovalFacts;
  /** Slack user ids who may answer the approval from Slack; none: the message sends reviewers to the console. */
  approvers: readonly string[];
}

/** How the parent describes the execution. */
export type ParentState = { kind: "running" } | { kind: "finished"; state: FinishState; durationMs?: number };

const FINISH_WORDS: Readonly<Record<FinishState, { done: string; duration: string }>> = {
  SUCCEEDED: { done: "Succeeded", duration: "in" },
  FAILED: { done: "Failed", duration: "after" },
  STOPPED: { done: "Stopped", duration: "after" },
  CANCELED: { done: "Canceled", duration: "after" },
  SUPERSEDED: { done: "Superseded", duration: "after" },
};

/** GetPipelineExecution's final statuses, as the events spell them. */
const FINISHED_STATUSES: Readonly<Record<string, FinishState>> = {
  Succeeded: "SUCCEEDED",
  Failed: "FAILED",
  Stopped: "STOPPED",
  Cancelled: "CANCELED",
  Superseded: "SUPERSEDED",
};

/** "45s", "4m 12s", "2h 5m". */
export function formatDuration(milliseconds: number): string {
  const seconds = Math.max(0, Math.round(milliseconds / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

/** From start to the event, when both times are known and in order. */
export function durationOf(startTime: string | undefined, time: string): number | undefined {
  if (startTime === undefined) return undefined;
  const start = Date.parse(startTime);
  const end = Date.parse(time);
  return Number.isNaN(start) || Number.isNaN(end) || end < start ? undefined : end - start;
}

function stateLine(state: ParentState): string {
  if (state.kind === "running") return "Running";
  const words = FINISH_WORDS[state.state];
  return state.durationMs === undefined ? words.done : `${words.done} ${words.duration} ${formatDuration(state.durationMs)}`;
}

function field(label: string, value: string) {
  return { type: "mrkdwn", text: cut(`*${label}*\n${value}`, FIELD_MAX) };
}

function context(text: string) {
  return { type: "context", elements: [{ type: "mrkdwn", text: cut(escapeMrkdwn(text), CONTEXT_MAX) }] };
}

function buttons(entries: ReadonlyArray<[label: string, url: string | undefined, actionId: string]>) {
  const elements = entries
    .filter((entry): entry is [string, string, string] => safeLink(entry[1]) !== undefined)
    .map(([label, url, actionId]) => ({
      type: "button",
      text: { type: "plain_text", text: cut(label, BUTTON_TEXT_MAX), emoji: false },
      url,
      action_id: actionId,
    }));
  return elements.length > 0 ? [{ type: "actions", elements }] : [];
}

function where(input: Pick<ThreadInput, "pipeline" | "branch">): string {
  return input.branch ? `${input.pipeline} (${input.branch})` : input.pipeline;
}

function commitText(input: ThreadInput): string {
  if (input.commit === undefined) return "not reported yet";
  const message = firstLine(input.commit.message);
  return `${mrkdwnLink(input.links.commit, input.commit.shortSha)}${message ? ` ${escapeMrkdwn(cut(message, 150))}` : ""}`;
}

function triggerText(trigger: ThreadInput["trigger"]): string {
  if (trigger?.type === undefined) return "not reported";
  return escapeMrkdwn(cut(trigger.detail ? `${trigger.type} (${trigger.detail})` : trigger.type, 300));
}

/** The thread's parent: pipeline, repository, service, commit, trigger, and how the execution stands. */
export function parentMessage(input: ThreadInput, state: ParentState): ChatMessage {
  const line = stateLine(state);
  return {
    text: `${where(input)}: ${line.toLowerCase()}`,
    blocks: [
      { type: "header", text: { type: "plain_text", text: cut(where(input), HEADER_MAX), emoji: false } },
      { type: "section", text: { type: "mrkdwn", text: `*${line}*` } },
      {
        type: "section",
        fields: [
          field("Repository", escapeMrkdwn(input.repository ?? "unknown")),
          field("Service", escapeMrkdwn(input.service ?? "unknown")),
          field("Commit", commitText(input)),
          field("Trigger", triggerText(input.trigger)),
        ],
      },
      ...buttons([
        ["Open execution", input.links.execution, "pipewright-execution"],
        ["Commit", input.links.commit, "pipewright-commit"],
      ]),
      context(`Execution ${input.executionId}`),
    ],
  };
}

function failureDetails(failures: readonly FailedActionFacts[]): string | undefined {
  const listed = failures.slice(0, LISTED_FAILURES);
  if (listed.length === 0) return undefined;
  const perFailure = Math.floor((SECTION_MAX - 100) / listed.length) - 60;
  const text = listed
    .map(
      (f) =>
        `*${escapeMrkdwn(`${f.stage} / ${f.action}`)}*${f.errorCode ? ` (${escapeMrkdwn(f.errorCode)})` : ""}\n${codeBlock(f.summary ?? "no summary reported", perFailure)}`,
    )
    .join("\n");
  const more = failures.length > listed.length ? `\n_and ${failures.length - listed.length} more failed action(s)_` : "";
  return cut(`${text}${more}`, SECTION_MAX);
}

function logsButtons(failures: readonly FailedActionFacts[], executionUrl: string | undefined) {
  const first = failures.find((failure) => safeLink(failure.url) !== undefined);
  return buttons([
    [first?.provider === "CodeBuild" ? "Build logs" : "Failed action", first?.url, "pipewright-logs"],
    ["Open execution", executionUrl, "pipewright-execution"],
  ]);
}

function section(text: string) {
  return { type: "section", text: { type: "mrkdwn", text: cut(text, SECTION_MAX) } };
}

function stageReply(input: ThreadInput, stage: string, outcome: "SUCCEEDED" | "FAILED"): ChatMessage {
  if (outcome === "SUCCEEDED") {
    return { text: `${input.pipeline}: stage ${stage} succeeded`, blocks: [section(`Stage *${escapeMrkdwn(stage)}* succeeded`)] };
  }
  const failures = input.failures.filter((failure) => failure.stage === stage);
  const first = failures[0];
  const details = failureDetails(failures);
  return {
    text: `${input.pipeline}: stage ${stage} failed${first ? ` at ${first.action}` : ""}`,
    blocks: [
      section(`Stage *${escapeMrkdwn(stage)}* failed${first ? ` at *${escapeMrkdwn(first.action)}*` : ""}`),
      ...(details ? [section(details)] : [context("CodePipeline reports no failed action of this stage")]),
      ...logsButtons(failures, input.links.execution),
    ],
  };
}

function finishReply(input: ThreadInput, state: FinishState, durationMs: number | undefined): ChatMessage {
  const line = stateLine({ kind: "finished", state, durationMs });
  const first = input.failures[0];
  const at = state === "FAILED" && first ? ` at ${first.stage} / ${first.action}` : "";
  const blocks: unknown[] = [section(`Finished: *${line}*${escapeMrkdwn(at)}`)];
  const details = state === "FAILED" ? failureDetails(input.failures) : undefined;
  if (details) blocks.push(section(details));
  if (state !== "SUCCEEDED" && state !== "FAILED" && input.statusSummary) blocks.push(section(`*Reason*\n${escapeMrkdwn(input.statusSummary)}`));
  blocks.push(
    ...(state === "FAILED"
      ? logsButtons(input.failures, input.links.execution)
      : buttons([["Open execution", input.links.execution, "pipewright-execution"]])),
  );
  return { text: `${where(input)}: ${line.toLowerCase()}${at}`, blocks };
}

function resumeReply(input: ThreadInput): ChatMessage {
  return { text: `${input.pipeline}: resumed`, blocks: [section("*Resumed*: a failed stage is being retried")] };
}

/** The approval request of the shared approval message, with its buttons when someone may answer from Slack. */
function approvalRequest(input: ThreadInput, approval: ApprovalFacts): ApprovalRequest {
  return {
    target: { pipeline: input.pipeline, stage: approval.stage, action: approval.action, executionId: input.executionId },
    repository: input.repository,
    service: input.service,
    commit: input.commit ? { sha: input.commit.sha, url: input.links.commit, message: input.commit.message } : undefined,
    changeSetUrl: safeLink(approval.reviewUrl),
    executionUrl: input.links.execution,
    instructions: approval.customData,
    approvers: input.approvers,
  };
}

/** A reply posted on its own (its parent was not there in time): it says which execution it belongs to. */
function standalone(input: ThreadInput, reply: ChatMessage): ChatMessage {
  return { text: reply.text, blocks: [context(`${where(input)}, execution ${input.executionId}`), ...reply.blocks] };
}

/**
 * The parent as the execution stands: finished when this event finishes it,
 * or when CodePipeline already reports it finished (a late event); running
 * otherwise.
 */
function parentState(input: ThreadInput): ParentState {
  if (input.step.kind === "finish") return { kind: "finished", state: input.step.state, durationMs: durationOf(input.startTime, input.time) };
  const finished = input.executionStatus === undefined ? undefined : FINISHED_STATUSES[input.executionStatus];
  return finished ? { kind: "finished", state: finished } : { kind: "running" };
}

/** What the event posts in its execution's thread. */
export function threadDelivery(input: ThreadInput): ThreadDelivery {
  const { step } = input;
  const parent = parentMessage(input, parentState(input));
  const delivery: ThreadDelivery = { pipeline: input.pipeline, executionId: input.executionId, eventId: input.eventId, parent };
  const reply = (message: ChatMessage, broadcast = false) => ({ message, standalone: standalone(input, message), broadcast });
  switch (step.kind) {
    case "start":
      return delivery;
    case "resume":
      // A late RESUMED must not turn a finished execution's parent back to running.
      return { ...delivery, parentUpdate: input.executionStatus === "InProgress" ? parent : undefined, reply: reply(resumeReply(input)) };
    case "stage":
      return { ...delivery, reply: reply(stageReply(input, step.stage, step.outcome)) };
    case "approval": {
      const approval = input.approval ?? { stage: step.stage, action: step.action };
      const message = approvalRequestMessage(approvalRequest(input, approval));
      // The approval names its pipeline itself; it is shown in the channel too, where approvers look.
      return { ...delivery, reply: { message, standalone: message, broadcast: true } };
    }
    case "finish":
      return { ...delivery, parentUpdate: parent, reply: reply(finishReply(input, step.state, durationOf(input.startTime, input.time))) };
  }
}
