import { type AttributeValue, DeleteItemCommand, type DynamoDBClient, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import type { ThreadClaim, ThreadParent, ThreadStore } from "./slack-bot";

/**
 * The execution threads in DynamoDB (the `<project>-slack-threads` table),
 * one item per execution of a main pipeline:
 *
 *   thread     S   <pipeline>#<executionId> (partition key)
 *   channel    S   the channel of the parent message
 *   ts         S   the parent message's ts; absent while it is being posted
 *   claimant   S   the invocation that claimed the thread to post the parent
 *   claimedAt  N   when it claimed it, epoch seconds
 *   posted     SS  ids of the events whose replies are posted (a retried event posts nothing twice)
 *   expiresAt  N   epoch seconds (the table's TTL attribute)
 */

/** How long a thread lives: longer than any execution, approvals included. */
export const THREAD_TTL_SECONDS = 30 * 24 * 60 * 60;
/**
 * A claim whose parent is still missing after this long is abandoned (its
 * invocation ran out of time: longer than the notifier's timeout), and the
 * next event takes it over.
 */
export const ABANDONED_CLAIM_SECONDS = 90;

const NAMES = {
  "#thread": "thread",
  "#channel": "channel",
  "#ts": "ts",
  "#claimant": "claimant",
  "#claimedAt": "claimedAt",
  "#posted": "posted",
} as const;

/** Only the names an expression uses: DynamoDB rejects unused ones. */
function namesFor(...expressions: string[]): Record<string, string> {
  const text = expressions.join(" ");
  return Object.fromEntries(Object.entries(NAMES).filter(([token]) => new RegExp(`${token}\\b`).test(text)));
}

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });

type Item = Record<string, AttributeValue>;

/** The stored item DynamoDB returns with a refused conditional write; undefined for any other error. */
function conditionCheckFailure(error: unknown): { stored?: Item } | undefined {
  if (!(error instanceof Error) || error.name !== "ConditionalCheckFailedException") return undefined;
  return { stored: (error as { Item?: Item }).Item };
}

const CLAIM_CONDITION = "attribute_not_exists(#thread) OR (attribute_not_exists(#ts) AND #claimedAt < :abandoned)";
const RECORD_UPDATE = "SET #ts = :ts, #channel = :channel";
const RECORD_CONDITION = "#claimant = :claimant AND attribute_not_exists(#ts)";
const RELEASE_CONDITION = "#claimant = :claimant AND attribute_not_exists(#ts)";
const RESERVE_UPDATE = "ADD #posted :keys";
const RESERVE_CONDITION = "attribute_exists(#thread) AND NOT contains(#posted, :key)";
const UNRESERVE_UPDATE = "DELETE #posted :keys";
const UNRESERVE_CONDITION = "attribute_exists(#thread)";

export class DynamoThreadStore implements ThreadStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** Milliseconds since the epoch. */
    private readonly now: () => number = Date.now,
  ) {}

  async claim(thread: string, claim: { channel: string; claimant: string }): Promise<ThreadClaim> {
    const nowSeconds = Math.floor(this.now() / 1000);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            thread: s(thread),
            channel: s(claim.channel),
            claimant: s(claim.claimant),
            claimedAt: n(nowSeconds),
            expiresAt: n(nowSeconds + THREAD_TTL_SECONDS),
          },
          ConditionExpression: CLAIM_CONDITION,
          ExpressionAttributeNames: namesFor(CLAIM_CONDITION),
          ExpressionAttributeValues: { ":abandoned": n(nowSeconds - ABANDONED_CLAIM_SECONDS) },
          // The refusal carries the stored item: where the parent is, without a second read.
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return { claimed: true };
    } catch (error) {
      const refused = conditionCheckFailure(error);
      if (refused === undefined) throw error;
      return { claimed: false, parent: parentOf(refused.stored) };
    }
  }

  async recordParent(thread: string, claimant: string, parent: ThreadParent): Promise<boolean> {
    return conditionally(() =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { thread: s(thread) },
          UpdateExpression: RECORD_UPDATE,
          ConditionExpression: RECORD_CONDITION,
          ExpressionAttributeNames: namesFor(RECORD_UPDATE, RECORD_CONDITION),
          ExpressionAttributeValues: { ":ts": s(parent.ts), ":channel": s(parent.channel), ":claimant": s(claimant) },
        }),
      ),
    );
  }

  async release(thread: string, claimant: string): Promise<void> {
    await conditionally(() =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { thread: s(thread) },
          ConditionExpression: RELEASE_CONDITION,
          ExpressionAttributeNames: namesFor(RELEASE_CONDITION),
          ExpressionAttributeValues: { ":claimant": s(claimant) },
        }),
      ),
    );
  }

  async reserveReply(thread: string, replyKey: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { thread: s(thread) },
          UpdateExpression: RESERVE_UPDATE,
          ConditionExpression: RESERVE_CONDITION,
          ExpressionAttributeNames: namesFor(RESERVE_UPDATE, RESERVE_CONDITION),
          ExpressionAttributeValues: { ":keys": { SS: [replyKey] }, ":key": s(replyKey) },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return true;
    } catch (error) {
      const refused = conditionCheckFailure(error);
      if (refused === undefined) throw error;
      // No item (a claimer gave its claim up): nothing to keep the reply from; post it.
      return refused.stored === undefined;
    }
  }

  async releaseReply(thread: string, replyKey: string): Promise<void> {
    await conditionally(() =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { thread: s(thread) },
          UpdateExpression: UNRESERVE_UPDATE,
          ConditionExpression: UNRESERVE_CONDITION,
          ExpressionAttributeNames: namesFor(UNRESERVE_UPDATE, UNRESERVE_CONDITION),
          ExpressionAttributeValues: { ":keys": { SS: [replyKey] } },
        }),
      ),
    );
  }
}

/** Runs a conditional write; false when its condition refused it. */
async function conditionally(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (conditionCheckFailure(error) === undefined) throw error;
    return false;
  }
}

function parentOf(item: Item | undefined): ThreadParent | undefined {
  const channel = item?.channel?.S;
  const ts = item?.ts?.S;
  return channel !== undefined && ts !== undefined ? { channel, ts } : undefined;
}
