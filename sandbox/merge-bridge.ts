/**
 * What the sandbox's part of issue 15 takes from the parts built beside it,
 * declared here against the contract so this branch compiles and
 * runs its tests before they merge. On merge, each section becomes an
 * import (see the comment above it) and this file goes.
 */
import * as z from "zod";
import type { PipewrightConfig } from "../stacks/config";
import type { Emulator } from "./emulator";

// --- The emulator's action outcomes. On merge: `export { setActionOutcomes, type ActionOutcomeRule } from "./emulator"`.

/** One rule of `POST /pipewright/action-outcomes`: the first rule matching a starting action decides its outcome. */
export interface ActionOutcomeRule {
  /** fnmatch glob over the pipeline's name. */
  readonly pipeline: string;
  readonly stage?: string;
  readonly action?: string;
  readonly category?: string;
  readonly outcome: "Succeeded" | "Failed" | "InProgress";
  readonly summary?: string;
}

/** Replaces the emulator's action-outcome rules. */
export async function setActionOutcomes(emulator: Pick<Emulator, "endpoint">, rules: readonly ActionOutcomeRule[]): Promise<void> {
  const response = await fetch(`${emulator.endpoint}/pipewright/action-outcomes`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ rules }),
  });
  if (!response.ok) throw new Error(`Emulator answered ${response.status} to action outcomes ${JSON.stringify(rules)}: ${await response.text()}`);
}

// --- The approval message's ids and button value. On merge: import them from "../functions/shared/slack/approval".

export const APPROVAL_BLOCK_ID = "pipewright_approval";
export const APPROVE_ACTION_ID = "pipewright_approve";
export const REJECT_ACTION_ID = "pipewright_reject";
export const COMMENT_BLOCK_ID = "pipewright_comment";
/** The comment box's action_id inside COMMENT_BLOCK_ID. */
export const COMMENT_ACTION_ID = "comment";

export interface ApprovalTarget {
  readonly pipeline: string;
  readonly stage: string;
  readonly action: string;
  readonly executionId: string;
}

const approvalTargetSchema = z.object({ pipeline: z.string(), stage: z.string(), action: z.string(), executionId: z.string() });

/** The approval target an Approve or Reject button carries in its value; throws when the value is not one. */
export function decodeApprovalTarget(value: string): ApprovalTarget {
  return approvalTargetSchema.parse(JSON.parse(value));
}

// --- notifications.slack in bot mode and approvers.slackUserIds. On merge: read config.notifications.slack and
// config.approvers.slackUserIds, which stacks/config.ts then types, instead of these schemas.

// Loose: fields this branch does not know of survive withSlackApiUrl.
const botModeSchema = z.looseObject({ mode: z.literal("bot"), channel: z.string(), apiUrl: z.string() });
const slackApproversSchema = z.object({ slackUserIds: z.array(z.string()).default([]) });

/** The configuration's Slack app, when notifications.slack is in bot mode. */
export interface SlackBotSettings {
  readonly channel: string;
  readonly apiUrl: string;
  /** The platform's Slack approvers. */
  readonly approvers: readonly string[];
}

export function slackBotSettings(config: PipewrightConfig): SlackBotSettings | undefined {
  const bot = botModeSchema.safeParse(config.notifications.slack);
  if (!bot.success) return undefined;
  return { channel: bot.data.channel, apiUrl: bot.data.apiUrl, approvers: slackApproversSchema.parse(config.approvers).slackUserIds };
}

/** Whether notifications.slack sends through an incoming webhook (`true` or {"mode": "webhook"}). */
export function slackWebhookMode(config: PipewrightConfig): boolean {
  const slack: unknown = config.notifications.slack;
  return slack === true || z.object({ mode: z.literal("webhook") }).safeParse(slack).success;
}

/** The configuration with the Slack app's Web API at `apiUrl`; unchanged unless in bot mode. */
export function withSlackApiUrl(config: PipewrightConfig, apiUrl: string): PipewrightConfig {
  const bot = botModeSchema.safeParse(config.notifications.slack);
  if (!bot.success) return config;
  return { ...config, notifications: { ...config.notifications, slack: { ...bot.data, apiUrl } } } as unknown as PipewrightConfig;
}
