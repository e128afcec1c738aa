import { cut } from "../shared/text";
import type { ApprovalTarget } from "../shared/slack/approval";

/**
 * What the worker asks CodePipeline, as plain data (aws.ts reads it from the
 * SDK), and the decisions it takes on it. Pure.
 */

export interface ActionView {
  name: string;
  status?: string;
  /** The approval's token, while it waits. */
  token?: string;
}

export interface StageView {
  name: string;
  /** The execution the stage last ran, and how that went. */
  executionId?: string;
  status?: string;
  actions: ActionView[];
}

export interface ExecutionView {
  executionId: string;
  status: string;
  startTime?: Date;
  /** The source action's commit and the provider's link to it. */
  commit?: { sha: string; url?: string };
}

export type ApprovalAnswer = "Approved" | "Rejected";

/** What became of PutApprovalResult: done, or one of the outcomes CodePipeline refuses with. */
export type ApprovalResultOutcome = "done" | "already_answered" | "expired";

export type StartOutcome = { kind: "started"; executionId: string } | { kind: "refused"; reason: string };

/** The CodePipeline calls of the worker (aws.ts). Throws on AWS failures: the bus redelivers. */
export interface PipelineApi {
  /** The stages of GetPipelineState; undefined when the pipeline does not exist. */
  stages(pipeline: string): Promise<StageView[] | undefined>;
  /** The newest execution (ListPipelineExecutions, one result); undefined when none or no such pipeline. */
  latestExecution(pipeline: string): Promise<ExecutionView | undefined>;
  putApprovalResult(target: ApprovalTarget, token: string, result: { status: ApprovalAnswer; summary: string }): Promise<ApprovalResultOutcome>;
  /** StartPipelineExecution at `commit` (the source action's revision), else at the branch head. */
  start(pipeline: string, request: { clientRequestToken: string; commit?: string; sourceActionName: string }): Promise<StartOutcome>;
}

export type ApprovalDecision = { kind: "answer"; token: string } | { kind: "superseded" } | { kind: "already_answered" } | { kind: "expired" };

/**
 * Whether the approval a button was posted for still waits: its stage must
 * still be on the button's execution, and the action in progress with a token.
 */
export function decideApproval(stages: readonly StageView[] | undefined, target: ApprovalTarget): ApprovalDecision {
  const stage = stages?.find((candidate) => candidate.name === target.stage);
  const action = stage?.actions.find((candidate) => candidate.name === target.action);
  // The pipeline, stage or action is gone (renamed or deleted): nothing waits for this answer any more.
  if (stage === undefined || action === undefined) return { kind: "expired" };
  if (stage.executionId !== target.executionId) return { kind: "superseded" };
  if (action.status !== "InProgress" || !action.token) return { kind: "already_answered" };
  return { kind: "answer", token: action.token };
}

/** CodePipeline keeps at most this many characters of an approval's summary. */
export const MAX_APPROVAL_SUMMARY = 512;

/** The summary CodePipeline shows with the answer: who answered in Slack, and why. */
export function approvalSummary(status: ApprovalAnswer, user: { id: string; name?: string }, comment: string | undefined): string {
  const who = user.name ? `${user.name} (${user.id})` : user.id;
  const why = comment?.trim() ? `: ${comment.trim().replace(/\s+/g, " ")}` : "";
  return cut(`${status} in Slack by ${who}${why}`, MAX_APPROVAL_SUMMARY);
}

/** The stage an execution is in (in progress), else the last one it reached. */
export function stageOfExecution(stages: readonly StageView[] | undefined, executionId: string): { name: string; current: boolean } | undefined {
  const reached = (stages ?? []).filter((stage) => stage.executionId === executionId);
  const current = reached.find((stage) => stage.status === "InProgress");
  if (current !== undefined) return { name: current.name, current: true };
  const last = reached.at(-1);
  return last === undefined ? undefined : { name: last.name, current: false };
}
