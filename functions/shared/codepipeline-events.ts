// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";

/**
 * CodePipeline's execution state-change events on the default EventBridge bus,
 * as AWS documents them ("Monitoring CodePipeline events", CodePipeline User
 * Guide): the rule pattern the notifications construct uses, and zod schemas
 * of the three event types. Unknown fields are dropped, not rejected, so a
 * field AWS adds later does not break the notifier.
 */

export const CODEPIPELINE_EVENT_SOURCE = "aws.codepipeline";

export const CODEPIPELINE_DETAIL_TYPES = {
  pipeline: "CodePipeline Pipeline Execution State Change",
  stage: "CodePipeline Stage Execution State Change",
  action: "CodePipeline Action Execution State Change",
} as const;

/** States of a pipeline execution as the events spell them (the API spells them InProgress, Succeeded, ...). */
export const PIPELINE_EVENT_STATES = ["STARTED", "STOPPING", "STOPPED", "SUCCEEDED", "FAILED", "SUPERSEDED", "CANCELED", "RESUMED"] as const;
export const STAGE_EVENT_STATES = ["STARTED", "STOPPING", "STOPPED", "SUCCEEDED", "FAILED", "CANCELED", "RESUMED"] as const;
export const ACTION_EVENT_STATES = ["STARTED", "SUCCEEDED", "FAILED", "CANCELED", "ABANDONED"] as const;

/**
 * The subset of EventBridge's pattern language the notifier's rule uses. A
 * type alias, not an interface, so it is assignable to Record<string, unknown>.
 */
export type NotifierEventPattern = {
  source: string[];
  $or: Array<{
    "detail-type": string[];
    detail: { pipeline: Array<{ prefix: string }>; state: string[]; type?: { category: string[] } };
  }>;
};

/** Pipeline states the notifier acts on (notifications, commit statuses, Slack threads); STOPPING says nothing new. */
export const NOTIFIER_PIPELINE_STATES = ["STARTED", "RESUMED", "SUCCEEDED", "FAILED", "STOPPED", "CANCELED", "SUPERSEDED"] as const;

/**
 * The pattern of the notifier's rule on the default bus: the state changes
 * the notifier acts on, of the pipelines whose names start with
 * `pipelinePrefix` (the platform's `<project>-` prefix, which the per-PR
 * clones `<pipeline>-pr-<n>` keep): every pipeline state but STOPPING; stage
 * results (Slack threads); a manual approval waiting (an Approval action
 * STARTED); a source action that succeeded (the commit is known, so a pending
 * commit status can be set). Everything else an execution emits (about
 * twice as many events: stages and actions starting, builds and deploys
 * finishing) never reaches the function, which would only ignore it.
 */
export function NOTIFIER_EVENT_PATTERN(pipelinePrefix: string): NotifierEventPattern {
  if (!/^[A-Za-z0-9.@_-]{1,99}$/.test(pipelinePrefix)) {
    throw new RangeError(
      `The pipeline prefix ${JSON.stringify(pipelinePrefix)} is not the start of a CodePipeline name (1-99 of A-Z a-z 0-9 . @ _ -); ` +
        "an empty prefix would match every pipeline in the account",
    );
  }
  const pipeline = [{ prefix: pipelinePrefix }];
  return {
    source: [CODEPIPELINE_EVENT_SOURCE],
    $or: [
      { "detail-type": [CODEPIPELINE_DETAIL_TYPES.pipeline], detail: { pipeline, state: [...NOTIFIER_PIPELINE_STATES] } },
      { "detail-type": [CODEPIPELINE_DETAIL_TYPES.stage], detail: { pipeline, state: ["SUCCEEDED", "FAILED"] } },
      { "detail-type": [CODEPIPELINE_DETAIL_TYPES.action], detail: { pipeline, state: ["STARTED"], type: { category: ["Approval"] } } },
      { "detail-type": [CODEPIPELINE_DETAIL_TYPES.action], detail: { pipeline, state: ["SUCCEEDED"], type: { category: ["Source"] } } },
    ],
  };
}

// ---- Schemas ----

const executionTriggerSchema = z.object({
  "trigger-type": z.string().optional(),
  "trigger-detail": z.string().optional(),
});

const baseDetail = {
  pipeline: z.string().min(1),
  "execution-id": z.string().min(1),
  /** Kept a string: a state AWS adds later is ignored by the notifier, not an error. */
  state: z.string().min(1),
  /** The pipeline structure's version (AWS sends e.g. 1 or 1.0). */
  version: z.number().optional(),
};

export const pipelineExecutionDetailSchema = z.object({
  ...baseDetail,
  "execution-trigger": executionTriggerSchema.optional(),
  "start-time": z.string().optional(),
  "pipeline-execution-attempt": z.number().optional(),
});

export const stageExecutionDetailSchema = z.object({
  ...baseDetail,
  stage: z.string().min(1),
  "start-time": z.string().optional(),
  "pipeline-execution-attempt": z.number().optional(),
});

export const actionTypeSchema = z.object({
  owner: z.string(),
  category: z.string(),
  provider: z.string(),
  version: z.string(),
});

export const actionExecutionResultSchema = z.object({
  "external-execution-url": z.string().optional(),
  "external-execution-summary": z.string().optional(),
  "external-execution-id": z.string().optional(),
  "error-code": z.string().optional(),
});

export const actionExecutionDetailSchema = z.object({
  ...baseDetail,
  stage: z.string().min(1),
  action: z.string().min(1),
  /** The Region the action runs in (may differ from the pipeline's for cross-Region actions). */
  region: z.string().optional(),
  type: actionTypeSchema,
  "execution-result": actionExecutionResultSchema.optional(),
  "start-time": z.string().optional(),
  "pipeline-execution-attempt": z.number().optional(),
});

const envelope = {
  version: z.string(),
  id: z.string().min(1),
  source: z.literal(CODEPIPELINE_EVENT_SOURCE),
  account: z.string().regex(/^\d{12}$/, { error: "is not a 12-digit AWS account id" }),
  time: z.string(),
  region: z.string().min(1),
  resources: z.array(z.string()),
};

export const pipelineExecutionEventSchema = z.object({
  ...envelope,
  "detail-type": z.literal(CODEPIPELINE_DETAIL_TYPES.pipeline),
  detail: pipelineExecutionDetailSchema,
});

export const stageExecutionEventSchema = z.object({
  ...envelope,
  "detail-type": z.literal(CODEPIPELINE_DETAIL_TYPES.stage),
  detail: stageExecutionDetailSchema,
});

export const actionExecutionEventSchema = z.object({
  ...envelope,
  "detail-type": z.literal(CODEPIPELINE_DETAIL_TYPES.action),
  detail: actionExecutionDetailSchema,
});

export const codePipelineEventSchema = z.discriminatedUnion("detail-type", [
  pipelineExecutionEventSchema,
  stageExecutionEventSchema,
  actionExecutionEventSchema,
]);

export type PipelineExecutionEvent = z.infer<typeof pipelineExecutionEventSchema>;
export type StageExecutionEvent = z.infer<typeof stageExecutionEventSchema>;
export type ActionExecutionEvent = z.infer<typeof actionExecutionEventSchema>;
export type CodePipelineEvent = z.infer<typeof codePipelineEventSchema>;

/** Whether an action event is a manual approval starting to wait for a reviewer. */
export function isApprovalWaiting(event: ActionExecutionEvent): boolean {
  return event.detail.type.category === "Approval" && event.detail.state === "STARTED";
}
