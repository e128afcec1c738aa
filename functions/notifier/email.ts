import { cut } from "../shared/text";
import { AUTHOR_UNAVAILABLE, firstLine, stateWords, whereBuilt, type Notification } from "./notification";

/**
 * The SNS message: a subject for e-mail and a plain-text body that reads
 * well in any mail client. Pure.
 */

/** SNS: "less than 100 characters", ASCII, no line breaks or control characters. */
export const MAX_SUBJECT_LENGTH = 99;
/** Well under SNS's 256 KB: a message is read, not archived. */
const MAX_SUMMARY_LENGTH = 1500;
const MAX_LISTED_FAILURES = 10;

const SUBJECT_TAGS: Readonly<Record<Notification["state"], string>> = {
  FAILED: "FAILED",
  APPROVAL_WAITING: "APPROVAL WAITING",
  RECOVERED: "RECOVERED",
  SUCCEEDED: "SUCCEEDED",
  STARTED: "STARTED",
  STOPPED: "STOPPED",
  SUPERSEDED: "SUPERSEDED",
};

/** Printable ASCII only: accents dropped, anything else becomes "?", whitespace collapsed. */
export function toAsciiLine(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/\s+/g, " ")
    .replace(/[^\x20-\x7e]/g, "?")
    .trim();
}

export function emailSubject(notification: Notification): string {
  const tag = notification.state === "STOPPED" && notification.eventState === "CANCELED" ? "CANCELED" : SUBJECT_TAGS[notification.state];
  const parts = [`${tag}: ${notification.pipeline}`];
  // owner/name#12 is how GitHub names a pull request across repositories.
  const where =
    notification.pullRequest !== undefined
      ? notification.repository
        ? `${notification.repository}#${notification.pullRequest}`
        : `PR #${notification.pullRequest}`
      : notification.branch;
  if (where) parts.push(where);
  const failure = notification.failures[0];
  if (notification.state === "FAILED" && failure) parts.push(`at ${failure.stage}/${failure.action}`);
  if (notification.state === "APPROVAL_WAITING" && notification.approval) parts.push(`at ${notification.approval.stage}`);
  const subject = toAsciiLine(parts.join(", "));
  // SNS wants it to begin with a letter, number or punctuation: the tag does.
  return cut(subject, MAX_SUBJECT_LENGTH);
}

function row(label: string, value: string | undefined): string | undefined {
  return value === undefined ? undefined : `${`${label}:`.padEnd(14)} ${value}`;
}

function headline(n: Notification): string {
  const where = [n.repository, n.service ? `service ${n.service}` : undefined, whereBuilt(n)].filter((part) => part !== undefined);
  const of = `${n.pipeline}${where.length > 0 ? ` (${where.join(", ")})` : ""}`;
  switch (n.state) {
    case "FAILED": {
      const failure = n.failures[0];
      return failure ? `The execution of ${of} failed at stage ${failure.stage}, action ${failure.action}.` : `The execution of ${of} failed.`;
    }
    case "APPROVAL_WAITING":
      return `${of} is waiting for a manual approval at stage ${n.approval?.stage}, action ${n.approval?.action}.`;
    case "RECOVERED":
      return `${of} succeeded again after a failed execution.`;
    default:
      return `The execution of ${of} ${stateWords(n)}.`;
  }
}

function commitLine(n: Notification): string {
  if (!n.commit) return "unknown (CodePipeline reported no source revision)";
  const message = firstLine(n.commit.message);
  return `${n.commit.shortSha}${message ? ` ${cut(message, 200)}` : " (message not reported)"}`;
}

export function emailBody(n: Notification): string {
  const lines: Array<string | undefined> = [headline(n), ""];

  if (n.state === "FAILED") {
    const shown = n.failures.slice(0, MAX_LISTED_FAILURES);
    for (const failure of shown) {
      lines.push(`Failed action: ${failure.stage} / ${failure.action}${failure.provider ? ` (${failure.provider})` : ""}`);
      lines.push(
        `Error:         ${failure.summary ? cut(failure.summary, MAX_SUMMARY_LENGTH) : "no summary reported"}${failure.errorCode ? ` [${failure.errorCode}]` : ""}`,
      );
      lines.push("");
    }
    if (n.failures.length > shown.length) lines.push(`... and ${n.failures.length - shown.length} more failed action(s).`, "");
    if (n.failures.length === 0) lines.push("Failed action: not found in the execution's action executions", "");
  }
  if (n.state === "APPROVAL_WAITING" && n.approval?.customData) {
    lines.push("Reviewer instructions:", cut(n.approval.customData, MAX_SUMMARY_LENGTH), "");
  }
  if (n.statusSummary && (n.state === "STOPPED" || n.state === "SUPERSEDED")) {
    lines.push(`Reason:        ${cut(n.statusSummary, MAX_SUMMARY_LENGTH)}`, "");
  }

  lines.push(
    row("Pipeline", n.pipeline),
    row("Repository", n.repository ?? "unknown (not a pipeline of a configured repository)"),
    row("Service", n.service ?? "unknown (not a pipeline of the configured services)"),
    n.pullRequest !== undefined ? row("Pull request", `#${n.pullRequest}${n.repository ? ` in ${n.repository}` : ""}`) : undefined,
    row("Branch", n.branch ?? "not reported"),
    row("Commit", commitLine(n)),
    row("Author", AUTHOR_UNAVAILABLE),
    row("State", n.eventState),
    row("Recovers", n.recoveredFrom),
    row("Account", `${n.account}, Region ${n.region}`),
    row("Execution", n.executionId),
    row("Time", n.time),
    "",
    "Links",
    row("Execution", n.links.execution ?? `no console link for partition ${n.partition}`),
    row(n.failures[0]?.provider === "CodeBuild" ? "Build logs" : "Action", n.links.logs),
    row("Approve", n.links.approval),
    row("Review", n.links.review),
    row("Commit", n.links.commit),
    row("Pull request", n.links.pullRequest),
  );
  if (n.missing.length > 0) {
    lines.push("", "Some details could not be read and are missing from this message:", ...n.missing.map((m) => `  - ${m}`));
  }
  lines.push("", "Sent by pipewright's notifier. Which states notify is set by NOTIFY_STATES in the notifications configuration.");
  return lines.filter((line): line is string => line !== undefined).join("\n");
}

export interface EmailMessage {
  subject: string;
  body: string;
}

export function emailMessage(notification: Notification): EmailMessage {
  return { subject: emailSubject(notification), body: emailBody(notification) };
}
