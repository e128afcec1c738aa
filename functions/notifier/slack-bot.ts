import { randomUUID } from "node:crypto";
import type { SlackChat } from "../shared/slack/web-api";
import type { ChannelOutcome, ChatMessage, SlackBotSender, ThreadDelivery } from "./channels";
import { describeError } from "./errors";

/**
 * The Slack app's channel (bot mode): each execution of a main pipeline is
 * one thread, whose parent exactly one event posts, whatever order and
 * concurrency the events arrive in. The thread store (dynamo-threads.ts)
 * decides who posts the parent: the first event to claim the execution's
 * item; the others wait briefly for the parent's ts, else post on their own.
 * Slack's Web API (SlackChat) and the store are injected.
 */

/** Where a thread's parent is. */
export interface ThreadParent {
  channel: string;
  ts: string;
}

export type ThreadClaim = { claimed: true } | { claimed: false; parent?: ThreadParent };

/** The execution threads (one item per execution, keyed by threadKey). */
export interface ThreadStore {
  /** Claims the thread to post its parent; when another holds it, says where its parent is once posted. */
  claim(thread: string, claim: { channel: string; claimant: string }): Promise<ThreadClaim>;
  /** Records the posted parent; false when the claim is no longer the claimant's. */
  recordParent(thread: string, claimant: string, parent: ThreadParent): Promise<boolean>;
  /** Gives up a claim whose parent could not be posted, so the next event claims it again. */
  release(thread: string, claimant: string): Promise<void>;
  /** Reserves the right to post an event's reply; false when it was posted before (a retried event). */
  reserveReply(thread: string, replyKey: string): Promise<boolean>;
  /** Frees a reservation whose reply could not be posted, so a retry posts it. */
  releaseReply(thread: string, replyKey: string): Promise<void>;
}

/** The store's key of an execution's thread. */
export function threadKey(pipeline: string, executionId: string): string {
  return `${pipeline}#${executionId}`;
}

export interface SlackBotLogger {
  info(message: string, ...attributes: unknown[]): void;
  warn(message: string, ...attributes: unknown[]): void;
}

export interface SlackBotOptions {
  /** Slack's Web API; undefined while no bot token is configured (the secret holds no value), and Slack is then skipped. */
  chat: () => Promise<SlackChat | undefined>;
  store: ThreadStore;
  /** The channel's id. */
  channel: string;
  logger: SlackBotLogger;
  /** How long an event waits for another event's parent before it posts on its own. @default 3000 */
  parentWaitMs?: number;
  /** @default 250 */
  pollIntervalMs?: number;
  sleep?: (milliseconds: number) => Promise<void>;
  now?: () => number;
  newClaimant?: () => string;
}

const NO_TOKEN = "no Slack bot token is configured (the bot token secret holds no value)";

export class SlackBotChannel implements SlackBotSender {
  private readonly parentWaitMs: number;
  private readonly pollIntervalMs: number;
  private readonly sleep: (milliseconds: number) => Promise<void>;
  private readonly now: () => number;
  private readonly newClaimant: () => string;

  constructor(private readonly options: SlackBotOptions) {
    this.parentWaitMs = options.parentWaitMs ?? 3000;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.sleep = options.sleep ?? ((milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)));
    this.now = options.now ?? Date.now;
    this.newClaimant = options.newClaimant ?? randomUUID;
  }

  async post(message: ChatMessage): Promise<ChannelOutcome> {
    const chat = await this.options.chat();
    if (chat === undefined) return { status: "skipped", reason: NO_TOKEN };
    const posted = await chat.postMessage({ channel: this.options.channel, ...message });
    return { status: "delivered", detail: `message ${posted.ts}` };
  }

  async thread(delivery: ThreadDelivery): Promise<ChannelOutcome> {
    const chat = await this.options.chat();
    if (chat === undefined) return { status: "skipped", reason: NO_TOKEN };
    const { store, logger } = this.options;
    const key = threadKey(delivery.pipeline, delivery.executionId);
    const context = { thread: key };
    const claimant = this.newClaimant();

    const claim = await this.claimOrWait(key, claimant);
    let parent: ThreadParent | undefined;
    const done: string[] = [];
    if (claim.claimed) {
      parent = await this.postParent(chat, key, claimant, delivery.parent);
      done.push(`parent ${parent.ts}`);
    } else {
      parent = claim.parent;
    }

    if (delivery.reply) {
      const { message, standalone, broadcast } = delivery.reply;
      if (await store.reserveReply(key, delivery.eventId)) {
        try {
          if (parent) {
            const posted = await chat.postMessage({ channel: parent.channel, threadTs: parent.ts, replyBroadcast: broadcast, ...message });
            done.push(`reply ${posted.ts}`);
          } else {
            logger.warn(
              `The thread's parent message was not posted within ${this.parentWaitMs} ms, so this message goes to the channel on its own`,
              context,
            );
            const posted = await chat.postMessage({ channel: this.options.channel, ...standalone });
            done.push(`message ${posted.ts} outside the thread`);
          }
        } catch (error) {
          await this.releaseReply(key, delivery.eventId);
          throw error;
        }
      } else {
        logger.info("This event's reply is in the thread already (a retried or repeated event), so it is not posted again", context);
        done.push("reply posted before");
      }
    }

    if (delivery.parentUpdate && !claim.claimed) {
      if (parent) {
        await chat.update({ channel: parent.channel, ts: parent.ts, ...delivery.parentUpdate });
        done.push(`parent ${parent.ts} updated`);
      } else {
        logger.warn("The thread's parent message was not posted in time, so it is not updated", context);
      }
    }
    return { status: "delivered", detail: done.length > 0 ? done.join(", ") : `thread ${parent?.ts ?? "(parent not posted yet)"} already started` };
  }

  /** Claims the thread, or waits (bounded) for the parent of the event that holds it; a released claim is taken. */
  private async claimOrWait(key: string, claimant: string): Promise<ThreadClaim> {
    const deadline = this.now() + this.parentWaitMs;
    for (;;) {
      const claim = await this.options.store.claim(key, { channel: this.options.channel, claimant });
      if (claim.claimed || claim.parent !== undefined || this.now() >= deadline) return claim;
      await this.sleep(this.pollIntervalMs);
    }
  }

  private async postParent(chat: SlackChat, key: string, claimant: string, message: ChatMessage): Promise<ThreadParent> {
    const { store, logger } = this.options;
    let parent: ThreadParent;
    try {
      parent = await chat.postMessage({ channel: this.options.channel, ...message });
    } catch (error) {
      try {
        await store.release(key, claimant);
      } catch (releaseError) {
        logger.warn(`Could not release the claim on the thread after its parent failed: ${describeError(releaseError)}`, { thread: key });
      }
      throw error;
    }
    if (!(await store.recordParent(key, claimant, parent))) {
      logger.warn("The thread's claim was taken over while its parent was posted (an abandoned claim), so later events use the other parent", {
        thread: key,
        ts: parent.ts,
      });
    }
    return parent;
  }

  private async releaseReply(key: string, replyKey: string): Promise<void> {
    try {
      await this.options.store.releaseReply(key, replyKey);
    } catch (error) {
      this.options.logger.warn(`Could not free the reply's reservation after it failed, so a retry will not post it: ${describeError(error)}`, {
        thread: key,
      });
    }
  }
}
