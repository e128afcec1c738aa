import { CODEPIPELINE_DETAIL_TYPES, isApprovalWaiting, type CodePipelineEvent } from "../shared/codepipeline-events";

/**
 * Pure decisions: what an event can notify, which commit status it sets, and
 * whether a success on the main branch is a recovery.
 */

/** What NOTIFY_STATES can name. RECOVERED: a main-branch success after a failure. */
export const NOTIFY_STATES = ["FAILED", "APPROVAL_WAITING", "RECOVERED", "SUCCEEDED", "STARTED", "STOPPED", "SUPERSEDED"] as const;
export type NotifyState = (typeof NOTIFY_STATES)[number];
export const DEFAULT_NOTIFY_STATES: readonly NotifyState[] = ["FAILED", "APPROVAL_WAITING", "RECOVERED"];

/** A GitHub commit status state. */
export type CommitState = "pending" | "success" | "failure" | "error";

/**
 * The commit status an event sets, and the execution statuses (as
 * GetPipelineExecution spells them) under which it still holds: events can
 * arrive late or out of order, and a late "pending" must not overwrite the
 * final status.
 */
export interface CommitStatusIntent {
  state: CommitState;
  /** The event's state, e.g. "SUPERSEDED": says why in the description. */
  eventState: string;
  whileExecutionIs: readonly string[];
}

/** What an event may notify before the enrichment: a success may still turn out to be a recovery. */
export type NotificationCandidate = Exclude<NotifyState, "RECOVERED">;

/** How an execution of a main pipeline ends, as the pipeline event says it. */
export const FINISH_STATES = ["SUCCEEDED", "FAILED", "STOPPED", "CANCELED", "SUPERSEDED"] as const;
export type FinishState = (typeof FINISH_STATES)[number];

/**
 * What an event adds to its execution's Slack thread (bot mode, main
 * pipelines). Every step posts the thread's parent when it is the first of
 * the execution to arrive; "start" adds nothing else.
 */
export type ThreadStep =
  | { kind: "start" }
  | { kind: "resume" }
  | { kind: "stage"; stage: string; outcome: "SUCCEEDED" | "FAILED" }
  | { kind: "approval"; stage: string; action: string }
  | { kind: "finish"; state: FinishState };

export type EventPlan =
  | { kind: "ignore"; reason: string }
  | {
      kind: "act";
      notification?: NotificationCandidate;
      commitStatus?: CommitStatusIntent;
      /** For an approval waiting: where it waits. */
      approval?: { stage: string; action: string };
      /** The step of the execution's Slack thread, when threads are on for the pipeline. */
      thread?: ThreadStep;
      /** Why no notification, when there is none (for the log). */
      quietBecause?: string;
    };

export interface PlanOptions {
  /** Bot mode and a main pipeline: the execution's events go to its Slack thread whatever NOTIFY_STATES says. */
  threads?: boolean;
}

const PIPELINE_STATE_PLANS: Record<string, { notification?: NotificationCandidate; status?: CommitStatusIntent }> = {
  STARTED: { notification: "STARTED", status: { state: "pending", eventState: "STARTED", whileExecutionIs: ["InProgress"] } },
  RESUMED: { status: { state: "pending", eventState: "RESUMED", whileExecutionIs: ["InProgress"] } },
  SUCCEEDED: { notification: "SUCCEEDED", status: { state: "success", eventState: "SUCCEEDED", whileExecutionIs: ["Succeeded"] } },
  FAILED: { notification: "FAILED", status: { state: "failure", eventState: "FAILED", whileExecutionIs: ["Failed"] } },
  STOPPED: { notification: "STOPPED", status: { state: "error", eventState: "STOPPED", whileExecutionIs: ["Stopped"] } },
  CANCELED: { notification: "STOPPED", status: { state: "error", eventState: "CANCELED", whileExecutionIs: ["Cancelled"] } },
  SUPERSEDED: { notification: "SUPERSEDED", status: { state: "error", eventState: "SUPERSEDED", whileExecutionIs: ["Superseded"] } },
};

function enabledFor(candidate: NotificationCandidate, enabled: ReadonlySet<NotifyState>): boolean {
  // A recovery is a success: SUCCEEDED events are candidates when either is on.
  if (candidate === "SUCCEEDED") return enabled.has("SUCCEEDED") || enabled.has("RECOVERED");
  return enabled.has(candidate);
}

function isFinishState(state: string): state is FinishState {
  return (FINISH_STATES as readonly string[]).includes(state);
}

/** The step an event adds to its execution's Slack thread, if any. */
export function threadStepOf(event: CodePipelineEvent): ThreadStep | undefined {
  const { state } = event.detail;
  switch (event["detail-type"]) {
    case CODEPIPELINE_DETAIL_TYPES.pipeline:
      if (state === "STARTED") return { kind: "start" };
      if (state === "RESUMED") return { kind: "resume" };
      return isFinishState(state) ? { kind: "finish", state } : undefined;
    case CODEPIPELINE_DETAIL_TYPES.stage:
      return state === "SUCCEEDED" || state === "FAILED" ? { kind: "stage", stage: event.detail.stage, outcome: state } : undefined;
    case CODEPIPELINE_DETAIL_TYPES.action:
      return isApprovalWaiting(event) ? { kind: "approval", stage: event.detail.stage, action: event.detail.action } : undefined;
  }
}

/** Whether a thread step needs the execution's action executions (failed actions, an approval's instructions). */
export function threadStepNeedsActions(step: ThreadStep | undefined): boolean {
  if (step === undefined) return false;
  if (step.kind === "approval") return true;
  if (step.kind === "stage") return step.outcome === "FAILED";
  return step.kind === "finish" && step.state === "FAILED";
}

/** What to do with an event, from the event alone. */
export function planEvent(event: CodePipelineEvent, enabled: ReadonlySet<NotifyState>, options: PlanOptions = {}): EventPlan {
  const { state } = event.detail;
  const thread = options.threads ? threadStepOf(event) : undefined;
  switch (event["detail-type"]) {
    case CODEPIPELINE_DETAIL_TYPES.pipeline: {
      const plan = PIPELINE_STATE_PLANS[state];
      if (!plan) return { kind: "ignore", reason: `pipeline state ${state} neither notifies nor sets a commit status` };
      const notify = plan.notification !== undefined && enabledFor(plan.notification, enabled);
      return {
        kind: "act",
        notification: notify ? plan.notification : undefined,
        commitStatus: plan.status,
        thread,
        quietBecause: notify
          ? undefined
          : plan.notification
            ? `${plan.notification} is not in NOTIFY_STATES`
            : `pipeline state ${state} does not notify`,
      };
    }
    case CODEPIPELINE_DETAIL_TYPES.stage:
      if (thread) return { kind: "act", thread, quietBecause: "a stage's result is told only in the execution's Slack thread" };
      return {
        kind: "ignore",
        reason: options.threads
          ? `stage ${event.detail.stage} ${state} is not a result the Slack thread tells`
          : "stage changes are reported through the pipeline-level event of the execution",
      };
    case CODEPIPELINE_DETAIL_TYPES.action: {
      const { detail } = event;
      if (isApprovalWaiting(event)) {
        const approval = { stage: detail.stage, action: detail.action };
        if (!enabled.has("APPROVAL_WAITING")) {
          if (thread) return { kind: "act", approval, thread, quietBecause: "APPROVAL_WAITING is not in NOTIFY_STATES" };
          return { kind: "ignore", reason: "APPROVAL_WAITING is not in NOTIFY_STATES" };
        }
        return { kind: "act", notification: "APPROVAL_WAITING", approval, thread };
      }
      if (detail.type.category === "Source" && state === "SUCCEEDED") {
        // The commit an execution builds may be unknown until its source action
        // has fetched it; the pending status the pipeline's STARTED could not
        // set is set now, while the execution still runs.
        return {
          kind: "act",
          commitStatus: { state: "pending", eventState: "STARTED", whileExecutionIs: ["InProgress"] },
          quietBecause: "a source action that succeeded does not notify",
        };
      }
      return { kind: "ignore", reason: `action ${detail.stage}/${detail.action} ${state} is reported through the pipeline-level event` };
    }
  }
}

/** Whether the final state of a success depends on the previous main-branch execution. */
export function needsRecoveryCheck(candidate: NotificationCandidate | undefined, isMainPipeline: boolean): boolean {
  return candidate === "SUCCEEDED" && isMainPipeline;
}

/**
 * The notification a candidate becomes. A success is RECOVERED on a main
 * pipeline whose previous finished execution failed (or whose own execution
 * had a failed attempt that a retry fixed); it notifies when RECOVERED or
 * SUCCEEDED is on. Any other success notifies only when SUCCEEDED is on.
 * `recovered` undefined means it could not be told.
 */
export function finalNotification(
  candidate: NotificationCandidate | undefined,
  enabled: ReadonlySet<NotifyState>,
  isMainPipeline: boolean,
  recovered: boolean | undefined,
): NotifyState | undefined {
  if (candidate === undefined) return undefined;
  if (candidate !== "SUCCEEDED") return enabled.has(candidate) ? candidate : undefined;
  if (isMainPipeline && recovered === true && (enabled.has("RECOVERED") || enabled.has("SUCCEEDED"))) return "RECOVERED";
  return enabled.has("SUCCEEDED") ? "SUCCEEDED" : undefined;
}

/** One execution of a pipeline as ListPipelineExecutions lists it. */
export interface ExecutionSummaryFacts {
  executionId: string;
  /** InProgress, Stopped, Stopping, Succeeded, Superseded, Failed, Cancelled. */
  status: string;
  startTime?: Date;
}

export type PreviousOutcome = { known: true; failed: boolean; executionId?: string; status?: string } | { known: false; reason: string };

/**
 * The outcome of the last execution that finished (Succeeded or Failed)
 * before `currentId`; stopped, superseded and canceled ones say nothing about
 * whether the branch was broken, so they are passed over. `summaries` are
 * newest first, as ListPipelineExecutions returns them.
 */
export function previousOutcome(summaries: readonly ExecutionSummaryFacts[], currentId: string): PreviousOutcome {
  const index = summaries.findIndex((summary) => summary.executionId === currentId);
  if (index === -1) return { known: false, reason: `execution ${currentId} is not among the ${summaries.length} most recent executions` };
  for (const summary of summaries.slice(index + 1)) {
    if (summary.status === "Failed") return { known: true, failed: true, executionId: summary.executionId, status: summary.status };
    if (summary.status === "Succeeded") return { known: true, failed: false, executionId: summary.executionId, status: summary.status };
  }
  return { known: true, failed: false };
}
