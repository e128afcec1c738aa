import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import * as z from "zod";
import { SandboxError } from "./errors";
import { SANDBOX_SLACK_WORKSPACE } from "./slack-workspace";

/**
 * Slack, as far as pipewright's Slack app reaches it: the Web API's
 * chat.postMessage and chat.update (bot token, answers and errors as Slack
 * gives them), the response_url of slash commands and clicks, and a record
 * of every call so that people and tests can see what Slack would show.
 * It runs in the sandbox's background process; `up` points the stacks'
 * `notifications.slack.apiUrl` at `<url>/api/`.
 *
 *   POST /api/chat.postMessage, POST /api/chat.update
 *   POST /response/<id>     a response_url (any id: `npm run sandbox -- slack` makes one per request)
 *   GET  /recorded          every call so far, oldest first (RecordedSlackCall[])
 */

/** A message as Slack keeps it and hands it back (in answers, and in the `message` of a click's payload). */
export const slackMessageSchema = z.object({
  type: z.literal("message"),
  ts: z.string(),
  text: z.string(),
  blocks: z.array(z.unknown()).optional(),
  thread_ts: z.string().optional(),
  user: z.string(),
  bot_id: z.string(),
  app_id: z.string(),
  team: z.string(),
});
export type SlackMessage = z.infer<typeof slackMessageSchema>;

export const recordedSlackCallSchema = z.object({
  kind: z.enum(["postMessage", "update", "response"]),
  /** When the stand-in received it (ISO 8601). */
  time: z.string(),
  /** Whether Slack would have accepted it; `error` is Slack's error code otherwise. */
  ok: z.boolean(),
  error: z.string().optional(),
  /** The arguments, parsed: form fields or JSON, `blocks` and `attachments` decoded, flags as booleans, no token. A response_url's JSON body. */
  body: z.record(z.string(), z.unknown()),
  channel: z.string().optional(),
  /** The message posted or updated. */
  ts: z.string().optional(),
  thread_ts: z.string().optional(),
  /** The `<id>` of /response/<id>. */
  responseId: z.string().optional(),
  /** The message as it stands after the call (postMessage and update that succeeded). */
  message: slackMessageSchema.optional(),
});
export type RecordedSlackCall = z.infer<typeof recordedSlackCallSchema>;

export interface SlackStandInOptions {
  /** The bot token the Web API accepts (`Authorization: Bearer <token>`, or a `token` form field). */
  readonly botToken: string;
  /** Channels the app is in; posting anywhere else answers channel_not_found. */
  readonly channels: readonly string[];
  /** Port on 127.0.0.1. @default 0, a free one */
  readonly port?: number;
  /** Told about each call once it is answered (the background process logs them). */
  readonly onCall?: (call: RecordedSlackCall) => void;
}

export interface SlackStandIn {
  /** `http://127.0.0.1:<port>`; the Web API is at `<url>/api/`. */
  readonly url: string;
  readonly recorded: () => readonly RecordedSlackCall[];
  close(): Promise<void>;
}

/** Slack's answer to a Web API call: always HTTP 200, `ok` in the body. */
type ApiAnswer = { ok: true; [key: string]: unknown } | { ok: false; error: string; errors?: string[] };

/** Arguments @slack/web-api sends form-encoded as JSON text. */
const JSON_ARGUMENTS = ["blocks", "attachments", "metadata"];
const FLAG_ARGUMENTS = ["reply_broadcast", "unfurl_links", "unfurl_media", "mrkdwn", "as_user", "link_names"];

/** Block Kit's limits that a message from pipewright could plausibly break; Slack answers invalid_blocks. */
const MAX_BLOCKS = 50;
const MAX_SECTION_TEXT = 3000;
const MAX_HEADER_TEXT = 150;
const MAX_BUTTON_TEXT = 75;
const MAX_BUTTON_VALUE = 2000;
const MAX_ACTION_ID = 255;

const blockSchema = z.looseObject({ type: z.string(), block_id: z.string().optional() });
const textSchema = z.looseObject({ type: z.enum(["plain_text", "mrkdwn"]), text: z.string() });
const buttonSchema = z.looseObject({
  type: z.literal("button"),
  text: textSchema,
  action_id: z.string().optional(),
  value: z.string().optional(),
});

/**
 * What Slack would refuse in `blocks` (its `errors`, one per problem); empty
 * when it would accept them. Checks the shape and the limits above, not
 * every rule of Block Kit.
 */
export function blockKitProblems(blocks: unknown): string[] {
  if (!Array.isArray(blocks)) return ["blocks must be an array [json-pointer:/blocks]"];
  const problems: string[] = [];
  if (blocks.length > MAX_BLOCKS) problems.push(`no more than ${MAX_BLOCKS} items allowed [json-pointer:/blocks]`);
  const blockIds = new Set<string>();
  blocks.forEach((raw, index) => {
    const at = `[json-pointer:/blocks/${index}]`;
    const parsed = blockSchema.safeParse(raw);
    if (!parsed.success) {
      problems.push(`must be an object with a type ${at}`);
      return;
    }
    const block = parsed.data;
    if (block.block_id !== undefined) {
      if (blockIds.has(block.block_id)) problems.push(`duplicate block_id ${block.block_id} ${at}`);
      blockIds.add(block.block_id);
    }
    const text = textSchema.safeParse(block.text);
    if (block.type === "section" && text.success && text.data.text.length > MAX_SECTION_TEXT) {
      problems.push(`must be less than ${MAX_SECTION_TEXT + 1} characters [json-pointer:/blocks/${index}/text/text]`);
    }
    if (block.type === "header" && (!text.success || text.data.type !== "plain_text" || text.data.text.length > MAX_HEADER_TEXT)) {
      problems.push(`must be plain_text of at most ${MAX_HEADER_TEXT} characters [json-pointer:/blocks/${index}/text]`);
    }
    const elements = [...(Array.isArray(block.elements) && block.type === "actions" ? block.elements : []), block.accessory].filter(Boolean);
    const actionIds = new Set<string>();
    elements.forEach((element, elementIndex) => {
      const button = buttonSchema.safeParse(element);
      if (!button.success) return;
      const where = `[json-pointer:/blocks/${index}/elements/${elementIndex}]`;
      const { text: label, value, action_id: actionId } = button.data;
      if (label.type !== "plain_text" || label.text.length > MAX_BUTTON_TEXT)
        problems.push(`button text must be plain_text of at most ${MAX_BUTTON_TEXT} characters ${where}`);
      if (value !== undefined && value.length > MAX_BUTTON_VALUE)
        problems.push(`button value must be at most ${MAX_BUTTON_VALUE} characters ${where}`);
      if (actionId !== undefined) {
        if (actionId.length > MAX_ACTION_ID) problems.push(`action_id must be at most ${MAX_ACTION_ID} characters ${where}`);
        if (actionIds.has(actionId)) problems.push(`duplicate action_id ${actionId} ${where}`);
        actionIds.add(actionId);
      }
    });
  });
  return problems;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.once("error", reject);
  });
}

/** The call's arguments and token as the Web API reads them, or Slack's error for a body it cannot read. */
function apiArguments(request: IncomingMessage, text: string): { args: Record<string, unknown>; token?: string } | { error: string } {
  const contentType = (request.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? "")?.[1];
  if (!contentType) return text === "" ? { args: {}, ...(bearer ? { token: bearer } : {}) } : { error: "missing_post_type" };
  if (contentType === "application/json") {
    // Slack reads the token of a JSON call only from its Authorization header.
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { error: "invalid_json" };
    }
    const args = z.record(z.string(), z.unknown()).safeParse(parsed);
    if (!args.success) return { error: "invalid_json" };
    return { args: args.data, ...(bearer ? { token: bearer } : {}) };
  }
  if (contentType !== "application/x-www-form-urlencoded") return { error: "invalid_post_type" };
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(text)) args[key] = value;
  for (const key of JSON_ARGUMENTS) {
    if (typeof args[key] !== "string") continue;
    try {
      args[key] = JSON.parse(args[key]);
    } catch {
      return { error: key === "blocks" ? "invalid_blocks_format" : "invalid_arguments" };
    }
  }
  for (const key of FLAG_ARGUMENTS) if (typeof args[key] === "string") args[key] = args[key] === "true" || args[key] === "1";
  const formToken = typeof args.token === "string" ? args.token : undefined;
  delete args.token;
  const token = bearer ?? formToken;
  return { args, ...(token ? { token } : {}) };
}

const optionalString = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

/** Starts the stand-in on 127.0.0.1. */
export async function startSlackStandIn(options: SlackStandInOptions): Promise<SlackStandIn> {
  const recorded: RecordedSlackCall[] = [];
  /** Messages by channel and ts. */
  const messages = new Map<string, SlackMessage>();
  let lastTsMicros = 0;

  /** Unique, increasing message timestamps from the clock (as Slack's are). */
  const nextTs = (): string => {
    lastTsMicros = Math.max(Date.now() * 1000, lastTsMicros + 1);
    return `${Math.floor(lastTsMicros / 1e6)}.${String(lastTsMicros % 1e6).padStart(6, "0")}`;
  };

  const record = (call: RecordedSlackCall): void => {
    recorded.push(call);
    options.onCall?.(call);
  };

  /** Checks common to both methods: token, channel, text and blocks. */
  const refusal = (args: Record<string, unknown>, token: string | undefined): string | string[] | undefined => {
    if (!token) return "not_authed";
    if (token !== options.botToken) return "invalid_auth";
    const channel = optionalString(args.channel);
    if (!channel || !options.channels.includes(channel)) return "channel_not_found";
    if (optionalString(args.text) === undefined && args.blocks === undefined && args.attachments === undefined) return "no_text";
    if (args.blocks !== undefined) {
      const problems = blockKitProblems(args.blocks);
      if (problems.length > 0) return problems;
    }
    return undefined;
  };

  const messageFrom = (args: Record<string, unknown>, ts: string, threadTs: string | undefined): SlackMessage => ({
    type: "message",
    ts,
    text: optionalString(args.text) ?? "",
    ...(Array.isArray(args.blocks) ? { blocks: args.blocks } : {}),
    ...(threadTs ? { thread_ts: threadTs } : {}),
    user: SANDBOX_SLACK_WORKSPACE.botUserId,
    bot_id: SANDBOX_SLACK_WORKSPACE.botId,
    app_id: SANDBOX_SLACK_WORKSPACE.appId,
    team: SANDBOX_SLACK_WORKSPACE.teamId,
  });

  const callMethod = (method: "postMessage" | "update", args: Record<string, unknown>, token: string | undefined): ApiAnswer => {
    const time = new Date().toISOString();
    const channel = optionalString(args.channel);
    const threadTs = optionalString(args.thread_ts);
    const refuse = (problem: string | string[], ts?: string): ApiAnswer => {
      const error = Array.isArray(problem) ? "invalid_blocks" : problem;
      record({
        kind: method,
        time,
        ok: false,
        error,
        body: args,
        ...(channel ? { channel } : {}),
        ...(ts ? { ts } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
      return Array.isArray(problem) ? { ok: false, error, errors: problem } : { ok: false, error };
    };
    const problem = refusal(args, token);
    if (problem) return refuse(problem, optionalString(args.ts));
    const inChannel = channel as string;
    if (method === "postMessage") {
      const message = messageFrom(args, nextTs(), threadTs);
      messages.set(`${inChannel}/${message.ts}`, message);
      record({ kind: method, time, ok: true, body: args, channel: inChannel, ts: message.ts, ...(threadTs ? { thread_ts: threadTs } : {}), message });
      return { ok: true, channel: inChannel, ts: message.ts, message };
    }
    const ts = optionalString(args.ts);
    const existing = ts ? messages.get(`${inChannel}/${ts}`) : undefined;
    if (!ts || !existing) return refuse("message_not_found", ts);
    const message = messageFrom(args, ts, existing.thread_ts);
    messages.set(`${inChannel}/${ts}`, message);
    record({
      kind: method,
      time,
      ok: true,
      body: args,
      channel: inChannel,
      ts,
      ...(existing.thread_ts ? { thread_ts: existing.thread_ts } : {}),
      message,
    });
    return { ok: true, channel: inChannel, ts, text: message.text, message };
  };

  const handle = async (request: IncomingMessage): Promise<{ status: number; type: string; body: string }> => {
    const url = new URL(request.url ?? "/", "http://stand-in");
    const json = (value: unknown, status = 200) => ({ status, type: "application/json; charset=utf-8", body: JSON.stringify(value) });
    const text = await readBody(request);
    if (request.method === "GET" && url.pathname === "/recorded") return json(recorded);

    const api = /^\/api\/(.+)$/.exec(url.pathname);
    if (api && request.method === "POST") {
      // Unknown methods answer 200 as Slack does: a 404 would make @slack/web-api retry for half an hour.
      const method = { "chat.postMessage": "postMessage", "chat.update": "update" }[api[1] as string] as "postMessage" | "update" | undefined;
      if (!method) return json({ ok: false, error: "unknown_method" });
      const parsed = apiArguments(request, text);
      if ("error" in parsed) {
        record({ kind: method, time: new Date().toISOString(), ok: false, error: parsed.error, body: {} });
        return json({ ok: false, error: parsed.error });
      }
      return json(callMethod(method, parsed.args, parsed.token));
    }

    const response = /^\/response\/([\w-]+)$/.exec(url.pathname);
    if (response && request.method === "POST") {
      const responseId = response[1] as string;
      let body: Record<string, unknown> | undefined;
      try {
        const parsed = z.record(z.string(), z.unknown()).safeParse(JSON.parse(text));
        if (parsed.success) body = parsed.data;
      } catch {
        body = undefined;
      }
      const time = new Date().toISOString();
      if (!body) {
        record({ kind: "response", time, ok: false, error: "invalid_payload", body: { raw: text }, responseId });
        return { status: 400, type: "text/plain", body: "invalid_payload" };
      }
      record({ kind: "response", time, ok: true, body, responseId });
      return { status: 200, type: "text/plain", body: "ok" };
    }
    return { status: 404, type: "text/plain", body: "Not Found" };
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    handle(request).then(
      ({ status, type, body }) => {
        response.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
        response.end(body);
      },
      (error: unknown) => {
        response.writeHead(500, { "content-type": "text/plain" });
        response.end(String(error));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    recorded: () => [...recorded],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The sandbox's Slack stand-in does not answer, or not as it should. */
export class SlackStandInError extends SandboxError {}

/** What the stand-in at `standInUrl` recorded so far, oldest first. */
export async function readRecordedSlackCalls(standInUrl: string): Promise<RecordedSlackCall[]> {
  let response: Response;
  try {
    response = await fetch(`${standInUrl}/recorded`, { signal: AbortSignal.timeout(5_000) });
  } catch (cause) {
    throw new SlackStandInError(
      `The Slack stand-in at ${standInUrl} does not answer (${(cause as Error).message}). Fix: npm run sandbox -- status; if the background process is down, npm run sandbox -- down, then up`,
      { cause },
    );
  }
  if (!response.ok)
    throw new SlackStandInError(
      `The Slack stand-in at ${standInUrl} answered HTTP ${response.status} to GET /recorded; is another server on that port?`,
    );
  return z.array(recordedSlackCallSchema).parse(await response.json());
}
