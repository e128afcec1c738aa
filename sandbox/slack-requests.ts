import { randomBytes } from "node:crypto";
import { slackSignature } from "../functions/shared/slack/signature";
import * as z from "zod";
import { SandboxError } from "./errors";
import {
  APPROVAL_BLOCK_ID,
  APPROVE_ACTION_ID,
  type ApprovalTarget,
  COMMENT_ACTION_ID,
  COMMENT_BLOCK_ID,
  decodeApprovalTarget,
} from "../functions/shared/slack/approval";
import type { RecordedSlackCall, SlackMessage } from "./slack-standin";
import { SANDBOX_SLACK_WORKSPACE } from "./slack-workspace";

/**
 * Requests as Slack sends them to pipewright's Slack app: a slash command
 * and a button click (block_actions), form-encoded and signed with the
 * app's signing secret. Pure functions: `npm run sandbox -- slack` and the
 * end-to-end tests build their requests here and post them to the HTTP API.
 */

/** A Slack user id, as Slack formats them. */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{8,}$/;

/** A request that cannot be built from what it was given. */
export class SlackRequestError extends SandboxError {}

export interface SignedSlackRequest {
  /** The form-encoded body, exactly as signed. */
  readonly body: string;
  /** X-Slack-Request-Timestamp: epoch seconds. */
  readonly timestamp: string;
  /** X-Slack-Signature: `v0=<hex>`. */
  readonly signature: string;
  /** Every header Slack sends with it. */
  readonly headers: Readonly<Record<string, string>>;
}

// Slack's request signature, as the functions verify it: `v0=<hex HMAC-SHA256 of "v0:<timestamp>:<body>">`.
export { slackSignature };

/** Signs `body` as sent at `sentAt`, with Slack's headers. */
export function signSlackRequest(signingSecret: string, body: string, sentAt: Date = new Date()): SignedSlackRequest {
  const timestamp = String(Math.floor(sentAt.getTime() / 1000));
  const signature = slackSignature(signingSecret, timestamp, body);
  return {
    body,
    timestamp,
    signature,
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
      "x-slack-request-timestamp": timestamp,
      "x-slack-signature": signature,
    },
  };
}

/** What every request from a person in the sandbox's workspace carries. */
export interface SlackRequestOptions {
  readonly signingSecret: string;
  readonly userId: string;
  /** @default derived from userId */
  readonly userName?: string;
  readonly channelId: string;
  /** Where the app may answer (the stand-in's `/response/<id>` in the sandbox). */
  readonly responseUrl: string;
  /** When Slack sent it (X-Slack-Request-Timestamp; a click's action_ts). @default now: set it in the past to send a stale request */
  readonly sentAt?: Date;
  /** @default a new one */
  readonly triggerId?: string;
}

export interface SlashCommandOptions extends SlackRequestOptions {
  /** `/pipewright`. */
  readonly command: string;
  /** What follows the command, e.g. `status orders`. */
  readonly text: string;
}

export interface BlockActionOptions extends SlackRequestOptions {
  /** The message whose button is clicked, as the stand-in recorded it (with its ts). */
  readonly message: SlackMessage;
  /** The button's action_id, e.g. pipewright_approve; looked for in the approval block. */
  readonly actionId: string;
  /** What is typed in the message's comment box. @default empty */
  readonly comment?: string;
}

/** A button as Block Kit declares it, and as a click reports it. */
const buttonElementSchema = z.looseObject({
  type: z.literal("button"),
  action_id: z.string(),
  text: z.looseObject({ type: z.string(), text: z.string() }),
  value: z.string().optional(),
  style: z.string().optional(),
});
type ButtonElement = z.infer<typeof buttonElementSchema>;

const actionsBlockSchema = z.looseObject({ block_id: z.string().optional(), elements: z.array(z.unknown()) });
const inputBlockSchema = z.looseObject({ block_id: z.string().optional(), element: z.looseObject({ type: z.string(), action_id: z.string() }) });

function slackNumber(digits: number): string {
  return Array.from(randomBytes(digits), (byte) => String(byte % 10)).join("");
}

/** Slack's trigger ids: `<digits>.<digits>.<32 hex>`. */
function newTriggerId(): string {
  return `${slackNumber(12)}.${slackNumber(11)}.${randomBytes(16).toString("hex")}`;
}

function userNameOf(options: SlackRequestOptions): string {
  return options.userName ?? `sandbox-${options.userId.toLowerCase()}`;
}

/** The button with `actionId` in the message's block `blockId`, or undefined. */
export function findButton(message: Pick<SlackMessage, "blocks">, blockId: string, actionId: string): ButtonElement | undefined {
  for (const block of message.blocks ?? []) {
    const actions = actionsBlockSchema.safeParse(block);
    if (!actions.success || actions.data.block_id !== blockId) continue;
    for (const element of actions.data.elements) {
      const button = buttonElementSchema.safeParse(element);
      if (button.success && button.data.action_id === actionId) return button.data;
    }
  }
  return undefined;
}

/** The message's comment box (an input element with COMMENT_ACTION_ID in block COMMENT_BLOCK_ID), or undefined. */
function commentBox(message: Pick<SlackMessage, "blocks">): { type: string } | undefined {
  for (const block of message.blocks ?? []) {
    const input = inputBlockSchema.safeParse(block);
    if (input.success && input.data.block_id === COMMENT_BLOCK_ID && input.data.element.action_id === COMMENT_ACTION_ID) return input.data.element;
  }
  return undefined;
}

/** A slash command as Slack posts it to the command's URL: form fields in Slack's order, signed. */
export function signedSlashCommand(options: SlashCommandOptions): SignedSlackRequest {
  const workspace = SANDBOX_SLACK_WORKSPACE;
  const body = new URLSearchParams({
    token: workspace.verificationToken,
    team_id: workspace.teamId,
    team_domain: workspace.teamDomain,
    channel_id: options.channelId,
    channel_name: workspace.channelName,
    user_id: options.userId,
    user_name: userNameOf(options),
    command: options.command,
    text: options.text,
    api_app_id: workspace.appId,
    is_enterprise_install: "false",
    response_url: options.responseUrl,
    trigger_id: options.triggerId ?? newTriggerId(),
  }).toString();
  return signSlackRequest(options.signingSecret, body, options.sentAt);
}

/**
 * The block_actions payload Slack sends when someone clicks the button
 * `actionId` of the message's approval block, with what they typed in its
 * comment box. Throws SlackRequestError when the message has no such
 * button, or a comment is given for a message without a comment box.
 */
export function blockActionPayload(options: BlockActionOptions): Record<string, unknown> {
  const { message, channelId, actionId } = options;
  const workspace = SANDBOX_SLACK_WORKSPACE;
  const button = findButton(message, APPROVAL_BLOCK_ID, actionId);
  if (!button) {
    throw new SlackRequestError(
      `Message ${message.ts} has no button ${actionId} in block ${APPROVAL_BLOCK_ID} (it has: ${buttonsOf(message).join(", ") || "no buttons"}). Fix: click a button the message shows`,
    );
  }
  const box = commentBox(message);
  if (options.comment !== undefined && !box) {
    throw new SlackRequestError(`Message ${message.ts} has no comment box (block ${COMMENT_BLOCK_ID}). Fix: leave out --comment`);
  }
  const sentAt = options.sentAt ?? new Date();
  const userName = userNameOf(options);
  return {
    type: "block_actions",
    user: { id: options.userId, username: userName, name: userName, team_id: workspace.teamId },
    api_app_id: workspace.appId,
    token: workspace.verificationToken,
    container: {
      type: "message",
      message_ts: message.ts,
      channel_id: channelId,
      is_ephemeral: false,
      ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}),
    },
    trigger_id: options.triggerId ?? newTriggerId(),
    team: { id: workspace.teamId, domain: workspace.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channelId, name: workspace.channelName },
    message,
    state: { values: box ? { [COMMENT_BLOCK_ID]: { [COMMENT_ACTION_ID]: { type: box.type, value: options.comment ?? null } } } : {} },
    response_url: options.responseUrl,
    actions: [
      {
        action_id: button.action_id,
        block_id: APPROVAL_BLOCK_ID,
        text: button.text,
        ...(button.value !== undefined ? { value: button.value } : {}),
        ...(button.style !== undefined ? { style: button.style } : {}),
        type: "button",
        action_ts: (sentAt.getTime() / 1000).toFixed(6),
      },
    ],
  };
}

/** An interaction payload as Slack posts it: form field `payload` holding the JSON, signed. */
export function signedInteraction(signingSecret: string, payload: Record<string, unknown>, sentAt?: Date): SignedSlackRequest {
  return signSlackRequest(signingSecret, new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), sentAt);
}

/** A click on a button of the message's approval block, as Slack posts it to the interactivity URL. */
export function signedBlockAction(options: BlockActionOptions): SignedSlackRequest {
  return signedInteraction(options.signingSecret, blockActionPayload(options), options.sentAt);
}

/** The action_ids of the message's buttons, for error messages. */
function buttonsOf(message: Pick<SlackMessage, "blocks">): string[] {
  return (message.blocks ?? []).flatMap((block) => {
    const actions = actionsBlockSchema.safeParse(block);
    if (!actions.success) return [];
    return actions.data.elements.flatMap((element) => {
      const button = buttonElementSchema.safeParse(element);
      return button.success ? [button.data.action_id] : [];
    });
  });
}

/** An approval request the notifier posted, with the target its buttons carry. */
export interface ApprovalMessage {
  readonly channel: string;
  readonly message: SlackMessage;
  readonly target: ApprovalTarget;
}

/** Every approval request the stand-in recorded (chat.postMessage with an Approve button), oldest first. */
export function approvalMessages(recorded: readonly RecordedSlackCall[]): ApprovalMessage[] {
  return recorded.flatMap((call) => {
    if (call.kind !== "postMessage" || !call.ok || !call.message || !call.channel) return [];
    const value = findButton(call.message, APPROVAL_BLOCK_ID, APPROVE_ACTION_ID)?.value;
    if (value === undefined) return [];
    try {
      return [{ channel: call.channel, message: call.message, target: decodeApprovalTarget(value) }];
    } catch {
      // A button value that is no approval target is not pipewright's approval request.
      return [];
    }
  });
}

/** The newest approval request for `pipeline`, or undefined. */
export function newestApprovalMessage(recorded: readonly RecordedSlackCall[], pipeline: string): ApprovalMessage | undefined {
  return approvalMessages(recorded)
    .filter((approval) => approval.target.pipeline === pipeline)
    .at(-1);
}

export interface SlackAppAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** Posts a signed request to pipewright's Slack app (its HTTP API route) and returns the answer. */
export async function postSlackRequest(url: string, request: SignedSlackRequest): Promise<SlackAppAnswer> {
  const response = await fetch(url, { method: "POST", headers: request.headers, body: request.body, signal: AbortSignal.timeout(15_000) });
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", body: await response.text() };
}
