// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import { isLoopbackHost } from "../loopback";
import { cut } from "../text";
import { escapeMrkdwn, mrkdwnLink } from "./mrkdwn";
import { BUTTON_TEXT_MAX, BUTTON_VALUE_MAX, CONTEXT_MAX, FIELD_MAX, HEADER_MAX, PLACEHOLDER_MAX, SECTION_MAX, URL_MAX } from "./block-kit";

/**
 * The approval message in Slack: the notifier posts it when a prod approval
 * waits, the worker answers its buttons and then rewrites it (chat.update)
 * without them. Pure. Slack rejects a whole message for one bad block, so
 * every Block Kit limit is kept here.
 */

export const APPROVAL_BLOCK_ID = "pipewright_approval";
export const APPROVE_ACTION_ID = "pipewright_approve";
export const REJECT_ACTION_ID = "pipewright_reject";
/** The optional comment: an input block whose value arrives in the click's `state.values`. */
export const COMMENT_BLOCK_ID = "pipewright_comment";
export const COMMENT_ACTION_ID = "comment";
/** The line the worker adds when the approval is answered; replaced, never stacked. */
export const OUTCOME_BLOCK_ID = "pipewright_outcome";
/** Who may answer; removed with the buttons once answered. */
export const APPROVERS_BLOCK_ID = "pipewright_approvers";
/** Link buttons (change set, execution): Slack reports their clicks too, which the front ignores. */
export const LINKS_BLOCK_ID = "pipewright_links";

/** A plain_text_input's max_length; CodePipeline's summary holds at most 512 characters in all. */
const COMMENT_MAX = 400;

/** The approval action a button answers, and the execution it was posted for. */
export interface ApprovalTarget {
  pipeline: string;
  stage: string;
  action: string;
  executionId: string;
}

// CodePipeline's naming rules for pipelines, stages and actions; execution ids are UUIDs.
const codePipelineName = z.string().regex(/^[A-Za-z0-9.@_-]{1,100}$/, { error: "is not a CodePipeline name" });
const approvalTargetSchema = z.strictObject({
  pipeline: codePipelineName,
  stage: codePipelineName,
  action: codePipelineName,
  executionId: z.string().regex(/^[0-9A-Fa-f-]{1,64}$/, { error: "is not a pipeline execution id" }),
});

/** A button's value is not an approval target (a forged or foreign click, or a bug). */
export class ApprovalTargetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ApprovalTargetError";
  }
}

function problems(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "(value)"} ${issue.message}`).join("; ");
}

/** The buttons' `value`: the target as JSON. Throws ApprovalTargetError for names CodePipeline would not have given. */
export function encodeApprovalTarget(target: ApprovalTarget): string {
  const result = approvalTargetSchema.safeParse(target);
  if (!result.success) throw new ApprovalTargetError(`The approval target cannot go on a Slack button: ${problems(result.error)}`);
  return JSON.stringify(result.data);
}

/** Reads a button's value back. Throws ApprovalTargetError naming the problem (never the value). */
export function decodeApprovalTarget(value: string): ApprovalTarget {
  if (value.length > BUTTON_VALUE_MAX)
    throw new ApprovalTargetError(`The button's value has ${value.length} characters; a Slack button holds at most ${BUTTON_VALUE_MAX}`);
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch (error) {
    throw new ApprovalTargetError("The button's value is not JSON; it was not posted by pipewright", { cause: error });
  }
  const result = approvalTargetSchema.safeParse(json);
  if (!result.success) throw new ApprovalTargetError(`The button's value is not an approval target: ${problems(result.error)}`);
  return result.data;
}

export interface ApprovalRequest {
  target: ApprovalTarget;
  repository?: string;
  service?: string;
  commit?: { sha: string; url?: string; message?: string };
  changeSetUrl?: string;
  executionUrl?: string;
  /** The approval action's CustomData: what the reviewer should check. */
  instructions?: string;
  /** Slack user ids who may answer; empty: no buttons, a line saying the approval is in the console. */
  approvers: readonly string[];
}

interface TextObject {
  type: "plain_text" | "mrkdwn";
  text: string;
  emoji?: boolean;
}

function plain(text: string, max: number): TextObject {
  return { type: "plain_text", text: cut(text, max), emoji: false };
}

function mrkdwn(text: string, max: number): TextObject {
  return { type: "mrkdwn", text: cut(text, max) };
}

function field(label: string, value: string): TextObject {
  return mrkdwn(`*${label}*\n${value}`, FIELD_MAX);
}

/** The URL if a message may link to it: https, or http on this machine (the sandbox's fakes). */
function usableUrl(url: string | undefined): string | undefined {
  if (url === undefined || url.length > URL_MAX) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  return parsed.protocol === "https:" || (parsed.protocol === "http:" && isLoopbackHost(parsed.hostname)) ? url : undefined;
}

function firstLine(text: string | undefined): string | undefined {
  const line = text?.split(/\r?\n/, 1)[0]?.trim();
  return line ? line : undefined;
}

function linkButton(text: string, url: string | undefined, actionId: string): Record<string, unknown> | undefined {
  const usable = usableUrl(url);
  return usable === undefined ? undefined : { type: "button", text: plain(text, BUTTON_TEXT_MAX), url: usable, action_id: actionId };
}

function userList(users: readonly string[]): string {
  return users.map((user) => `<@${user}>`).join(", ");
}

/** The message the notifier posts when an approval waits: who may answer it in Slack, or that it is in the console. */
export function approvalRequestMessage(request: ApprovalRequest): { text: string; blocks: unknown[] } {
  const { target } = request;
  const where = `${target.pipeline} / ${target.stage} / ${target.action}`;
  const commit = request.commit;
  const commitText = commit
    ? `${mrkdwnLink(usableUrl(commit.url), commit.sha.slice(0, 7))}${firstLine(commit.message) ? ` ${escapeMrkdwn(cut(firstLine(commit.message) ?? "", 150))}` : ""}`
    : "unknown";
  const blocks: unknown[] = [
    { type: "header", text: plain(`Approval needed: ${target.pipeline}`, HEADER_MAX) },
    {
      type: "section",
      fields: [
        field("Repository", escapeMrkdwn(request.repository ?? "unknown")),
        field("Service", escapeMrkdwn(request.service ?? "unknown")),
        field("Commit", commitText),
        field("Waiting at", escapeMrkdwn(`${target.stage} / ${target.action}`)),
      ],
    },
  ];
  if (request.instructions?.trim()) {
    blocks.push({ type: "section", text: mrkdwn(`*Reviewer instructions*\n${escapeMrkdwn(request.instructions.trim())}`, SECTION_MAX) });
  }
  const links = [
    linkButton("Review change set", request.changeSetUrl, "pipewright_change_set"),
    linkButton("Open execution", request.executionUrl, "pipewright_execution"),
  ].filter((element) => element !== undefined);
  if (links.length > 0) blocks.push({ type: "actions", block_id: LINKS_BLOCK_ID, elements: links });

  if (request.approvers.length === 0) {
    blocks.push({
      type: "context",
      elements: [
        mrkdwn(
          `No Slack user may answer this approval: approve or reject it in the ${mrkdwnLink(usableUrl(request.executionUrl), "CodePipeline console")}.`,
          CONTEXT_MAX,
        ),
      ],
    });
    return { text: `Approval needed: ${where}`, blocks };
  }

  const value = encodeApprovalTarget(target);
  blocks.push(
    {
      type: "input",
      block_id: COMMENT_BLOCK_ID,
      optional: true,
      label: plain("Comment", 2000),
      element: {
        type: "plain_text_input",
        action_id: COMMENT_ACTION_ID,
        max_length: COMMENT_MAX,
        placeholder: plain("Why you approve or reject (optional)", PLACEHOLDER_MAX),
      },
    },
    {
      type: "actions",
      block_id: APPROVAL_BLOCK_ID,
      elements: [
        { type: "button", text: plain("Approve", BUTTON_TEXT_MAX), style: "primary", action_id: APPROVE_ACTION_ID, value },
        {
          type: "button",
          text: plain("Reject", BUTTON_TEXT_MAX),
          style: "danger",
          action_id: REJECT_ACTION_ID,
          value,
          confirm: {
            title: plain("Reject this deployment?", 100),
            text: plain(`The execution of ${target.pipeline} stops at ${target.stage}.`, 300),
            confirm: plain("Reject", 30),
            deny: plain("Cancel", 30),
            style: "danger",
          },
        },
      ],
    },
    { type: "context", block_id: APPROVERS_BLOCK_ID, elements: [mrkdwn(`Who may answer: ${userList(request.approvers)}`, CONTEXT_MAX)] },
  );
  return { text: `Approval needed: ${where}`, blocks };
}

/** What became of a click on an approval message. */
export type ApprovalOutcome =
  | { result: "approved" | "rejected"; user: { id: string; name?: string }; at: Date; comment?: string }
  | { result: "already_answered" | "expired" | "superseded"; user: { id: string; name?: string }; at: Date };

function slackDate(at: Date): string {
  const seconds = Math.floor(at.getTime() / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${at.toISOString()}>`;
}

/** The outcome in one line of mrkdwn: who, when, the result and the comment. */
export function approvalOutcomeLine(outcome: ApprovalOutcome): string {
  const who = `<@${outcome.user.id}>`;
  const when = slackDate(outcome.at);
  switch (outcome.result) {
    case "approved":
    case "rejected": {
      const verb = outcome.result === "approved" ? ":white_check_mark: Approved" : ":x: Rejected";
      const comment = outcome.comment?.trim() ? `: “${escapeMrkdwn(outcome.comment.trim())}”` : "";
      return `${verb} by ${who} ${when}${comment}`;
    }
    case "already_answered":
      return `This approval was already answered (in the console or in Slack) when ${who} clicked ${when}.`;
    case "expired":
      return `This approval had expired when ${who} clicked ${when}; CodePipeline no longer waits for it.`;
    case "superseded":
      return `A newer execution superseded this one when ${who} clicked ${when}; answer the newer approval instead.`;
  }
}

function blockId(block: unknown): unknown {
  return typeof block === "object" && block !== null ? (block as { block_id?: unknown }).block_id : undefined;
}

/**
 * The approval message once answered: the original blocks (from the click's
 * payload) without the buttons, the comment input and the approvers, and a line with the
 * outcome. The worker sends it with chat.update.
 */
export function answeredApprovalMessage(
  original: { text?: string; blocks: readonly unknown[] },
  outcome: ApprovalOutcome,
): { text: string; blocks: unknown[] } {
  const removed = new Set<unknown>([APPROVAL_BLOCK_ID, COMMENT_BLOCK_ID, APPROVERS_BLOCK_ID, OUTCOME_BLOCK_ID]);
  const line = approvalOutcomeLine(outcome);
  const blocks = original.blocks.filter((block) => !removed.has(blockId(block)));
  blocks.push({ type: "section", block_id: OUTCOME_BLOCK_ID, text: mrkdwn(line, SECTION_MAX) });
  const headline = original.text?.trim() || "Approval";
  return { text: cut(`${headline}: ${outcome.result.replace("_", " ")}`, 3000), blocks };
}
