/**
 * The errors of the pr-pipelines function. Each says what happened, to what,
 * and what to do. Errors that propagate out of the handler make EventBridge /
 * Lambda retry the event and, once retries run out, send it to the
 * dead-letter queue, from where an operator can redrive it.
 */

const RETRY_NOTE = "The event is retried; when retries run out it goes to the dead-letter queue and can be redriven once the cause is fixed";

/** The event on the bus does not match the pull_request contract (functions/shared/events.ts). */
export class InvalidEventError extends Error {
  constructor(
    /** Where the event is wrong, e.g. ["detail.headSha: invalid_format"]; never the payload itself. */
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(
      `The pull_request event does not match the bus contract (${problems.join("; ")}). ` +
        "Fix: make the webhook function put events that satisfy pullRequestEventSchema in functions/shared/events.ts, then redrive the event from the dead-letter queue",
      options,
    );
    this.name = "InvalidEventError";
  }
}

export { InvalidConfigurationError } from "../shared/env";

/** Where a failure happened: enough for an operator to find the pipeline and the delivery. */
export interface FailureContext {
  /** The API call or step that failed, e.g. "CreatePipeline". */
  readonly operation: string;
  readonly pipeline?: string;
  readonly repository: string;
  readonly pullRequest: number;
  readonly deliveryId: string;
}

function describe(context: FailureContext): string {
  const pipeline = context.pipeline === undefined ? "" : ` for pipeline "${context.pipeline}"`;
  return `${context.operation}${pipeline} (pull request ${context.repository}#${context.pullRequest}, delivery ${context.deliveryId})`;
}

function messageOf(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}

/** An AWS call failed, usually transiently (throttling, 5xx, a race). */
export class PullRequestPipelineError extends Error {
  constructor(
    readonly context: FailureContext,
    options: { cause: unknown },
  ) {
    super(`${describe(context)} failed: ${messageOf(options.cause)}. ${RETRY_NOTE}`, options);
    this.name = "PullRequestPipelineError";
  }
}

/** A main pipeline named in the repository catalog does not exist. */
export class BasePipelineNotFoundError extends Error {
  constructor(readonly context: FailureContext & { readonly basePipeline: string }) {
    super(
      `Pipeline "${context.basePipeline}" named in the repository catalog does not exist, so ${describe(context)} cannot clone it. ` +
        `Fix: apply the build stack (it creates the service pipelines and bundles the catalog with the function). ${RETRY_NOTE}`,
    );
    this.name = "BasePipelineNotFoundError";
  }
}

/** A main pipeline cannot be turned into a pull request pipeline. */
export class PipelineCloneError extends Error {
  constructor(
    readonly basePipeline: string,
    problem: string,
  ) {
    super(`Pipeline "${basePipeline}" cannot be cloned for a pull request: ${problem}`);
    this.name = "PipelineCloneError";
  }
}

/** S3 refused to delete some artifact versions. */
export class ArtifactCleanupError extends Error {
  constructor(
    readonly bucket: string,
    readonly failures: ReadonlyArray<{ key: string; versionId?: string; code?: string; message?: string }>,
  ) {
    const sample = failures
      .slice(0, 5)
      .map((failure) => `${failure.key}@${failure.versionId ?? "?"}: ${failure.code ?? "error"} ${failure.message ?? ""}`.trim())
      .join("; ");
    super(
      `S3 did not delete ${failures.length} artifact object version(s) in bucket "${bucket}" (${sample}). ` +
        "Fix: check the function role's s3:DeleteObjectVersion permission and the bucket policy",
    );
    this.name = "ArtifactCleanupError";
  }
}
