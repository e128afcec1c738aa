import type { ChannelOutcome, SlackSender } from "./channels";
import { sendWithRetries, type HttpRetryOptions } from "./http";
import type { SlackMessage } from "./slack-message";

/** Posts messages to a Slack incoming webhook. The URL (a secret) is read on each send, fetch is injected. */

function slackHint(status: number): string {
  if (status === 400) return "Slack rejected the message's blocks; this is a notifier bug, please report it with this log line";
  if (status === 403 || status === 404 || status === 410) {
    return "Fix: the webhook was revoked, or its channel archived or deleted; create a new incoming webhook and store its URL in the Slack webhook secret";
  }
  return "Slack may be unavailable";
}

export class SlackWebhook implements SlackSender {
  constructor(
    /** Resolves the webhook URL; undefined when none is configured. */
    private readonly webhookUrl: () => Promise<string | undefined>,
    private readonly http: HttpRetryOptions = {},
  ) {}

  async send(message: SlackMessage): Promise<ChannelOutcome> {
    const url = await this.webhookUrl();
    if (url === undefined) return { status: "skipped", reason: "no Slack webhook URL is configured (the Slack webhook secret holds no value)" };
    await sendWithRetries(
      {
        method: "POST",
        url,
        headers: { "Content-Type": "application/json; charset=utf-8" },
        body: JSON.stringify(message),
        // The path of a webhook URL is its secret: errors name the host only.
        target: `the Slack webhook on ${new URL(url).host}`,
        hint: slackHint,
      },
      this.http,
    );
    return { status: "delivered" };
  }
}
