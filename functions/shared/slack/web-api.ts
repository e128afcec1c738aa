import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type * as SlackWebApiModule from "@slack/web-api";
// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import { DEFAULT_REQUEST_POLICY, type RequestPolicy } from "../retry-policy";
import { SECRET_MAX_AGE_SECONDS, secretsManagerSecret } from "../secret-value";

/**
 * Posts and updates messages as the Slack app (bot token) with Slack's own
 * client, @slack/web-api. The client retries timeouts, network errors and
 * 5xx answers as the shared request policy says; a rate limit is waited out
 * once when Slack asks for a short wait; a 4xx and an `ok: false` answer are
 * never retried. Errors are SlackApiError, naming the method, Slack's error
 * code and the fix.
 */

// Only the functions that call Slack's Web API need its client, and only when they call it.
const loadWebApi = (): typeof SlackWebApiModule => require("@slack/web-api");

export interface SlackChat {
  postMessage(message: {
    channel: string;
    text: string;
    blocks?: readonly unknown[];
    threadTs?: string;
    replyBroadcast?: boolean;
  }): Promise<{ channel: string; ts: string }>;
  update(message: { channel: string; ts: string; text: string; blocks?: readonly unknown[] }): Promise<void>;
}

/** A Web API call failed. `errorCode` is Slack's (e.g. not_in_channel); `status` the HTTP status when Slack answered. */
export class SlackApiError extends Error {
  constructor(
    readonly method: string,
    readonly errorCode: string | undefined,
    readonly status: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "SlackApiError";
  }
}

const FIXES: Readonly<Record<string, string>> = {
  not_in_channel: "Fix: invite the app to the channel (/invite @<app name> in the channel)",
  channel_not_found: "Fix: check the configured channel id (notifications.slack.channel), and invite the app if the channel is private",
  is_archived: "Fix: unarchive the channel or configure another one (notifications.slack.channel)",
  invalid_auth: "Fix: store the installed app's bot token (xoxb-...) in the Slack bot token secret",
  not_authed: "Fix: store the installed app's bot token (xoxb-...) in the Slack bot token secret",
  token_revoked: "Fix: reinstall the app and store its new bot token in the Slack bot token secret",
  token_expired: "Fix: reinstall the app and store its new bot token in the Slack bot token secret",
  account_inactive: "Fix: reinstall the app and store its new bot token in the Slack bot token secret",
  missing_scope: "Fix: add the chat:write scope to the app, reinstall it and store its new bot token",
  message_not_found: "The message was deleted, or the channel or ts is wrong",
  cant_update_message: "Only messages the app posted can be updated",
  invalid_blocks: "Slack rejected the message's blocks; this is a pipewright bug, please report it with this log line",
  invalid_blocks_format: "Slack rejected the message's blocks; this is a pipewright bug, please report it with this log line",
  msg_too_long: "Slack rejected the message's length; this is a pipewright bug, please report it with this log line",
  ratelimited: "Slack's rate limit was reached; a later call tries again",
};

export interface SlackChatOptions {
  /** Resolves the bot token (read lazily, e.g. secretsManagerSlackBotToken). */
  token: () => Promise<string>;
  /** The Web API's base URL, e.g. https://slack.com/api/ (SLACK_API_URL). */
  apiUrl: string;
  /** @default DEFAULT_REQUEST_POLICY */
  policy?: Partial<RequestPolicy>;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

const postMessageResultSchema = z.object({ channel: z.string().min(1), ts: z.string().min(1) });

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type WebClient = InstanceType<typeof SlackWebApiModule.WebClient>;

/** A SlackChat over @slack/web-api's WebClient at `apiUrl`. */
export function slackChat(options: SlackChatOptions): SlackChat {
  const policy: RequestPolicy = { ...DEFAULT_REQUEST_POLICY, ...options.policy };
  const apiUrl = options.apiUrl.endsWith("/") ? options.apiUrl : `${options.apiUrl}/`;
  const sleep = options.sleep ?? wait;
  let cached: { token: string; client: WebClient } | undefined;

  const clientFor = (token: string): WebClient => {
    if (cached?.token === token) return cached.client;
    const { WebClient, LogLevel, WebAPIHTTPError } = loadWebApi();
    const client = new WebClient(token, {
      slackApiUrl: apiUrl,
      logLevel: LogLevel.ERROR,
      timeout: policy.timeoutMs,
      // Rate limits come back as errors, waited out below only when short: the client would sleep as long as Slack asks.
      rejectRateLimitedCalls: true,
      // The absolute URL form would let a method name leave the configured API.
      allowAbsoluteUrls: false,
      retryConfig: {
        retries: policy.retries,
        // Growing waits like the GitHub client's, which waits n² times the base before retry n.
        minTimeout: policy.retryBaseDelayMs,
        factor: 4,
        randomize: false,
        // p-retry stops when this throws: a 4xx gets the same answer again.
        onFailedAttempt: (error: unknown) => {
          if (error instanceof WebAPIHTTPError && error.statusCode >= 400 && error.statusCode < 500) throw error;
        },
      } as SlackWebApiModule.RetryOptions,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    cached = { token, client };
    return client;
  };

  const call = async (method: string, args: Record<string, unknown>): Promise<SlackWebApiModule.WebAPICallResult> => {
    const client = clientFor(await options.token());
    try {
      return await client.apiCall(method, args);
    } catch (error) {
      const { WebAPIRateLimitedError } = loadWebApi();
      if (!(error instanceof WebAPIRateLimitedError) || error.retryAfter > policy.maxRateLimitWaitSeconds)
        throw toSlackApiError(method, error, policy);
      await sleep(error.retryAfter * 1000);
      try {
        return await client.apiCall(method, args);
      } catch (retryError) {
        throw toSlackApiError(method, retryError, policy);
      }
    }
  };

  return {
    async postMessage(message) {
      const result = await call("chat.postMessage", {
        channel: message.channel,
        text: message.text,
        blocks: message.blocks,
        thread_ts: message.threadTs,
        reply_broadcast: message.replyBroadcast,
      });
      const parsed = postMessageResultSchema.safeParse(result);
      if (!parsed.success) {
        throw new SlackApiError(
          "chat.postMessage",
          undefined,
          200,
          `Slack's chat.postMessage answered ok without the message's channel and ts (at ${apiUrl})`,
        );
      }
      return parsed.data;
    },
    async update(message) {
      await call("chat.update", { channel: message.channel, ts: message.ts, text: message.text, blocks: message.blocks });
    },
  };
}

function toSlackApiError(method: string, error: unknown, policy: RequestPolicy): SlackApiError {
  const { WebAPIPlatformError, WebAPIHTTPError, WebAPIRequestError, WebAPIRateLimitedError } = loadWebApi();
  if (error instanceof WebAPIPlatformError) {
    const code = error.data.error;
    const fix = FIXES[code];
    return new SlackApiError(method, code, 200, `Slack's ${method} answered ${code}${fix ? `. ${fix}` : ""}`, { cause: error });
  }
  if (error instanceof WebAPIHTTPError) {
    const fix = error.statusCode === 404 ? ". Fix: check the Slack API URL (notifications.slack.apiUrl)" : "";
    return new SlackApiError(method, undefined, error.statusCode, `Slack's ${method} answered HTTP ${error.statusCode}${fix}`, { cause: error });
  }
  if (error instanceof WebAPIRateLimitedError) {
    return new SlackApiError(method, "ratelimited", 429, `Slack's ${method} is rate limited for ${error.retryAfter} s; ${FIXES.ratelimited}`, {
      cause: error,
    });
  }
  if (error instanceof WebAPIRequestError) {
    const original = error.original;
    // A DOMException from another realm arrives as an Error whose message starts with its name.
    const timedOut = /\b(TimeoutError|AbortError)\b/.test(`${original.name} ${original.message}`);
    const reason = timedOut ? `timed out after ${policy.timeoutMs} ms` : `failed: ${original.message}`;
    return new SlackApiError(method, undefined, undefined, `Slack's ${method} ${reason} (after ${policy.retries + 1} attempts)`, { cause: error });
  }
  return new SlackApiError(method, undefined, undefined, `Slack's ${method} failed: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
}

/** The bot token secret is missing or unusable. */
export class SlackBotTokenError extends Error {
  constructor(
    readonly secretName: string,
    problem: string,
  ) {
    super(`The Slack bot token secret ${secretName} ${problem}. Fix: store {"token": "xoxb-..."} (the installed app's bot token) in it`);
    this.name = "SlackBotTokenError";
  }
}

const TOKEN_FORMAT = /^xox[a-z]-[\x21-\x7e]+$/;
const tokenSecretSchema = z.object({ token: z.string().regex(TOKEN_FORMAT) });

/** The token in a secret value: `{"token": "xoxb-..."}` or the bare token. Errors never hold the value. */
export function parseSlackBotToken(value: string | Uint8Array | undefined, secretName: string): string {
  if (value !== undefined && typeof value !== "string")
    throw new SlackBotTokenError(secretName, "holds a binary value (SecretBinary), not a SecretString");
  const text = value?.trim() ?? "";
  if (text === "") throw new SlackBotTokenError(secretName, "holds no value");
  if (TOKEN_FORMAT.test(text)) return text;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // No cause: JSON.parse's message quotes the text, which may be the token.
    throw new SlackBotTokenError(secretName, "is neither a token (xoxb-...) nor JSON");
  }
  const result = tokenSecretSchema.safeParse(json);
  if (!result.success) throw new SlackBotTokenError(secretName, 'is JSON without a "token" that looks like a Slack token (xoxb-...)');
  return result.data.token;
}

/** Reads the bot token from Secrets Manager when first needed, cached for a few minutes across invocations. */
export function secretsManagerSlackBotToken(
  secretArn: string,
  client: SecretsManagerClient,
  maxAgeSeconds = SECRET_MAX_AGE_SECONDS,
): () => Promise<string> {
  const read = secretsManagerSecret(secretArn, client, maxAgeSeconds);
  return async () => parseSlackBotToken(await read(), secretArn);
}
