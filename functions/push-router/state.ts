import { UpdateItemCommand, type AttributeValue, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { ClaimOutcome, PushOrderStore } from "./claim";
import { ORDER_CONDITION, orderVerdict, PUSH_STATE_NAMES, type OrderedPush } from "./order";

/**
 * Push state in DynamoDB, one item per main pipeline: the newest push that
 * started it.
 *
 *   pipeline    S  the pipeline's name (partition key)
 *   pushedAt    N  when GitHub received that push, epoch seconds
 *   after       S  the commit it started
 *   before      S  the commit the branch moved from
 *   deliveryId  S  its X-GitHub-Delivery
 *   startedAt   N  when the router claimed the pipeline for it, epoch ms (informational)
 */

/** A push-state item cannot be read, or DynamoDB's answer contradicts the rule. */
export class PushStateError extends Error {
  constructor(
    readonly tableName: string,
    readonly pipeline: string,
    problem: string,
  ) {
    super(
      `The push state of pipeline ${pipeline} in table ${tableName} is unusable: ${problem}. ` +
        "Fix: only the push router writes this table; delete the item, then push to the main branch or start the pipeline " +
        "by hand at the branch's newest commit. Do not redrive this event once the item is gone: without state, an older push starts",
    );
    this.name = "PushStateError";
  }
}

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });

function isConditionalCheckFailed(error: unknown): error is Error & { Item?: Record<string, AttributeValue> } {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}

const UPDATE = "SET #pushedAt = :pushedAt, #after = :after, #before = :before, #deliveryId = :deliveryId, #startedAt = :startedAt";

export class DynamoPushOrderStore implements PushOrderStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async claim(pipeline: string, push: OrderedPush): Promise<ClaimOutcome> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pipeline: s(pipeline) },
          UpdateExpression: UPDATE,
          ConditionExpression: ORDER_CONDITION,
          ExpressionAttributeNames: { ...PUSH_STATE_NAMES },
          ExpressionAttributeValues: {
            ":pushedAt": n(push.pushedAt),
            ":after": s(push.after),
            ":before": s(push.before),
            ":deliveryId": s(push.deliveryId),
            ":startedAt": n(this.now()),
          },
          // The refusal carries the stored item, so its reason needs no second read.
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return { admitted: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const newest = this.storedPush(pipeline, error.Item);
      const verdict = orderVerdict(newest, push);
      if (verdict.admitted) {
        throw new PushStateError(
          this.tableName,
          pipeline,
          `DynamoDB refused commit ${push.after} (pushed at ${push.pushedAt}, delivery ${push.deliveryId}) although the stored push ` +
            `(commit ${newest.after}, pushed at ${newest.pushedAt}, delivery ${newest.deliveryId}) admits it`,
        );
      }
      return { admitted: false, reason: verdict.reason, newest };
    }
  }

  private storedPush(pipeline: string, item: Record<string, AttributeValue> | undefined): OrderedPush {
    if (item === undefined) {
      throw new PushStateError(this.tableName, pipeline, "DynamoDB refused the conditional write but returned no stored item");
    }
    const pushedAt = Number(item.pushedAt?.N);
    const after = item.after?.S;
    const before = item.before?.S;
    const deliveryId = item.deliveryId?.S;
    if (!Number.isInteger(pushedAt) || after === undefined || before === undefined || deliveryId === undefined) {
      const attributes = Object.keys(item).sort().join(", ");
      throw new PushStateError(
        this.tableName,
        pipeline,
        `the item lacks pushedAt (N), after, before or deliveryId (S); it has ${attributes || "no attributes"}`,
      );
    }
    return { pushedAt, after, before, deliveryId };
  }
}
