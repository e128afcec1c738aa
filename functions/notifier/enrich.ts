import type { CodePipelineEvent } from "../shared/codepipeline-events";
import type { RepositoryCatalog } from "../shared/repositories";
import { describeError } from "./errors";
import {
  type ActionExecutionFacts,
  type CommitFacts,
  commitOf,
  type ExecutionFacts,
  failedActions,
  type FailedActionFacts,
  hadRetriedFailure,
  type PipelineFacts,
  shortSha,
} from "./facts";
import { identifyPipeline, needsTags, type PipelineIdentity } from "./identity";
import { type ConsoleLocation, partitionOfArn, pipelineArn } from "../shared/links";
import { type EventPlan, needsRecoveryCheck, previousOutcome, threadStepNeedsActions } from "./routing";

/**
 * What the notifier learns about an event's execution from CodePipeline, best
 * effort: a read that fails is logged and named in `missing`, so the message
 * still goes out and says what it lacks. No SDK here: reads go through
 * PipelineFacts.
 */

export interface Enrichment {
  location: ConsoleLocation;
  identity: PipelineIdentity;
  execution?: ExecutionFacts;
  actions: ActionExecutionFacts[];
  commit?: CommitFacts;
  failures: FailedActionFacts[];
  /** For a main pipeline's success: whether it follows a failure; undefined if not asked or not known. */
  recovered?: boolean;
  recoveredFrom?: string;
  missing: string[];
}

export interface EnrichmentLogger {
  warn(message: string, ...attributes: unknown[]): void;
}

export async function enrich(
  event: CodePipelineEvent,
  plan: Extract<EventPlan, { kind: "act" }>,
  deps: { facts: PipelineFacts; catalog: RepositoryCatalog; logger: EnrichmentLogger; context: Record<string, unknown> },
): Promise<Enrichment> {
  const { facts, catalog, logger, context } = deps;
  const { pipeline } = event.detail;
  const executionId = event.detail["execution-id"];
  const partition = partitionOfArn(event.resources.find((arn) => arn.startsWith("arn:"))) ?? "aws";
  const location: ConsoleLocation = { partition, region: event.region };
  const missing: string[] = [];
  const read = async <T>(what: string, call: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await call();
    } catch (error) {
      missing.push(`${what}: ${describeError(error)}`);
      logger.warn(`Could not read ${what}`, { ...context, error: error as Error });
      return undefined;
    }
  };

  // The action executions carry the commit message, the failed actions and the approval;
  // a pending commit status alone needs none of them.
  const wantsActions = plan.notification !== undefined || plan.commitStatus?.state === "failure" || threadStepNeedsActions(plan.thread);
  const [tags, execution, actions] = await Promise.all([
    needsTags(pipeline, catalog)
      ? read("the pipeline's tags (ListTagsForResource)", () =>
          facts.tags(pipelineArn(event.resources, partition, event.region, event.account, pipeline)),
        )
      : Promise.resolve(undefined),
    read("the execution (GetPipelineExecution)", () => facts.execution(pipeline, executionId)),
    wantsActions
      ? read("the action executions (ListActionExecutions)", () => facts.actionExecutions(pipeline, executionId))
      : Promise.resolve(undefined),
  ]);
  const identity = identifyPipeline(pipeline, catalog, tags);
  const actionList = actions ?? [];
  const commit =
    (execution && commitOf(execution.revisions, actionList)) ??
    (identity.headShaTag ? { sha: identity.headShaTag, shortSha: shortSha(identity.headShaTag), from: "pull-request-tag" as const } : undefined);
  const enrichment: Enrichment = {
    location,
    identity,
    execution,
    actions: actionList,
    commit,
    failures: event.detail.state === "FAILED" ? failedActions(actionList) : [],
    missing,
  };

  if (needsRecoveryCheck(plan.notification, identity.isMain)) {
    if (actions !== undefined && hadRetriedFailure(actions)) {
      enrichment.recovered = true;
      enrichment.recoveredFrom = "a failed attempt earlier in this execution, retried";
    } else {
      const recent = await read("the previous executions (ListPipelineExecutions)", () => facts.recentExecutions(pipeline));
      const previous = recent ? previousOutcome(recent, executionId) : undefined;
      if (previous?.known) {
        enrichment.recovered = previous.failed;
        if (previous.failed) enrichment.recoveredFrom = `the failed execution ${previous.executionId}`;
      } else if (previous) {
        logger.warn(`Cannot tell whether this success is a recovery: ${previous.reason}`, context);
      }
    }
  }
  return enrichment;
}
