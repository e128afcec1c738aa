import type { ChatMessage } from "./channels";
import { escapeMrkdwn, mrkdwnLink } from "../shared/slack/mrkdwn";
import { cut } from "../shared/text";
import { AUTHOR_UNAVAILABLE, firstLine, stateWords, type Notification } from "./notification";
import type { NotifyState } from "./routing";
import { BUTTON_TEXT_MAX, FIELD_MAX, FIELDS_MAX, HEADER_MAX, SECTION_MAX } from "../shared/slack/block-kit";

/**
 * The Slack message: Block Kit inside an attachment, whose colour bar shows
 * the state, with buttons that open the console. Pure. Slack rejects a whole
 * message for one bad block (too long a text, a bad URL), so every limit is
 * kept here.
 */

export const SLACK_COLOURS: Readonly<Record<NotifyState, string>> = {
  FAILED: "#d1242f",
  APPROVAL_WAITING: "#d4a72c",
  RECOVERED: "#1f883d",
  SUCCEEDED: "#1f883d",
  STARTED: "#0969da",
  STOPPED: "#8c959f",
  SUPERSEDED: "#8c959f",
};

interface TextObject {
  type: "plain_text" | "mrkdwn";
  text: string;
  emoji?: boolean;
}

interface ButtonElement {
  type: "button";
  text: TextObject;
  url: string;
  action_id: string;
  style?: "primary" | "danger";
}

export type SlackBlock =
  | { type: "header"; text: TextObject }
  | { type: "section"; text?: TextObject; fields?: TextObject[] }
  | { type: "actions"; elements: ButtonElement[] }
  | { type: "context"; elements: TextObject[] };

export interface SlackMessage {
  /** Shown in notifications and by clients that cannot show blocks. */
  text: string;
  attachments: Array<{ color: string; fallback: string; blocks: SlackBlock[] }>;
}

function field(label: string, value: string): TextObject {
  return { type: "mrkdwn", text: cut(`*${label}*\n${value}`, FIELD_MAX) };
}

function header(n: Notification): string {
  const where = n.pullRequest !== undefined ? ` (PR #${n.pullRequest})` : n.branch ? ` (${n.branch})` : "";
  return cut(`${n.pipeline}${where} ${stateWords(n)}`, HEADER_MAX);
}

function fields(n: Notification): TextObject[] {
  const message = firstLine(n.commit?.message);
  const list = [
    field("Repository", escapeMrkdwn(n.repository ?? "unknown")),
    field("Service", escapeMrkdwn(n.service ?? "unknown")),
    n.pullRequest !== undefined
      ? field("Pull request", mrkdwnLink(n.links.pullRequest, `#${n.pullRequest}`) + (n.branch ? ` (${escapeMrkdwn(n.branch)})` : ""))
      : field("Branch", escapeMrkdwn(n.branch ?? "not reported")),
    field("Commit", n.commit ? `${mrkdwnLink(n.links.commit, n.commit.shortSha)}${message ? ` ${escapeMrkdwn(cut(message, 150))}` : ""}` : "unknown"),
    field("Author", `_${AUTHOR_UNAVAILABLE}_`),
  ];
  const failure = n.failures[0];
  if (n.state === "FAILED") list.push(field("Failed at", failure ? escapeMrkdwn(`${failure.stage} / ${failure.action}`) : "unknown"));
  if (n.state === "APPROVAL_WAITING" && n.approval) list.push(field("Waiting at", escapeMrkdwn(`${n.approval.stage} / ${n.approval.action}`)));
  list.push(field("Account", escapeMrkdwn(`${n.account} (${n.region})`)));
  return list.slice(0, FIELDS_MAX);
}

/** Text in a mrkdwn code block of at most `max` characters. */
export function codeBlock(text: string, max: number): string {
  // Triple backticks inside would end the block early.
  return `\`\`\`${cut(escapeMrkdwn(text.replace(/```/g, "'''")), max - 6)}\`\`\``;
}

function detailSection(n: Notification): SlackBlock | undefined {
  if (n.state === "FAILED") {
    const failures = n.failures.slice(0, 3);
    if (failures.length === 0) return undefined;
    const perFailure = Math.floor((SECTION_MAX - 100) / failures.length) - 60;
    const text = failures
      .map(
        (f) =>
          `*${escapeMrkdwn(`${f.stage} / ${f.action}`)}*${f.errorCode ? ` (${escapeMrkdwn(f.errorCode)})` : ""}\n${codeBlock(f.summary ?? "no summary reported", perFailure)}`,
      )
      .join("\n");
    const more = n.failures.length > failures.length ? `\n_and ${n.failures.length - failures.length} more failed action(s)_` : "";
    return { type: "section", text: { type: "mrkdwn", text: cut(`${text}${more}`, SECTION_MAX) } };
  }
  if (n.state === "APPROVAL_WAITING" && n.approval?.customData) {
    return { type: "section", text: { type: "mrkdwn", text: cut(`*Reviewer instructions*\n${escapeMrkdwn(n.approval.customData)}`, SECTION_MAX) } };
  }
  if ((n.state === "STOPPED" || n.state === "SUPERSEDED") && n.statusSummary) {
    return { type: "section", text: { type: "mrkdwn", text: cut(`*Reason*\n${escapeMrkdwn(n.statusSummary)}`, SECTION_MAX) } };
  }
  return undefined;
}

function button(text: string, url: string | undefined, actionId: string, style?: "primary" | "danger"): ButtonElement | undefined {
  if (!url) return undefined;
  return {
    type: "button",
    text: { type: "plain_text", text: cut(text, BUTTON_TEXT_MAX), emoji: false },
    url,
    action_id: actionId,
    ...(style ? { style } : {}),
  };
}

function buttons(n: Notification): ButtonElement[] {
  const logsLabel = n.failures[0]?.provider === "CodeBuild" ? "Build logs" : "Failed action";
  return [
    n.state === "APPROVAL_WAITING" ? button("Review and approve", n.links.approval, "pipewright-approve", "primary") : undefined,
    n.state === "APPROVAL_WAITING" ? button("What to review", n.links.review, "pipewright-review") : undefined,
    button("Open execution", n.links.execution, "pipewright-execution", n.state === "FAILED" ? "danger" : undefined),
    n.state === "FAILED" ? button(logsLabel, n.links.logs, "pipewright-logs") : undefined,
    button("Commit", n.links.commit, "pipewright-commit"),
    button("Pull request", n.links.pullRequest, "pipewright-pull-request"),
  ].filter((element): element is ButtonElement => element !== undefined);
}

export function slackMessage(n: Notification, fallbackText: string): SlackMessage {
  const blocks: SlackBlock[] = [
    { type: "header", text: { type: "plain_text", text: header(n), emoji: false } },
    { type: "section", fields: fields(n) },
  ];
  const detail = detailSection(n);
  if (detail) blocks.push(detail);
  const actions = buttons(n);
  if (actions.length > 0) blocks.push({ type: "actions", elements: actions });
  const missing = n.missing.length > 0 ? ` · missing: ${n.missing.join("; ")}` : "";
  blocks.push({
    type: "context",
    elements: [{ type: "mrkdwn", text: cut(escapeMrkdwn(`Execution ${n.executionId} · ${n.eventState} · ${n.time}${missing}`), SECTION_MAX) }],
  });
  return {
    text: fallbackText,
    attachments: [{ color: SLACK_COLOURS[n.state], fallback: fallbackText, blocks }],
  };
}

/**
 * The same message for Slack's Web API (bot mode, a message on its own):
 * chat.postMessage takes the blocks themselves, without the coloured attachment.
 */
export function slackChatMessage(n: Notification, fallbackText: string): ChatMessage {
  const message = slackMessage(n, fallbackText);
  return { text: message.text, blocks: message.attachments.flatMap((attachment) => attachment.blocks) };
}
