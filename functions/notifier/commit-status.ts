import type { FailedActionFacts } from "./facts";
import { cut } from "../shared/text";
import type { CommitState, CommitStatusIntent } from "./routing";

/**
 * The GitHub commit status of a platform pipeline's execution on the commit
 * it built: pending while it runs, success or failure at the end, error when
 * it was stopped, superseded or canceled. Pure.
 */

/** GitHub rejects longer descriptions. */
export const MAX_DESCRIPTION_LENGTH = 140;

export interface CommitStatus {
  /** owner/name: the repository the commit is in. */
  repository: string;
  sha: string;
  state: CommitState;
  /** `pipewright/<pipeline>`: one status line per pipeline on the commit. */
  context: string;
  description: string;
  /** The execution in the console. */
  targetUrl?: string;
}

export function commitStatusContext(pipeline: string): string {
  return `pipewright/${pipeline}`;
}

/** Said on a pull request pipeline without a preview, so nobody looks for one. */
export const NO_PREVIEW_NOTE = "build and test only: no preview, the service has preview: false";

function describe(
  intent: CommitStatusIntent,
  failures: readonly FailedActionFacts[],
  statusSummary: string | undefined,
  deploysPreview: boolean,
): string {
  const note = deploysPreview ? "" : ` (${NO_PREVIEW_NOTE})`;
  switch (intent.eventState) {
    case "RESUMED":
      return "Running again in CodePipeline (resumed after a retry)";
    case "SUCCEEDED":
      return `Succeeded in CodePipeline${note}`;
    case "FAILED": {
      const failure = failures[0];
      if (!failure) return "Failed in CodePipeline";
      return `Failed at ${failure.stage}/${failure.action}${failure.summary ? `: ${failure.summary.replace(/\s+/g, " ")}` : ""}`;
    }
    case "STOPPED":
      return `Stopped before it finished${statusSummary ? `: ${statusSummary.replace(/\s+/g, " ")}` : ""}`;
    case "SUPERSEDED":
      return "Superseded by a newer execution of the pipeline; that one reports the result";
    case "CANCELED":
      return "Canceled by CodePipeline (the pipeline was updated while it ran)";
    default:
      return `Running in CodePipeline${note}`;
  }
}

export function commitStatusFor(
  intent: CommitStatusIntent,
  input: {
    repository: string;
    pipeline: string;
    sha: string;
    executionUrl?: string;
    failures: readonly FailedActionFacts[];
    statusSummary?: string;
    /** False for a pull request pipeline that deploys no preview. @default true */
    deploysPreview?: boolean;
  },
): CommitStatus {
  return {
    repository: input.repository,
    sha: input.sha,
    state: intent.state,
    context: commitStatusContext(input.pipeline),
    description: cut(describe(intent, input.failures, input.statusSummary, input.deploysPreview ?? true), MAX_DESCRIPTION_LENGTH),
    targetUrl: input.executionUrl,
  };
}

/**
 * Whether the status still describes the execution, given its current status
 * from GetPipelineExecution: a late STARTED must not turn a finished
 * execution's commit back to pending, and a late FAILED must not overwrite
 * the success of a retry. Undefined status (it could not be read): a final
 * state holds (the event says so), a pending one does not.
 */
export function statusStillHolds(intent: CommitStatusIntent, executionStatus: string | undefined): boolean {
  if (executionStatus === undefined) return intent.state !== "pending";
  return intent.whileExecutionIs.includes(executionStatus);
}
