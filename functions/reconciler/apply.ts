import { collectArtifactKeys, type PrLogger } from "../pr-pipelines/apply";
import { previewStacksOf } from "../pr-pipelines/clone";
import type { ArtifactGateway, CapacityLedger, PipelineGateway } from "../pr-pipelines/gateways";
import type { PreviewStackCleanup } from "../pr-pipelines/preview-stacks";
import { DETAIL_TYPES } from "../shared/events";
import type { BusPublisher } from "../webhook/bus-event";
import type { ReconcilerConfig } from "./config";
import { forgetChange, type ActionDecision } from "./plan";

/**
 * Carries out the reconciler's decisions. Closes, creations and pick-ups are
 * events on the GitHub bus (pr-pipelines does the work); idle pipelines are
 * removed here through pr-pipelines' gateways; forgotten waiters leave the
 * capacity ledger. Every decision is tried; a failure is
 * returned, not thrown, so the others still run.
 */

export interface ApplyDeps {
  readonly publisher: BusPublisher;
  readonly pipelines: PipelineGateway;
  readonly artifacts: ArtifactGateway;
  readonly previewStacks: PreviewStackCleanup;
  readonly capacity: CapacityLedger;
  readonly config: Pick<ReconcilerConfig, "artifactBucket">;
  readonly logger: PrLogger;
  /** The run's time: event time and the idle removals' delivery ids. */
  readonly now: Date;
}

export type Outcome =
  | { readonly decision: ActionDecision; readonly result: "published" }
  | {
      readonly decision: ActionDecision;
      readonly result: "removed";
      readonly deletedArtifactVersions: number;
      readonly previewStacks: readonly string[];
    }
  /** The idle pipeline was already gone, or the waiter had left the queue. */
  | { readonly decision: ActionDecision; readonly result: "gone" }
  | { readonly decision: ActionDecision; readonly result: "forgotten" }
  | { readonly decision: ActionDecision; readonly result: "failed"; readonly error: string };

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

const PUBLISHED = {
  close: "Asked pr-pipelines to close a pull request",
  create: "Asked pr-pipelines to create missing pipelines",
  "pick-up": "Asked pr-pipelines to create the pipelines of a pull request that waited for capacity",
} as const;

/** Puts the close, create or pick-up event on the bus. */
async function publish(decision: Extract<ActionDecision, { kind: "close" | "create" | "pick-up" }>, deps: ApplyDeps): Promise<Outcome> {
  await deps.publisher.publish({ detailType: DETAIL_TYPES.pullRequest, detail: decision.event }, deps.now);
  deps.logger.info(PUBLISHED[decision.kind], {
    repository: decision.repository,
    pullRequest: decision.number,
    deliveryId: decision.event.deliveryId,
    action: decision.event.action,
    updatedAt: decision.event.updatedAt,
    reason: decision.reason,
  });
  return { decision, result: "published" };
}

/**
 * Removes an idle pull request pipeline: preview stacks, then exactly the
 * artifact versions its executions wrote (the same discovery pr-pipelines
 * uses on close), then the pipeline. The pipeline goes last because there is
 * no state item to remember artifact keys in: while it exists, a failed run
 * is simply repeated by the next one. pr-pipelines' state is not touched.
 */
async function removeIdle(decision: Extract<ActionDecision, { kind: "remove-idle" }>, deps: ApplyDeps): Promise<Outcome> {
  const { pipeline: prPipeline, number, repository } = decision;
  const { artifactBucket } = deps.config;
  const identity = { repository, number, deliveryId: `reconciler-idle-${repository}-${number}-${Math.floor(deps.now.getTime() / 1000)}` };
  const existing = await deps.pipelines.getPipeline(prPipeline);
  if (existing === undefined) {
    deps.logger.info("The idle pull request pipeline is already gone", { pullRequest: number, prPipeline });
    return { decision, result: "gone" };
  }
  const keys = await collectArtifactKeys(identity, prPipeline, { pipelines: deps.pipelines, logger: deps.logger, config: { artifactBucket } });
  const stacks = previewStacksOf(existing.declaration);
  if (stacks.length > 0) {
    await deps.previewStacks.deletePreviewStacks({ repository, pullRequest: number, deliveryId: identity.deliveryId, prPipeline, stacks });
  }
  const deletedArtifactVersions = keys.length === 0 ? 0 : await deps.artifacts.deleteAllVersions(artifactBucket, keys);
  await deps.pipelines.deletePipeline(prPipeline);
  const previewStacks = stacks.map((stack) => stack.stackName);
  deps.logger.info("Removed an idle pull request pipeline", {
    pullRequest: number,
    prPipeline,
    lastActivity: decision.lastActivity,
    artifactKeys: keys.length,
    deletedArtifactVersions,
    previewStacks,
  });
  return { decision, result: "removed", deletedArtifactVersions, previewStacks };
}

/** Takes a waiting pull request out of the capacity ledger's queue. */
async function forget(decision: Extract<ActionDecision, { kind: "forget" }>, deps: ApplyDeps): Promise<Outcome> {
  const forgotten = await deps.capacity.update(forgetChange(decision));
  deps.logger.info(forgotten ? "Forgot a pull request that waited for capacity" : "The waiting pull request had left the queue already", {
    repository: decision.repository,
    pullRequest: decision.number,
    reason: decision.reason,
  });
  return { decision, result: forgotten ? "forgotten" : "gone" };
}

/** What a decision does, for a log line. */
export function actionName(decision: ActionDecision): string {
  if (decision.kind === "remove-idle") return "remove an idle pull request pipeline";
  if (decision.kind === "forget") return "forget a pull request waiting for capacity";
  return `ask for the ${decision.kind} of a pull request`;
}

/** Applies one decision; never throws. */
export async function applyDecision(decision: ActionDecision, deps: ApplyDeps): Promise<Outcome> {
  try {
    if (decision.kind === "remove-idle") return await removeIdle(decision, deps);
    if (decision.kind === "forget") return await forget(decision, deps);
    return await publish(decision, deps);
  } catch (error) {
    const message = describe(error);
    deps.logger.error(`Could not ${actionName(decision)}`, {
      repository: decision.repository,
      pullRequest: decision.number,
      ...(decision.kind === "remove-idle" ? { prPipeline: decision.pipeline } : {}),
      ...("event" in decision ? { deliveryId: decision.event.deliveryId } : {}),
      error: message,
    });
    return { decision, result: "failed", error: message };
  }
}

/** Applies the decisions one after the other (CodePipeline's rate limits are low). */
export async function applyDecisions(decisions: readonly ActionDecision[], deps: ApplyDeps): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const decision of decisions) outcomes.push(await applyDecision(decision, deps));
  return outcomes;
}
