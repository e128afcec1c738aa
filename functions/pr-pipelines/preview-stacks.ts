import type { PreviewStack } from "./clone";

/**
 * EXTENSION POINT: deleting a pull request's preview stacks.
 *
 * Pull request pipelines deploy CloudFormation preview stacks
 * (`previewStackName`, e.g. `shop-orders-pr-12` in the dev account). When
 * the pull request closes, the handler calls `deletePreviewStacks` once per
 * pull request pipeline, after deleting the pipeline (so no execution can
 * recreate a stack). An implementation:
 *
 * - lives in its own adapter (e.g. `cloudformation.ts`) and is passed to
 *   `makeHandler({ previewStacks })`, then wired into `handler` in handler.ts;
 * - assumes `actionRoleArn` to reach the account that holds each stack;
 * - must be idempotent: a stack may already be gone, or never have existed
 *   (a draft or an unlabeled fork never ran);
 * - throws on transient failures, so the event is retried.
 *
 * Until one is provided, `previewStacksLeftInPlace` only logs what stays.
 */
export interface PreviewStackCleanupRequest {
  readonly repository: string;
  readonly pullRequest: number;
  readonly deliveryId: string;
  readonly prPipeline: string;
  readonly stacks: readonly PreviewStack[];
}

export interface PreviewStackCleanup {
  deletePreviewStacks(request: PreviewStackCleanupRequest): Promise<void>;
}

/** The default: deletes nothing and says so. */
export function previewStacksLeftInPlace(log: (message: string, details: Record<string, unknown>) => void): PreviewStackCleanup {
  return {
    async deletePreviewStacks(request) {
      if (request.stacks.length === 0) return;
      log("Preview stacks are not deleted yet: no PreviewStackCleanup is configured", {
        prPipeline: request.prPipeline,
        stacks: request.stacks.map((stack) => stack.stackName),
      });
    },
  };
}
