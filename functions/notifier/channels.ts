import type { CommitStatus } from "./commit-status";
import type { EmailMessage } from "./email";
import type { SlackMessage } from "./slack-message";

/**
 * The three ways the notifier tells people, as the handler sees them.
 * Adapters: aws.ts (SNS), slack.ts (webhook), slack-bot.ts (the Slack app),
 * github.ts. A channel that is not configured resolves "skipped"; a failure
 * throws.
 */

export type ChannelName = "sns" | "slack" | "github";

export type ChannelOutcome = { status: "delivered"; detail?: string } | { status: "skipped"; reason: string };

export interface TopicPublisher {
  publish(message: EmailMessage): Promise<ChannelOutcome>;
}

export interface SlackSender {
  send(message: SlackMessage): Promise<ChannelOutcome>;
}

/** A message for Slack's Web API (chat.postMessage, chat.update): fallback text and Block Kit blocks. */
export interface ChatMessage {
  text: string;
  blocks: readonly unknown[];
}

/** What one event posts in its execution's Slack thread (bot mode): thread-messages.ts plans it, slack-bot.ts posts it. */
export interface ThreadDelivery {
  pipeline: string;
  executionId: string;
  /** The event's id: a retried or redelivered event finds its reply already posted. */
  eventId: string;
  /** The parent message, posted when this event is the first of its execution to arrive. */
  parent: ChatMessage;
  /** The parent's new content when the thread already has one (the finish, a resume). */
  parentUpdate?: ChatMessage;
  reply?: {
    message: ChatMessage;
    /** Posted instead, on its own in the channel, when the parent is not posted in time. */
    standalone: ChatMessage;
    /** Shown in the channel too, not only in the thread. */
    broadcast: boolean;
  };
}

/** The Slack app (bot mode): a main pipeline's execution is a thread; other messages are posted on their own. */
export interface SlackBotSender {
  thread(delivery: ThreadDelivery): Promise<ChannelOutcome>;
  post(message: ChatMessage): Promise<ChannelOutcome>;
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
