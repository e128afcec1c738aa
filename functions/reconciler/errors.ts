import type { ReconcilerSummary } from "./report";

/** Something the reconciler needed failed; what it refers to and why. */
export interface ReconcilerFailure {
  /** github: GitHub or its token; aws: CodePipeline, S3, CloudFormation or the bus. */
  readonly source: "github" | "aws";
  readonly operation: string;
  /** owner/name, when the failure concerns one repository. */
  readonly repository?: string;
  readonly pullRequest?: number;
  readonly pipeline?: string;
  readonly message: string;
}

/**
 * Thrown at the end of a run in which GitHub or AWS failed, after everything
 * that could be done was done (and the summary logged), so the failure shows:
 * the invocation fails, the schedule's retries and dead-letter queue take over,
 * and the next scheduled run tries again.
 */
export class ReconciliationIncompleteError extends Error {
  constructor(
    readonly summary: ReconcilerSummary,
    readonly failures: readonly ReconcilerFailure[],
  ) {
    const github = failures.filter((failure) => failure.source === "github").length;
    const aws = failures.length - github;
    const sample = failures
      .slice(0, 3)
      .map((failure) => {
        const about = failure.pullRequest === undefined ? failure.repository : `${failure.repository ?? ""}#${failure.pullRequest}`;
        return `${failure.operation}${about === undefined ? "" : ` (${about})`}: ${failure.message}`;
      })
      .join("; ");
    super(
      `The reconciler could not finish: ${github} GitHub failure(s), ${aws} AWS failure(s) (${sample}). ` +
        "Everything else was done; the pull requests concerned were left alone and the next run tries again. " +
        "Fix: for GitHub 401/403, replace the token in the GitHub token secret or give it Pull requests: read; for AWS errors, check the function role",
    );
    this.name = "ReconciliationIncompleteError";
  }
}

/** ListPipelines failed: without the list there is nothing to reconcile. */
export class PipelineInventoryError extends Error {
  constructor(options: { cause: unknown }) {
    const cause = options.cause;
    super(
      `Listing the pipelines failed (${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}). ` +
        "Nothing was changed. Fix: check that the function role may call codepipeline:ListPipelines; the next run tries again",
      options,
    );
    this.name = "PipelineInventoryError";
  }
}
