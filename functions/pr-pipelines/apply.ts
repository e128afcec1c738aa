import { bothSettled, mapWithConcurrency } from "../shared/concurrency";
import type { PullRequestEvent } from "../shared/events";
import { clonePipelineForPullRequest, previewStacksOf, PR_TAG_KEYS, repositorySourceActions, type CloneOptions, type PreviewStack } from "./clone";
import type { PrPipelinesConfig } from "./config";
import { BasePipelineNotFoundError, PipelineCloneError, PullRequestPipelineError, type FailureContext } from "./errors";
import { decideRelease, decideReservation, ledgerKey, type Release } from "./capacity";
import type { CapacityWait } from "./capacity-notices";
import type { ArtifactGateway, CapacityLedger, ClaimResult, ExistingPipeline, PipelineGateway, PrClaim, PrStateStore } from "./gateways";
import { clientRequestToken, prStateKey } from "./names";
import type { Plan, PlannedPipeline } from "./plan";
import { pullRequestPipelineProblem } from "./ownership";
import type { PreviewStackCleanup } from "./preview-stacks";

/**
 * Carries out a plan: claim the pull request in the state table, do the work
 * idempotently, mark it done. Talks to AWS only through the gateways.
 */

/** The subset of a logger this code uses; Powertools' Logger fits it. */
export interface PrLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

export interface ApplyDeps {
  readonly pipelines: PipelineGateway;
  readonly artifacts: ArtifactGateway;
  readonly state: PrStateStore;
  readonly capacity: CapacityLedger;
  readonly previewStacks: PreviewStackCleanup;
  readonly config: PrPipelinesConfig;
  readonly logger: PrLogger;
  readonly now: () => Date;
}

export interface PipelineRun {
  readonly prPipeline: string;
  readonly created: boolean;
  readonly executionId: string;
  /** Executions CreatePipeline started by itself, unpinned, that were abandoned. */
  readonly abandonedExecutionIds: readonly string[];
}

export interface PipelineDeletion {
  readonly prPipeline: string;
  readonly deleted: boolean;
  readonly previewStacks: readonly string[];
  /** Why a pipeline of that name was not deleted: it is not this pull request's (ownership.ts). */
  readonly leftAlone?: string;
}

/** A pipeline with the pull request pipeline's name that is someone else's: neither run nor deleted. */
export interface ForeignPipeline {
  readonly prPipeline: string;
  readonly reason: string;
}

export type ApplyResult =
  | { readonly outcome: "stale"; readonly reason: string }
  /** A fork's run event whose head is not the commit the fork label approved: nothing ran, the state is unchanged. */
  | { readonly outcome: "awaiting-approval"; readonly reason: string }
  | { readonly outcome: "superseded"; readonly reason: string }
  /** Over the cap: no pipelines now; the pull request waits in the capacity ledger for the reconciler to hand it room. */
  | { readonly outcome: "waiting"; readonly reason: string; readonly wait: CapacityWait }
  | {
      readonly outcome: "ran";
      readonly runs: readonly PipelineRun[];
      readonly leftAlone?: readonly ForeignPipeline[];
      /** The pull request waited for capacity before this run. */
      readonly waited?: true;
    }
  | {
      readonly outcome: "deleted";
      readonly deletions: readonly PipelineDeletion[];
      readonly deletedArtifactVersions: number;
      /** What the pull request gave back to the capacity ledger. */
      readonly capacity?: Release;
    };

/** State items outlive the pull request by this long: long enough to order late and redelivered events. */
export const STATE_RETENTION_DAYS = 30;

/** Above this many keys a close does not record them in the state item (400 KB item limit); the bucket lifecycle is the fallback. */
export const MAX_RECORDED_ARTIFACT_KEYS = 2000;

type ActivePlan = Exclude<Plan, { kind: "skip" }>;

/** What names a pull request in failure contexts. */
export type PullRequestIdentity = Pick<PullRequestEvent, "repository" | "number" | "deliveryId">;

function contextFor(pr: PullRequestIdentity, operation: string, pipeline?: string): FailureContext {
  return { operation, repository: pr.repository, pullRequest: pr.number, deliveryId: pr.deliveryId, ...(pipeline === undefined ? {} : { pipeline }) };
}

/** The repository-specific part of a plan: which repository's source actions point at the pull request. */
type RepositoryTarget = Pick<ActivePlan, "repository">;

function cloneOptions(config: PrPipelinesConfig, target: RepositoryTarget, planned: PlannedPipeline): CloneOptions {
  return { prodAccountId: config.prodAccountId, repository: target.repository, identities: config.identities, deployPreview: planned.deployPreview };
}

/** Runs one AWS step; failures carry the operation, pipeline, pull request and delivery. */
async function step<T>(context: FailureContext, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof PullRequestPipelineError || error instanceof BasePipelineNotFoundError) throw error;
    throw new PullRequestPipelineError(context, { cause: error });
  }
}

/** Pipelines of one pull request handled at once: CodePipeline's API rate limits are low. */
export const PIPELINE_CONCURRENCY = 4;

export function claimFor(pr: PullRequestEvent, plan: ActivePlan, now: Date): PrClaim {
  return {
    key: prStateKey(pr.repository, pr.number),
    repository: pr.repository,
    number: pr.number,
    updatedAt: Date.parse(pr.updatedAt),
    desired: plan.desired,
    mayReopen: plan.mayReopen,
    headSha: pr.headSha,
    deliveryId: pr.deliveryId,
    expiresAt: Math.floor(now.getTime() / 1000) + STATE_RETENTION_DAYS * 24 * 60 * 60,
    ...(plan.kind !== "delete" && plan.forkApproval !== undefined ? { forkApproval: plan.forkApproval } : {}),
  };
}

/** Claim, work, mark done. Returns normally for stale, duplicate and superseded deliveries. */
export async function applyPlan(pr: PullRequestEvent, plan: ActivePlan, deps: ApplyDeps): Promise<ApplyResult> {
  const claim = claimFor(pr, plan, deps.now());
  const claimed: ClaimResult = await step(contextFor(pr, "claim pull request state"), () => deps.state.claim(claim));
  if (!claimed.claimed && claimed.refusal === "awaiting-approval") {
    const reason = `head ${pr.headSha.slice(0, 7)} of the fork's pull request is not the commit the "${plan.forkLabel}" label approved`;
    deps.logger.info("Not running the event", { reason, headSha: pr.headSha });
    return { outcome: "awaiting-approval", reason };
  }
  if (!claimed.claimed) {
    const reason = "stale or duplicate delivery: the state table holds a change of this pull request that is as new or newer";
    deps.logger.info("Skipping the event", { reason, updatedAt: pr.updatedAt });
    return { outcome: "stale", reason };
  }
  if (claimed.resumed) deps.logger.info("Resuming an unfinished change of this pull request", { desired: plan.desired });

  const key = ledgerKey(plan.repository, pr.number);
  let result: ApplyResult;
  if (plan.kind === "delete") {
    const deleted = await deletePullRequestPipelines(pr, plan, claim, claimed.pendingArtifactKeys, deps);
    if (deleted.outcome !== "deleted") return deleted;
    // After the deletions, so a crash in between leaves the count too high (a retry releases it), never too low.
    const capacity = await step(contextFor(pr, "release pipeline capacity"), () =>
      deps.capacity.update((ledger) => decideRelease(ledger, { key, updatedAt: claim.updatedAt })),
    );
    if (capacity.kind === "kept-for-newer-change") deps.logger.info("A newer change of this pull request holds its pipeline capacity", { key });
    result = { ...deleted, capacity };
  } else {
    // All of the pull request's pipelines, or none; a retry or a push finds them reserved already.
    const reservation = await step(contextFor(pr, "reserve pipeline capacity"), () =>
      deps.capacity.update((ledger) =>
        decideReservation(ledger, {
          key,
          pipelines: plan.pipelines.length,
          updatedAt: claim.updatedAt,
          now: deps.now().getTime(),
          limit: deps.config.maxPullRequestPipelines,
        }),
      ),
    );
    if (reservation.kind !== "reserved") return waitForCapacity(pr, claim, reservation, deps);
    // A resumed change may have created the pipelines already.
    const lookup: PipelineLookup = plan.kind === "create" && !claimed.resumed ? "create-first" : "look-first";
    const outcomes = await mapWithConcurrency(plan.pipelines, PIPELINE_CONCURRENCY, (planned) =>
      runPullRequestPipeline(pr, planned, plan, deps, lookup),
    );
    const runs = outcomes.filter((outcome): outcome is PipelineRun => "executionId" in outcome);
    const leftAlone = outcomes.filter((outcome): outcome is ForeignPipeline => "reason" in outcome);
    result = {
      outcome: "ran",
      runs,
      ...(leftAlone.length === 0 ? {} : { leftAlone }),
      ...(reservation.waited ? { waited: true as const } : {}),
    };
  }

  const done = await step(contextFor(pr, "mark pull request state done"), () =>
    deps.state.markDone(claim, { clearPendingArtifacts: plan.kind === "delete" }),
  );
  if (!done) deps.logger.info("A newer change of this pull request took over while this one ran", { desired: plan.desired });
  return result;
}

/** Over the cap: the change waits (its state item says so, the ledger queues it), nothing is created. */
async function waitForCapacity(pr: PullRequestEvent, claim: PrClaim, wait: CapacityWait, deps: ApplyDeps): Promise<ApplyResult> {
  const marked = await step(contextFor(pr, "mark pull request state waiting"), () => deps.state.markWaiting(claim));
  if (!marked) deps.logger.info("A newer change of this pull request took over while this one waited for capacity", { desired: claim.desired });
  const reason =
    wait.kind === "too-large"
      ? `the pull request needs ${wait.needed} pipelines, more than the cap of ${wait.limit}; it gets none until limits.maxPullRequestPipelines is raised`
      : `${wait.inUse} of ${wait.limit} pull request pipelines are in use and it needs ${wait.needed}; it waits (${wait.ahead} ahead) until the reconciler hands it room`;
  deps.logger.info("Waiting for pipeline capacity", { reason, ...wait });
  return { outcome: "waiting", reason, wait };
}

/**
 * Why an existing pipeline of the pull request pipeline's name is not ours to
 * run or delete, or undefined when it is. Costs one ListTagsForResource.
 */
async function foreignPipelineReason(
  pr: PullRequestEvent,
  planned: PlannedPipeline,
  existing: ExistingPipeline,
  deps: ApplyDeps,
): Promise<string | undefined> {
  const { arn } = existing;
  if (arn === undefined) return "GetPipeline returned no ARN, so its tags cannot be checked";
  const tags = await step(contextFor(pr, "ListTagsForResource", planned.prPipeline), () => deps.pipelines.listTags(arn));
  const problem = pullRequestPipelineProblem(
    { ...(existing.declaration.roleArn === undefined ? {} : { roleArn: existing.declaration.roleArn }), tags },
    { repository: pr.repository, number: pr.number, basePipeline: planned.basePipeline, prPipelineRoleArn: deps.config.identities.pipelineRole.pr },
  );
  if (problem !== undefined)
    deps.logger.warn("Leaving a pipeline alone: it is not this pull request's pipeline", { prPipeline: planned.prPipeline, reason: problem });
  return problem;
}

/** The source actions to pin in a pipeline that already exists; moves its head-sha tag to the new head. */
async function prepareExistingPipeline(
  pr: PullRequestEvent,
  prPipeline: string,
  existing: ExistingPipeline,
  target: RepositoryTarget,
  deps: ApplyDeps,
): Promise<string[]> {
  const sourceActionNames = repositorySourceActions(existing.declaration, target.repository).map((action) => action.name ?? "");
  if (sourceActionNames.length === 0) {
    throw new PipelineCloneError(
      prPipeline,
      `the existing pull request pipeline has no source action for ${target.repository}; delete it and redrive the event so it is cloned again`,
    );
  }
  if (existing.arn === undefined) {
    deps.logger.warn("GetPipeline returned no ARN; the head-sha tag is not updated", { prPipeline });
  } else {
    const arn = existing.arn;
    await step(contextFor(pr, "TagResource", prPipeline), () => deps.pipelines.tagPipeline(arn, [{ key: PR_TAG_KEYS.headSha, value: pr.headSha }]));
  }
  return sourceActionNames;
}

/**
 * How runPullRequestPipeline learns whether the pull request pipeline exists.
 * `create-first` suits a first `opened`, when it is almost never there:
 * CreatePipeline answers PipelineNameInUseException when it is, which saves
 * a GetPipeline. `look-first` suits pushes and retries, when it almost
 * always is.
 */
export type PipelineLookup = "create-first" | "look-first";

/**
 * Makes sure the pull request pipeline exists and runs it pinned to the head
 * commit. A pipeline of that name that is not this pull request's is left alone.
 */
export async function runPullRequestPipeline(
  pr: PullRequestEvent,
  planned: PlannedPipeline,
  target: RepositoryTarget,
  deps: ApplyDeps,
  lookup: PipelineLookup = "look-first",
): Promise<PipelineRun | ForeignPipeline> {
  const { pipelines, config, logger } = deps;
  const { prPipeline, basePipeline } = planned;
  const at = (operation: string, pipeline = prPipeline) => contextFor(pr, operation, pipeline);

  let existing = lookup === "look-first" ? await step(at("GetPipeline"), () => pipelines.getPipeline(prPipeline)) : undefined;
  let created = false;
  let sourceActionNames: string[] = [];
  let cloned: Record<string, unknown> = {};
  if (existing === undefined) {
    const base = await step(at("GetPipeline", basePipeline), () => pipelines.getPipeline(basePipeline));
    if (base === undefined) throw new BasePipelineNotFoundError({ ...at("clone"), basePipeline });
    const clone = clonePipelineForPullRequest(base.declaration, pr, cloneOptions(config, target, planned));
    cloned = { basePipeline, removedStages: clone.removedStages, previewStacks: clone.previewStacks.map((stack) => stack.stackName) };
    created = (await step(at("CreatePipeline"), () => pipelines.createPipeline(clone.pipeline, clone.tags))) === "created";
    sourceActionNames = clone.sourceActionNames;
    if (!created) {
      // A redelivery or a race: run the pipeline that is there, as if it had been looked up.
      existing = await step(at("GetPipeline"), () => pipelines.getPipeline(prPipeline));
      if (existing === undefined) {
        throw new PullRequestPipelineError(at("CreatePipeline"), {
          cause: new Error("CreatePipeline answered that the name is in use, yet GetPipeline finds no such pipeline (deleted in between)"),
        });
      }
    }
  }
  if (existing !== undefined) {
    const foreign = await foreignPipelineReason(pr, planned, existing, deps);
    if (foreign !== undefined) return { prPipeline, reason: foreign };
    sourceActionNames = await prepareExistingPipeline(pr, prPipeline, existing, target, deps);
  }

  const executionId = await step(at("StartPipelineExecution"), () =>
    pipelines.startPinnedExecution({
      pipelineName: prPipeline,
      sourceActionNames,
      commitId: pr.headSha,
      clientRequestToken: clientRequestToken(pr.deliveryId, prPipeline),
    }),
  );

  // CreatePipeline starts an unpinned execution by itself. Abandon it, also
  // on a retry: the attempt that created the pipeline may have failed before.
  const executions = await step(at("ListPipelineExecutions"), () => pipelines.listExecutions(prPipeline));
  const automatic = executions.filter(
    (execution) => execution.triggerType === "CreatePipeline" && execution.status === "InProgress" && execution.executionId !== executionId,
  );
  const reason = `pipewright: replaced by execution ${executionId}, pinned to ${pr.headSha.slice(0, 12)} of pull request #${pr.number}`;
  for (const execution of automatic) {
    await step(at("StopPipelineExecution"), () => pipelines.abandonExecution(prPipeline, execution.executionId, reason));
  }
  if (created && automatic.length === 0) {
    logger.info("No automatic execution to abandon: it already ended or is not listed yet", { prPipeline });
  }
  // One line per pipeline: a failure before this is logged by the handler, with its operation.
  logger.info("Started a pinned execution", {
    prPipeline,
    executionId,
    headSha: pr.headSha,
    created,
    ...(created ? cloned : {}),
    abandoned: automatic.map((e) => e.executionId),
  });
  return { prPipeline, created, executionId, abandonedExecutionIds: automatic.map((execution) => execution.executionId) };
}

/** What collectArtifactKeys needs: the pipelines, the artifact bucket and a logger. */
export type ArtifactKeyDeps = Pick<ApplyDeps, "pipelines" | "logger"> & { readonly config: Pick<PrPipelinesConfig, "artifactBucket"> };

/**
 * Every artifact key in the artifact bucket that an execution of `prPipeline`
 * wrote (its action executions' output artifacts; never a prefix). Exported
 * for the reconciler, which removes idle pull request pipelines the same way.
 */
export async function collectArtifactKeys(pr: PullRequestIdentity, prPipeline: string, deps: ArtifactKeyDeps): Promise<string[]> {
  const { pipelines, config } = deps;
  const locations = await step(contextFor(pr, "ListActionExecutions", prPipeline), () => pipelines.listOutputArtifacts(prPipeline));
  const elsewhere = locations.filter((location) => location.bucket !== config.artifactBucket);
  if (elsewhere.length > 0) {
    deps.logger.warn("Some artifacts are outside the artifact bucket and are left in place", {
      prPipeline,
      buckets: [...new Set(elsewhere.map((location) => location.bucket))],
    });
  }
  return [...new Set(locations.filter((location) => location.bucket === config.artifactBucket).map((location) => location.key))];
}

/** Preview stacks of a pipeline already deleted (a retry): derived again from its main pipeline, best effort. */
async function previewStacksFromBase(
  pr: PullRequestEvent,
  planned: PlannedPipeline,
  target: RepositoryTarget,
  deps: ApplyDeps,
): Promise<PreviewStack[]> {
  const base = await step(contextFor(pr, "GetPipeline", planned.basePipeline), () => deps.pipelines.getPipeline(planned.basePipeline));
  if (base === undefined) return [];
  try {
    return clonePipelineForPullRequest(base.declaration, pr, cloneOptions(deps.config, target, planned)).previewStacks;
  } catch (error) {
    if (!(error instanceof PipelineCloneError)) throw error;
    deps.logger.warn("Cannot derive the preview stacks from the main pipeline", { basePipeline: planned.basePipeline, problem: error.message });
    return [];
  }
}

/**
 * Deletes the pull request pipelines, then hands their preview stacks to the
 * cleanup extension point, then deletes exactly the artifact versions their
 * executions wrote (never by prefix: `x-pr-1` and `x-pr-12` share the
 * 20-character artifact folder). The pipelines are handled side by side. The keys of all the pipelines are recorded in the
 * state item, in one write, before any pipeline is deleted, so a retry after
 * DeletePipeline still finds them and a newer change that took over finds
 * every pipeline still there.
 */
export async function deletePullRequestPipelines(
  pr: PullRequestEvent,
  plan: Pick<ActivePlan, "pipelines" | "repository">,
  claim: PrClaim,
  pendingArtifactKeys: readonly string[],
  deps: ApplyDeps,
): Promise<Extract<ApplyResult, { outcome: "deleted" | "superseded" }>> {
  const targets = await mapWithConcurrency(plan.pipelines, PIPELINE_CONCURRENCY, async (item) => {
    const { prPipeline } = item;
    const existing = await step(contextFor(pr, "GetPipeline", prPipeline), () => deps.pipelines.getPipeline(prPipeline));
    if (existing === undefined) return { item, existing: false, stacks: await previewStacksFromBase(pr, item, plan, deps), keys: [] };
    // Both only read, so the listing need not wait for the ownership check; a foreign pipeline's keys are dropped.
    const [foreign, keys] = await bothSettled(foreignPipelineReason(pr, item, existing, deps), collectArtifactKeys(pr, prPipeline, deps));
    if (foreign !== undefined) return { item, existing: false, foreign, stacks: [], keys: [] };
    return { item, existing: true, stacks: previewStacksOf(existing.declaration), keys };
  });
  // A pipeline without preview stacks (its service has preview: false) needs no cleanup, so no AssumeRole.
  const withPreviews = targets.filter((target) => target.foreign === undefined && target.stacks.length > 0);
  const foundKeys = new Set(targets.flatMap((target) => target.keys));
  if (foundKeys.size > MAX_RECORDED_ARTIFACT_KEYS) {
    deps.logger.warn("Too many artifact keys to record; a retry after this point relies on the bucket lifecycle", { keys: foundKeys.size });
  } else if (foundKeys.size > 0) {
    const recorded = await step(contextFor(pr, "record artifact keys"), () => deps.state.recordPendingArtifacts(claim, [...foundKeys]));
    if (!recorded) {
      const reason = "a newer change of this pull request took over; its pipelines are left to it";
      deps.logger.info("Stopping the close", { reason });
      return { outcome: "superseded", reason };
    }
  }
  const keys = new Set([...pendingArtifactKeys, ...foundKeys]);
  // Every pipeline goes before any preview stack, so no run of them deploys a stack again while it is deleted.
  const deleted = await mapWithConcurrency(targets, PIPELINE_CONCURRENCY, ({ item, foreign }) =>
    foreign === undefined
      ? step(contextFor(pr, "DeletePipeline", item.prPipeline), () => deps.pipelines.deletePipeline(item.prPipeline))
      : Promise.resolve("missing" as const),
  );
  const previewStacksDeleted = mapWithConcurrency(withPreviews, PIPELINE_CONCURRENCY, ({ item, stacks }) =>
    step(contextFor(pr, "delete preview stacks", item.prPipeline), () =>
      deps.previewStacks.deletePreviewStacks({
        repository: pr.repository,
        pullRequest: pr.number,
        deliveryId: pr.deliveryId,
        prPipeline: item.prPipeline,
        stacks,
      }),
    ),
  );
  const artifactsDeleted =
    keys.size === 0
      ? Promise.resolve(0)
      : step(contextFor(pr, `delete artifacts from ${deps.config.artifactBucket}`), () =>
          deps.artifacts.deleteAllVersions(deps.config.artifactBucket, [...keys]),
        );
  // Preview stacks and artifacts do not depend on each other.
  const [, deletedArtifactVersions] = await bothSettled(previewStacksDeleted, artifactsDeleted);
  const deletions: PipelineDeletion[] = targets.map(({ item, existing, stacks, foreign }, index) => ({
    prPipeline: item.prPipeline,
    deleted: existing && deleted[index] === "deleted",
    previewStacks: stacks.map((stack) => stack.stackName),
    ...(foreign === undefined ? {} : { leftAlone: foreign }),
  }));
  deps.logger.info("Deleted the pull request pipelines", { deletions, artifactKeys: keys.size, deletedArtifactVersions });
  return { outcome: "deleted", deletions, deletedArtifactVersions };
}
