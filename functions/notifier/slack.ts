import type * as SlackWebhookModule from "@slack/webhook";
import { DEFAULT_REQUEST_POLICY, type RequestPolicy } from "../shared/retry-policy";
import type { ChannelOutcome, SlackSender } from "./channels";
import { HttpDeliveryError } from "./errors";
import type { SlackMessage } from "./slack-message";

/**
 * Posts messages to a Slack incoming webhook with Slack's own client, which
 * retries 5xx answers, timeouts and network errors and never a 4xx (a 429
 * included). The URL (a secret) is read on each send; fetch is injected.
 */

// Only the notifications Slack receives need Slack's client: required on the first, not on every cold start.
const loadSlackClient = (): typeof SlackWebhookModule => require("@slack/webhook");

function slackHint(status: number): string {
  if (status === 400) return "Slack rejected the message's blocks; this is a notifier bug, please report it with this log line";
  if (status === 403 || status === 404 || status === 410) {
    return "Fix: the webhook was revoked, or its channel archived or deleted; create a new incoming webhook and store its URL in the Slack webhook secret";
  }
  if (status === 429) return "Slack's rate limit for the webhook was reached; the next notification tries again";
  return "Slack may be unavailable";
}

export interface SlackWebhookOptions {
  /** @default DEFAULT_REQUEST_POLICY (its timeout and retries; Slack's client does not wait out rate limits) */
  readonly policy?: Partial<RequestPolicy>;
  readonly fetch?: typeof fetch;
}

export class SlackWebhook implements SlackSender {
  private readonly policy: RequestPolicy;

  constructor(
    /** Resolves the webhook URL; undefined when none is configured. */
    private readonly webhookUrl: () => Promise<string | undefined>,
    private readonly options: SlackWebhookOptions = {},
  ) {
    this.policy = { ...DEFAULT_REQUEST_POLICY, ...options.policy };
  }

  async send(message: SlackMessage): Promise<ChannelOutcome> {
    const url = await this.webhookUrl();
    if (url === undefined) return { status: "skipped", reason: "no Slack webhook URL is configured (the Slack webhook secret holds no value)" };
    // The path of a webhook URL is its secret: errors name the host only.
    const target = `the Slack webhook on ${new URL(url).host}`;
    const fetchImpl = this.options.fetch ?? globalThis.fetch;
    let attempts = 0;
    let lastSignal: AbortSignal | undefined;
    const webhook = new (loadSlackClient().IncomingWebhook)(url, {
      timeout: this.policy.timeoutMs,
      // Growing waits like the GitHub client's, which waits n² times the base before retry n.
      retryConfig: { retries: this.policy.retries, minTimeout: this.policy.retryBaseDelayMs, factor: 4, randomize: false },
      fetch: (input, init) => {
        attempts++;
        lastSignal = init?.signal;
        return fetchImpl(input, init as RequestInit);
      },
    });
    try {
      await webhook.send(message);
    } catch (error) {
      throw this.deliveryError(error, target, attempts, lastSignal?.aborted === true);
    }
    return { status: "delivered" };
  }

  private deliveryError(error: unknown, target: string, attempts: number, timedOut: boolean): HttpDeliveryError {
    const { IncomingWebhookHTTPError, IncomingWebhookRequestError } = loadSlackClient();
    const of = `(attempt ${attempts} of ${this.policy.retries + 1})`;
    if (error instanceof IncomingWebhookHTTPError) {
      const body = error.body.slice(0, 200).trim() || "(empty body)";
      return new HttpDeliveryError(
        target,
        error.statusCode,
        attempts,
        `POST ${target} answered ${error.statusCode} ${of}: ${body}. ${slackHint(error.statusCode)}`,
      );
    }
    if (error instanceof IncomingWebhookRequestError) {
      const { original } = error;
      const reason = (original.cause as { message?: unknown } | undefined)?.message;
      const failure = timedOut
        ? `timed out after ${this.policy.timeoutMs} ms`
        : `failed: ${original.message}${typeof reason === "string" ? ` (${reason})` : ""}`;
      return new HttpDeliveryError(target, undefined, attempts, `POST ${target} ${failure} ${of}`, { cause: original });
    }
    return new HttpDeliveryError(
      target,
      undefined,
      attempts,
      `POST ${target} failed: ${error instanceof Error ? error.message : String(error)} ${of}`,
    );
  }
}
