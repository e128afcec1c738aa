/**
 * Pure ordering of pushes per pipeline. The main pipelines run in QUEUED
 * mode, so a push started after a newer one deploys last: a redelivery, a
 * retry or a replay of an old push would roll prod back. A push may start a
 * pipeline only when it is newer than the newest push that already started
 * it; state.ts enforces this with one conditional write per pipeline.
 */

/** A push as the ordering rule sees it. */
export interface OrderedPush {
  /** X-GitHub-Delivery of the webhook delivery. */
  readonly deliveryId: string;
  readonly before: string;
  readonly after: string;
  /** When GitHub received the push, epoch seconds. */
  readonly pushedAt: number;
}

/**
 * Why a push does not start a pipeline:
 * - older: a push GitHub received later already started it;
 * - replay: the push that started it, delivered again under another delivery id;
 * - ambiguous: received in the same second as the push that started it, and
 *   not its successor (its before is not that push's after), so which is newer is unknown.
 */
export type IgnoreReason = "older" | "replay" | "ambiguous";

export type OrderVerdict = { readonly admitted: true } | { readonly admitted: false; readonly reason: IgnoreReason };

/**
 * The rule. A push may start a pipeline when
 * - no push has started it yet; or
 * - it is the same delivery as the push that did (a retry after a partial
 *   failure: its clientRequestToken is the same, so CodePipeline starts nothing twice); or
 * - GitHub received it in a later second; or
 * - in the same second, and it continues that push (its before is that push's after).
 * On a tie that is not a chain the push is ignored rather than started: a
 * skipped deploy shows and the next push repairs it, a rollback of prod does not.
 */
export function orderVerdict(newest: OrderedPush | undefined, push: OrderedPush): OrderVerdict {
  if (
    newest === undefined ||
    newest.deliveryId === push.deliveryId ||
    newest.pushedAt < push.pushedAt ||
    (newest.pushedAt === push.pushedAt && push.before === newest.after)
  ) {
    return { admitted: true };
  }
  if (push.after === newest.after) return { admitted: false, reason: "replay" };
  if (push.pushedAt < newest.pushedAt) return { admitted: false, reason: "older" };
  return { admitted: false, reason: "ambiguous" };
}

/** Attribute names of the push-state item, by expression placeholder. */
export const PUSH_STATE_NAMES = {
  "#pipeline": "pipeline",
  "#pushedAt": "pushedAt",
  "#after": "after",
  "#before": "before",
  "#deliveryId": "deliveryId",
  "#startedAt": "startedAt",
} as const;

/**
 * orderVerdict as a DynamoDB ConditionExpression over the stored item, with
 * the values :deliveryId, :pushedAt and :before of the push.
 */
export const ORDER_CONDITION =
  "attribute_not_exists(#pipeline) OR #deliveryId = :deliveryId OR #pushedAt < :pushedAt OR (#pushedAt = :pushedAt AND #after = :before)";

function describePush(push: OrderedPush): string {
  return `commit ${push.after} (pushed at ${push.pushedAt}, delivery ${push.deliveryId})`;
}

/** One log line's message: why `push` does not start `pipeline`, given the push that last started it. */
export function ignoredMessage(pipeline: string, reason: IgnoreReason, push: OrderedPush, newest: OrderedPush): string {
  const last = `the push that last started it, ${describePush(newest)}`;
  switch (reason) {
    case "older":
      return `Not starting ${pipeline} for ${describePush(push)}: it is older than ${last}`;
    case "replay":
      return `Not starting ${pipeline} for ${describePush(push)}: it is a replay of ${last}, under another delivery id`;
    case "ambiguous":
      return (
        `Not starting ${pipeline} for ${describePush(push)}: it was pushed in the same second as ${last}, and does not ` +
        `follow it (its before is ${push.before}), so which is newer is unknown; starting it could roll ${pipeline} back. ` +
        "The next push to the main branch deploys it, or start the pipeline by hand at the newest commit"
      );
  }
}
