import { mapWithConcurrency } from "../shared/concurrency";
import type { IgnoreReason, OrderedPush } from "./order";
import { describeError } from "./start";

/** What claiming a pipeline for a push decided. */
export type ClaimOutcome = { readonly admitted: true } | { readonly admitted: false; readonly reason: IgnoreReason; readonly newest: OrderedPush };

/** Records, per pipeline, the newest push that started it; state.ts holds the DynamoDB implementation. */
export interface PushOrderStore {
  /**
   * Records `push` as the newest push of `pipeline` when the ordering rule
   * (order.ts) admits it, in one conditional write; otherwise changes
   * nothing and says why, with the push that last started the pipeline.
   */
  claim(pipeline: string, push: OrderedPush): Promise<ClaimOutcome>;
}

/** A pipeline the push does not start, with the push that last started it. */
export interface IgnoredPipeline {
  readonly pipeline: string;
  readonly reason: IgnoreReason;
  readonly newest: OrderedPush;
}

export interface Claims {
  /** Pipelines this push may start, in the order asked. */
  readonly admitted: string[];
  readonly ignored: IgnoredPipeline[];
}

/** Claims of one push that run at once. */
export const CLAIM_CONCURRENCY = 8;

/**
 * A pipeline's push state could not be written or read. Nothing of this push
 * was started; pipelines claimed before the failure admit the retry, which
 * carries the same delivery id.
 */
export class PushClaimFailedError extends Error {
  constructor(
    readonly pipeline: string,
    readonly push: OrderedPush,
    options: { cause: unknown },
  ) {
    super(
      `Could not record commit ${push.after} (delivery ${push.deliveryId}) as the newest push of pipeline ${pipeline}: ` +
        `${describeError(options.cause)}. No pipeline was started for this push; the event is retried and, once retries run out, ` +
        "goes to the dead-letter queue. Fix the cause (the PUSH_STATE_TABLE table, the function's dynamodb:UpdateItem permission, " +
        "a throttle), then redrive it",
      options,
    );
    this.name = "PushClaimFailedError";
  }
}

/** Claims every pipeline for the push, side by side; throws PushClaimFailedError on the first failure, once the claims in progress settled. */
export async function claimPipelines(store: PushOrderStore, pipelines: readonly string[], push: OrderedPush): Promise<Claims> {
  const outcomes = await mapWithConcurrency(pipelines, CLAIM_CONCURRENCY, async (pipeline) => ({
    pipeline,
    outcome: await store.claim(pipeline, push).catch((cause: unknown) => {
      throw new PushClaimFailedError(pipeline, push, { cause });
    }),
  }));
  const claims: Claims = { admitted: [], ignored: [] };
  for (const { pipeline, outcome } of outcomes) {
    if (outcome.admitted) claims.admitted.push(pipeline);
    else claims.ignored.push({ pipeline, reason: outcome.reason, newest: outcome.newest });
  }
  return claims;
}
