import type { CommitStatus } from "./commit-status";
import type { EmailMessage } from "./email";
import type { SlackMessage } from "./slack-message";

/**
 * The three ways the notifier tells people, as the handler sees them.
 * Adapters: aws.ts (SNS), slack.ts, github.ts. A channel that is not
 * configured resolves "skipped"; a failure throws.
 */

export type ChannelName = "sns" | "slack" | "github";

export type ChannelOutcome = { status: "delivered"; detail?: string } | { status: "skipped"; reason: string };

export interface TopicPublisher {
  publish(message: EmailMessage): Promise<ChannelOutcome>;
}

export interface SlackSender {
  send(message: SlackMessage): Promise<ChannelOutcome>;
}

export interface CommitStatusSender {
  send(status: CommitStatus): Promise<ChannelOutcome>;
}

export type ChannelResult =
  | { channel: ChannelName; status: "delivered"; detail?: string }
  | { channel: ChannelName; status: "skipped"; reason: string }
  | { channel: ChannelName; status: "failed"; cause: unknown };

/** Runs every channel independently and in parallel: one failing never stops the others. */
export async function deliverAll(attempts: ReadonlyArray<{ channel: ChannelName; send: () => Promise<ChannelOutcome> }>): Promise<ChannelResult[]> {
  return Promise.all(
    attempts.map(async ({ channel, send }): Promise<ChannelResult> => {
      let outcome: ChannelOutcome;
      try {
        outcome = await send();
      } catch (cause) {
        return { channel, status: "failed", cause };
      }
      return outcome.status === "delivered"
        ? { channel, status: "delivered", detail: outcome.detail }
        : { channel, status: "skipped", reason: outcome.reason };
    }),
  );
}
