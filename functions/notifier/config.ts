// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import { InvalidConfigurationError, parseVariable } from "../shared/env";
import { isLoopbackHost } from "../shared/loopback";
import type { RepositoryCatalog } from "../shared/repositories";
import { ConflictingSlackModesError } from "./errors";
import { DEFAULT_NOTIFY_STATES, NOTIFY_STATES, type NotifyState } from "./routing";

/**
 * The notifier's own configuration fields, as the notifications construct
 * passes them in environment variables (the shared ones are in
 * functions/shared), beside the repository catalog bundled with the function.
 * Parsing is pure: handler.ts reads the variables and hands the strings here.
 */

export interface NotifierConfig {
  /** Only pipelines whose names start with this are the platform's, e.g. "pipewright-". */
  pipelinePrefix: string;
  /**
   * The repositories served: a pipeline's repository (commit statuses, commit
   * and pull request links, messages), its main branch and its service.
   */
  catalog: RepositoryCatalog;
  /** Which notifications go out (SNS and Slack). Commit statuses do not depend on it. */
  notifyStates: ReadonlySet<NotifyState>;
  /** GitHub's REST API, without a trailing slash. */
  githubApiUrl: string;
}

const pipelinePrefixSchema = z.string().regex(/^[A-Za-z0-9.@_-]{1,99}$/, "is not the start of a CodePipeline name (1-99 of A-Z a-z 0-9 . @ _ -)");

export function parsePipelinePrefix(value: string): string {
  return parseVariable("PIPELINE_PREFIX", pipelinePrefixSchema, value);
}

/**
 * NOTIFY_STATES: a comma-separated list of FAILED, APPROVAL_WAITING,
 * RECOVERED, SUCCEEDED, STARTED, STOPPED, SUPERSEDED (case and spaces do not
 * matter), or NONE. Unset: FAILED, APPROVAL_WAITING, RECOVERED.
 */
export function parseNotifyStates(value: string | undefined): ReadonlySet<NotifyState> {
  if (value === undefined || value.trim() === "") return new Set(DEFAULT_NOTIFY_STATES);
  const entries = value
    .split(",")
    .map((entry) => entry.trim().toUpperCase())
    .filter((entry) => entry !== "");
  if (entries.length === 1 && entries[0] === "NONE") return new Set();
  const known = new Set<string>(NOTIFY_STATES);
  const unknown = entries.filter((entry) => !known.has(entry));
  if (unknown.length > 0 || entries.length === 0) {
    throw new InvalidConfigurationError(
      "NOTIFY_STATES",
      `${JSON.stringify(value)} names ${unknown.length > 0 ? `unknown state(s) ${unknown.join(", ")}` : "no state"}; ` +
        `use a comma-separated list of ${NOTIFY_STATES.join(", ")}, or NONE (default: ${DEFAULT_NOTIFY_STATES.join(",")})`,
    );
  }
  return new Set(entries as NotifyState[]);
}

const topicArnSchema = z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, "is not the ARN of an SNS topic");

export function parseTopicArn(value: string): string {
  return parseVariable("TOPIC_ARN", topicArnSchema, value);
}

/** How the notifier posts to Slack: not at all, through an incoming webhook, or as the Slack app (threads, approval buttons). */
export type SlackSettings =
  | { mode: "off" }
  | { mode: "webhook"; webhookSecretArn: string }
  | { mode: "bot"; botTokenSecretArn: string; channel: string; apiUrl: string; threadsTable: string };

/** The variables of bot mode: all of them, or none. */
export const SLACK_BOT_VARIABLES = ["SLACK_BOT_TOKEN_SECRET_ARN", "SLACK_CHANNEL", "SLACK_API_URL", "SLACK_THREADS_TABLE"] as const;
export type SlackVariable = "SLACK_WEBHOOK_SECRET_ARN" | (typeof SLACK_BOT_VARIABLES)[number];

const secretArnSchema = z
  .string()
  .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/, "is not the ARN of a Secrets Manager secret");
const channelSchema = z
  .string()
  .regex(/^[CG][A-Z0-9]{8,}$/, "is not a Slack channel id (C or G and at least 8 more of A-Z 0-9, as the channel's details show it)");
const tableNameSchema = z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, "is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)");
const apiUrlSchema = z
  .string()
  .refine((value) => {
    const url = URL.canParse(value) ? new URL(value) : undefined;
    return url?.protocol === "https:" || (url?.protocol === "http:" && isLoopbackHost(url.hostname));
  }, "is not an https URL, nor an http URL on this machine (a local stand-in)")
  .transform((value) => (value.endsWith("/") ? value : `${value}/`));

/**
 * The Slack variables: SLACK_WEBHOOK_SECRET_ARN alone is webhook mode; the
 * four bot variables together are bot mode; none is off. A part of bot mode,
 * or both modes at once, is an error naming the fix.
 */
export function parseSlackSettings(values: Readonly<Partial<Record<SlackVariable, string>>>): SlackSettings {
  const botSet = SLACK_BOT_VARIABLES.filter((variable) => values[variable] !== undefined);
  const webhookSecretArn = values.SLACK_WEBHOOK_SECRET_ARN;
  if (botSet.length === 0) return webhookSecretArn === undefined ? { mode: "off" } : { mode: "webhook", webhookSecretArn };
  if (webhookSecretArn !== undefined) throw new ConflictingSlackModesError(botSet);
  const missing = SLACK_BOT_VARIABLES.filter((variable) => values[variable] === undefined);
  if (missing.length > 0) {
    throw new InvalidConfigurationError(
      missing[0] as string,
      `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set, but ${botSet.join(", ")} ${botSet.length === 1 ? "is" : "are"}: ` +
        `Slack's bot mode needs all of ${SLACK_BOT_VARIABLES.join(", ")}`,
    );
  }
  const value = (variable: (typeof SLACK_BOT_VARIABLES)[number]) => values[variable] as string;
  return {
    mode: "bot",
    botTokenSecretArn: parseVariable("SLACK_BOT_TOKEN_SECRET_ARN", secretArnSchema, value("SLACK_BOT_TOKEN_SECRET_ARN")),
    channel: parseVariable("SLACK_CHANNEL", channelSchema, value("SLACK_CHANNEL")),
    apiUrl: parseVariable("SLACK_API_URL", apiUrlSchema, value("SLACK_API_URL")),
    threadsTable: parseVariable("SLACK_THREADS_TABLE", tableNameSchema, value("SLACK_THREADS_TABLE")),
  };
}
