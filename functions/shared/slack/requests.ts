// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";

/**
 * What Slack sends, as far as pipewright reads it: a slash command's form
 * fields and an interaction's `payload` JSON. Pure; parse only verified
 * bodies. Not strict: Slack adds fields.
 */

/** A body Slack would not have sent (or one for another app). */
export class SlackRequestError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SlackRequestError";
  }
}

const slackId = z.string().regex(/^[A-Z0-9]{2,32}$/);
const userId = z.string().regex(/^[UW][A-Z0-9]{2,31}$/);

export const slashCommandSchema = z.object({
  command: z.string().regex(/^\/[\w-]{1,32}$/),
  text: z.string().max(4000).default(""),
  user_id: userId,
  user_name: z.string().max(100).optional(),
  channel_id: slackId.optional(),
  team_id: slackId.optional(),
  response_url: z.url(),
});
export type SlashCommand = z.infer<typeof slashCommandSchema>;

const actionSchema = z.object({
  action_id: z.string().max(255),
  block_id: z.string().max(255).optional(),
  value: z.string().max(2000).optional(),
});

const stateValueSchema = z.object({ value: z.string().nullish() });

export const blockActionsSchema = z.object({
  type: z.literal("block_actions"),
  user: z.object({ id: userId, name: z.string().max(100).optional(), username: z.string().max(100).optional() }),
  actions: z.array(actionSchema).min(1),
  response_url: z.url().optional(),
  channel: z.object({ id: slackId }).optional(),
  container: z.object({ channel_id: slackId.optional(), message_ts: z.string().optional() }).optional(),
  message: z.object({ ts: z.string().min(1), text: z.string().optional(), blocks: z.array(z.unknown()).default([]) }).optional(),
  state: z.object({ values: z.record(z.string(), z.record(z.string(), stateValueSchema)) }).optional(),
});
export type BlockActions = z.infer<typeof blockActionsSchema>;

/** Any interaction: only its type is read unless it is block_actions. */
const interactionEnvelopeSchema = z.object({ type: z.string().min(1).max(64) });

export type Interaction = { type: "block_actions"; payload: BlockActions } | { type: string; payload?: undefined };

function issues(error: z.ZodError): string {
  return [...new Set(error.issues.map((issue) => issue.path.join(".") || "(root)"))].join(", ");
}

/** Reads a slash command's form body. Throws SlackRequestError naming the fields in trouble. */
export function parseSlashCommand(body: string): SlashCommand {
  const form = Object.fromEntries(new URLSearchParams(body));
  const result = slashCommandSchema.safeParse(form);
  if (!result.success) throw new SlackRequestError(`The slash command's form is not one Slack sends (problem in: ${issues(result.error)})`);
  return result.data;
}

/** Reads an interaction's form body (its `payload` field). Throws SlackRequestError. */
export function parseInteraction(body: string): Interaction {
  const payload = new URLSearchParams(body).get("payload");
  if (payload === null) throw new SlackRequestError("The interaction has no payload field");
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch (error) {
    throw new SlackRequestError("The interaction's payload is not JSON", { cause: error });
  }
  const envelope = interactionEnvelopeSchema.safeParse(json);
  if (!envelope.success) throw new SlackRequestError(`The interaction's payload is not one Slack sends (problem in: ${issues(envelope.error)})`);
  if (envelope.data.type !== "block_actions") return { type: envelope.data.type };
  const result = blockActionsSchema.safeParse(json);
  if (!result.success) throw new SlackRequestError(`The block_actions payload is not one Slack sends (problem in: ${issues(result.error)})`);
  return { type: "block_actions", payload: result.data };
}
