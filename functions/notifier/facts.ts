import type { ExecutionSummaryFacts } from "./routing";

/**
 * What the notifier learns about an execution from CodePipeline, as plain
 * data (aws.ts maps the SDK's shapes to these), and the pure extraction of
 * the commit, the failed actions and the approval from it.
 */

export interface RevisionFacts {
  /** The artifact's name, e.g. "SourceOutput". */
  name?: string;
  /** For git sources, the commit id. */
  revisionId?: string;
  /** For CodeStarSourceConnection, JSON such as {"ProviderType":"GitHub","CommitMessage":"..."}; else often the message. */
  revisionSummary?: string;
  revisionUrl?: string;
}

export interface ExecutionFacts {
  /** InProgress, Stopped, Stopping, Succeeded, Superseded, Failed, Cancelled. */
  status?: string;
  statusSummary?: string;
  revisions: RevisionFacts[];
  trigger?: { type?: string; detail?: string };
}

export interface ActionExecutionFacts {
  actionExecutionId?: string;
  stage: string;
  action: string;
  /** InProgress, Abandoned, Succeeded, Failed. */
  status?: string;
  startTime?: Date;
  lastUpdateTime?: Date;
  category?: string;
  provider?: string;
  configuration?: Record<string, string>;
  externalExecutionUrl?: string;
  externalExecutionSummary?: string;
  errorCode?: string;
  errorMessage?: string;
  outputVariables?: Record<string, string>;
}

/** CodePipeline, read only. aws.ts holds the SDK implementation. */
export interface PipelineFacts {
  execution(pipeline: string, executionId: string): Promise<ExecutionFacts>;
  actionExecutions(pipeline: string, executionId: string): Promise<ActionExecutionFacts[]>;
  /** Tags of the pipeline (its ARN). */
  tags(pipelineArn: string): Promise<Record<string, string>>;
  /** The most recent executions, newest first (a bounded number). */
  recentExecutions(pipeline: string): Promise<ExecutionSummaryFacts[]>;
}

export interface CommitFacts {
  sha: string;
  shortSha: string;
  /** The whole message when CodePipeline reports it. */
  message?: string;
  /** The branch the source action fetched, when it reports one. */
  branch?: string;
  /** Where the sha came from. */
  from: "execution" | "pull-request-tag";
}

const GIT_SHA = /^[0-9a-f]{40}$/i;

export function shortSha(sha: string): string {
  return GIT_SHA.test(sha) ? sha.slice(0, 7) : sha.slice(0, 12);
}

/**
 * The commit message in a revisionSummary. For CodeStarSourceConnection it is
 * JSON whose CommitMessage holds the message; other providers put the message
 * itself there. JSON without a CommitMessage string yields nothing rather
 * than raw JSON.
 */
export function commitMessageFromSummary(summary: string | undefined): string | undefined {
  const text = summary?.trim();
  if (!text) return undefined;
  if (!text.startsWith("{")) return text;
  try {
    const parsed = JSON.parse(text) as { CommitMessage?: unknown };
    return typeof parsed.CommitMessage === "string" && parsed.CommitMessage.trim() !== "" ? parsed.CommitMessage.trim() : undefined;
  } catch {
    return text;
  }
}

/**
 * The commit an execution built: the first artifact revision that is a git
 * commit id (else the first revision with an id). Message and branch come
 * from the source action's output variables when it has them, else from the
 * revision summary. CodePipeline reports no commit author.
 */
export function commitOf(revisions: readonly RevisionFacts[], actions: readonly ActionExecutionFacts[]): CommitFacts | undefined {
  const revision = revisions.find((r) => r.revisionId && GIT_SHA.test(r.revisionId)) ?? revisions.find((r) => r.revisionId);
  if (!revision?.revisionId) return undefined;
  const sha = revision.revisionId;
  const source = actions.find((a) => a.category === "Source" && a.outputVariables?.CommitId === sha);
  const message = source?.outputVariables?.CommitMessage?.trim() || commitMessageFromSummary(revision.revisionSummary);
  const branch = source?.outputVariables?.BranchName?.trim() || undefined;
  return { sha, shortSha: shortSha(sha), message, branch, from: "execution" };
}

export interface FailedActionFacts {
  stage: string;
  action: string;
  provider?: string;
  /** What went wrong, as the action reported it. */
  summary?: string;
  errorCode?: string;
  /** The action's own page (for CodeBuild: the build and its logs). */
  url?: string;
}

function time(value: Date | undefined): number {
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value.getTime() : 0;
}

/** The latest attempt of each stage/action, in the order the actions first ran. */
export function latestAttempts(actions: readonly ActionExecutionFacts[]): ActionExecutionFacts[] {
  const latest = new Map<string, ActionExecutionFacts>();
  const sorted = [...actions].sort((a, b) => time(a.startTime) - time(b.startTime));
  for (const action of sorted) latest.set(`${action.stage}\u0000${action.action}`, action);
  return [...latest.values()];
}

/** The actions whose latest attempt failed, with what they reported. */
export function failedActions(actions: readonly ActionExecutionFacts[]): FailedActionFacts[] {
  return latestAttempts(actions)
    .filter((action) => action.status === "Failed")
    .map((action) => ({
      stage: action.stage,
      action: action.action,
      provider: action.provider,
      summary: errorSummary(action),
      errorCode: action.errorCode,
      url: action.externalExecutionUrl,
    }));
}

/** Whether an attempt failed that a later attempt of the same action (a retry) replaced with a success. */
export function hadRetriedFailure(actions: readonly ActionExecutionFacts[]): boolean {
  const latest = new Set(latestAttempts(actions));
  return actions.some((action) => action.status === "Failed" && !latest.has(action));
}

function errorSummary(action: ActionExecutionFacts): string | undefined {
  const parts = [action.externalExecutionSummary, action.errorMessage].map((part) => part?.trim()).filter((part): part is string => Boolean(part));
  // CodeBuild repeats the same text in both places.
  const unique = [...new Set(parts)];
  return unique.length > 0 ? unique.join(" | ") : undefined;
}

export interface ApprovalFacts {
  stage: string;
  action: string;
  /** The reviewer's instructions (the action's CustomData). */
  customData?: string;
  /** The link the approval offers for review (ExternalEntityLink), e.g. the prod change set. */
  reviewUrl?: string;
}

/** The approval waiting at stage/action, with its configuration when the action execution is listed. */
export function approvalOf(stage: string, action: string, actions: readonly ActionExecutionFacts[]): ApprovalFacts {
  const run = latestAttempts(actions).find((a) => a.stage === stage && a.action === action);
  const configuration = run?.configuration ?? {};
  return {
    stage,
    action,
    customData: configuration.CustomData?.trim() || undefined,
    reviewUrl: configuration.ExternalEntityLink?.trim() || undefined,
  };
}
