import type { ApprovalFacts, CommitFacts, FailedActionFacts } from "./facts";
import type { PipelineIdentity } from "./identity";
import { commitUrl, executionUrl, pipelineViewUrl, pullRequestUrl, safeLink, type ConsoleLocation } from "../shared/links";
import type { NotifyState } from "./routing";

/**
 * What a notification says, independent of the channel: email.ts and
 * slack-message.ts render it. Pure.
 */

export interface NotificationLinks {
  /** The execution's timeline in the console. */
  execution?: string;
  /** The pipeline's page, where a waiting approval is reviewed. */
  approval?: string;
  /** What the approval asks reviewers to look at (its ExternalEntityLink). */
  review?: string;
  /** The first failed action's own page: for CodeBuild, the build and its logs. */
  logs?: string;
  commit?: string;
  pullRequest?: string;
}

export interface Notification {
  state: NotifyState;
  /** The CodePipeline state of the event, e.g. CANCELED for a STOPPED notification. */
  eventState: string;
  pipeline: string;
  service?: string;
  pullRequest?: number;
  /** The branch built: the main branch for main pipelines, the source's branch for a pull request when reported. */
  branch?: string;
  /** owner/name; undefined when the pipeline belongs to no configured repository. */
  repository?: string;
  commit?: CommitFacts;
  failures: FailedActionFacts[];
  approval?: ApprovalFacts;
  executionId: string;
  account: string;
  region: string;
  partition: string;
  /** The event's time (ISO 8601). */
  time: string;
  /** CodePipeline's status summary of the execution (why it stopped, what superseded it). */
  statusSummary?: string;
  /** What a recovery recovers from, e.g. "the failed execution <id>", when known. */
  recoveredFrom?: string;
  links: NotificationLinks;
  /** Details that could not be read, so the message says they are missing rather than leaving them out silently. */
  missing: string[];
}

export interface NotificationInput {
  state: NotifyState;
  eventState: string;
  identity: PipelineIdentity;
  githubWebOrigin: string;
  commit?: CommitFacts;
  failures: FailedActionFacts[];
  approval?: ApprovalFacts;
  executionId: string;
  account: string;
  location: ConsoleLocation;
  time: string;
  statusSummary?: string;
  recoveredFrom?: string;
  missing: string[];
}

export function buildNotification(input: NotificationInput): Notification {
  const { identity, location, commit } = input;
  const repository = identity.repository?.repository;
  const branch = identity.isMain ? identity.repository?.mainBranch : commit?.branch;
  const firstFailureUrl = input.failures.map((failure) => safeLink(failure.url)).find((url) => url !== undefined);
  return {
    state: input.state,
    eventState: input.eventState,
    pipeline: identity.pipeline,
    service: identity.service,
    pullRequest: identity.pullRequest,
    branch,
    repository,
    commit,
    failures: input.failures,
    approval: input.approval,
    executionId: input.executionId,
    account: input.account,
    region: location.region,
    partition: location.partition,
    time: input.time,
    statusSummary: input.statusSummary,
    recoveredFrom: input.recoveredFrom,
    links: {
      execution: executionUrl(location, identity.pipeline, input.executionId),
      approval: input.approval ? pipelineViewUrl(location, identity.pipeline) : undefined,
      review: input.approval ? safeLink(input.approval.reviewUrl) : undefined,
      logs: firstFailureUrl,
      commit: commit && repository ? commitUrl(input.githubWebOrigin, repository, commit.sha) : undefined,
      pullRequest:
        identity.pullRequest !== undefined && repository ? pullRequestUrl(input.githubWebOrigin, repository, identity.pullRequest) : undefined,
    },
    missing: input.missing,
  };
}

/** Short words for each notification, for subjects and headers. */
export const STATE_WORDS: Readonly<Record<NotifyState, string>> = {
  FAILED: "failed",
  APPROVAL_WAITING: "is waiting for approval",
  RECOVERED: "recovered",
  SUCCEEDED: "succeeded",
  STARTED: "started",
  STOPPED: "stopped",
  SUPERSEDED: "was superseded",
};

/** "failed", "stopped" or "was canceled" (a STOPPED notification covers CANCELED too). */
export function stateWords(notification: Pick<Notification, "state" | "eventState">): string {
  if (notification.state === "STOPPED" && notification.eventState === "CANCELED") return "was canceled";
  return STATE_WORDS[notification.state];
}

/** "pull request #12" or "branch main", or undefined when neither is known. */
export function whereBuilt(notification: Pick<Notification, "pullRequest" | "branch">): string | undefined {
  if (notification.pullRequest !== undefined) {
    return `pull request #${notification.pullRequest}${notification.branch ? ` (${notification.branch})` : ""}`;
  }
  return notification.branch ? `branch ${notification.branch}` : undefined;
}

/** The first line of a commit message. */
export function firstLine(message: string | undefined): string | undefined {
  const line = message?.split(/\r?\n/, 1)[0]?.trim();
  return line ? line : undefined;
}

/** CodePipeline reports no commit author: messages say so instead of inventing one. */
export const AUTHOR_UNAVAILABLE = "not reported by CodePipeline";
