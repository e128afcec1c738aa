import type { PullRequestEvent } from "../shared/events";
import type { PrPipelinesConfig } from "./config";
import type { ForkApprovalCheck } from "./gateways";
import { prPipelineName } from "./names";

/** A main pipeline and the pull request pipeline cloned from it. */
export interface PlannedPipeline {
  readonly basePipeline: string;
  readonly prPipeline: string;
}

/**
 * What to do for one pull_request event.
 *
 * - `create`: make sure each pull request pipeline exists (clone it if not)
 *   and run it pinned to the head commit.
 * - `start`: run each pull request pipeline pinned to the new head commit
 *   (a pipeline that is missing, e.g. because its `opened` event was lost,
 *   is created first).
 * - `delete`: delete the pull request pipelines, their artifacts and their
 *   preview stacks.
 * - `skip`: nothing to do; `reason` says why.
 *
 * A fork's pull request runs only at the head commit a maintainer approved
 * by adding the fork label: the `labeled` event records its head as approved
 * (`forkApproval: "record"`), and the fork's later run events claim only when
 * their head is that commit (`forkApproval: "require"`, checked by the state
 * store's conditional write).
 */
export type Plan =
  | {
      readonly kind: "skip";
      readonly reason: string;
      /** A fork's run event without the label: its head waits for a maintainer. */
      readonly awaitingApproval?: true;
    }
  | {
      readonly kind: "create" | "start";
      readonly reason: string;
      readonly desired: "open";
      /**
       * Whether this event may turn a closed pull request back into an open
       * one. Only `opened`/`reopened` may: a `labeled` event on a closed pull
       * request (its newer updatedAt would win the ordering) must not bring
       * its pipelines back.
       */
      readonly mayReopen: boolean;
      readonly pipelines: readonly PlannedPipeline[];
      /** Only on pull requests from forks. */
      readonly forkApproval?: ForkApprovalCheck;
    }
  | {
      readonly kind: "delete";
      readonly reason: string;
      readonly desired: "closed";
      readonly mayReopen: true;
      readonly pipelines: readonly PlannedPipeline[];
    };

export type PlanConfig = Pick<PrPipelinesConfig, "servicePipelines" | "forkLabel" | "repository">;

const OPENING_ACTIONS = new Set(["opened", "reopened", "ready_for_review"]);

function pipelinesFor(pr: PullRequestEvent, config: PlanConfig): PlannedPipeline[] {
  return config.servicePipelines.map((basePipeline) => ({ basePipeline, prPipeline: prPipelineName(basePipeline, pr.number) }));
}

function skip(reason: string): Plan {
  return { kind: "skip", reason };
}

/** Why a pull request may not run now, or undefined when it may. */
function runBlocker(pr: PullRequestEvent): string | undefined {
  if (pr.merged) return "the pull request is merged";
  if (pr.draft) return "the pull request is a draft; its pipelines start when it is marked ready for review";
  return undefined;
}

/** Decides what an event means for the pull request pipelines. Pure. */
export function planPullRequestEvent(pr: PullRequestEvent, config: PlanConfig): Plan {
  if (pr.repository.toLowerCase() !== config.repository.toLowerCase()) {
    return skip(`the event is for repository ${pr.repository}, this installation serves ${config.repository}`);
  }
  const target = `#${pr.number} (${pr.action})`;

  if (pr.action === "closed") {
    return {
      kind: "delete",
      reason: `pull request ${target} was ${pr.merged ? "merged" : "closed without merging"}`,
      desired: "closed",
      mayReopen: true,
      pipelines: pipelinesFor(pr, config),
    };
  }

  if (OPENING_ACTIONS.has(pr.action) || pr.action === "synchronize") {
    const blocker = runBlocker(pr);
    if (blocker !== undefined) return skip(`${target}: ${blocker}`);
    if (pr.fromFork && !pr.labels.includes(config.forkLabel)) {
      return {
        kind: "skip",
        reason:
          `${target}: the pull request comes from fork ${pr.headRepository} and has no "${config.forkLabel}" label; ` +
          `a maintainer adds the label after reviewing head ${pr.headSha.slice(0, 7)} to let exactly that commit run`,
        awaitingApproval: true,
      };
    }
    const synchronize = pr.action === "synchronize";
    return {
      kind: synchronize ? "start" : "create",
      reason: synchronize ? `new commits on ${target}` : `pull request ${target}`,
      desired: "open",
      mayReopen: pr.action !== "ready_for_review" && !synchronize,
      pipelines: pipelinesFor(pr, config),
      ...(pr.fromFork ? { forkApproval: "require" as const } : {}),
    };
  }

  if (pr.action === "labeled") {
    if (!pr.fromFork) return skip(`${target}: labels only matter on pull requests from forks`);
    if (pr.label !== config.forkLabel) return skip(`${target}: label "${pr.label ?? ""}" is not "${config.forkLabel}"`);
    const blocker = runBlocker(pr);
    if (blocker !== undefined) return skip(`${target}: ${blocker}`);
    return {
      kind: "create",
      reason: `fork pull request ${target} was labeled "${config.forkLabel}", which approves head ${pr.headSha.slice(0, 7)}`,
      desired: "open",
      mayReopen: false,
      pipelines: pipelinesFor(pr, config),
      forkApproval: "record",
    };
  }

  return skip(`${target}: the action does not change pull request pipelines`);
}
