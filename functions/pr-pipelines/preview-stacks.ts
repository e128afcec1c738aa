import type { PreviewStack } from "./clone";

/**
 * Deleting a pull request's preview stacks (`previewStackName`, e.g.
 * `shop-orders-pr-12` in the dev account). When the pull request closes, the
 * handler calls `deletePreviewStacks` once per pull request pipeline that has
 * preview stacks (none for a service with `preview: false`), after deleting
 * all of them (so no execution can recreate a stack); the calls for one pull
 * request's pipelines may run at the same time.
 * Implementations must be idempotent (a stack may be gone, or never have
 * existed) and throw on transient failures, so the event is retried.
 * The Lambda uses `CloudFormationPreviewStacks` (cloudformation.ts); tests and
 * tools without the dev account use `previewStacksLeftInPlace`.
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
