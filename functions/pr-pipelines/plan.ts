import type { PullRequestEvent } from "../shared/events";
import type { RepositoryEntry } from "../shared/repositories";
import type { PrPipelinesConfig } from "./config";
import type { ForkApprovalCheck } from "./gateways";
import { prPipelineName } from "./names";

/** A main pipeline and the pull request pipeline cloned from it. */
export interface PlannedPipeline {
  readonly basePipeline: string;
  readonly prPipeline: string;
  /** The service's `preview` in the catalog: whether its pull request pipeline deploys a preview stack. */
  readonly deployPreview: boolean;
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
 *
 * The event's repository picks its entry in the repository catalog: its
 * service pipelines are cloned, its fork label approves. An event of a
 * repository that is not in the catalog is skipped.
 */
export type Plan =
  | {
      readonly kind: "skip";
      readonly reason: string;
      /** A fork's run event without the label: its head waits for a maintainer to add this label. */
      readonly awaitingApproval?: { readonly forkLabel: string };
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
      /** The repository as the catalog spells it: its source actions are pointed at the pull request. */
      readonly repository: string;
      /** The label that approves a fork's head in this repository. */
      readonly forkLabel: string;
      /** Only on pull requests from forks. */
      readonly forkApproval?: ForkApprovalCheck;
    }
  | {
      readonly kind: "delete";
      readonly reason: string;
      readonly desired: "closed";
      readonly mayReopen: true;
      readonly pipelines: readonly PlannedPipeline[];
      readonly repository: string;
      readonly forkLabel: string;
    };

export type PlanConfig = Pick<PrPipelinesConfig, "repositories">;

const OPENING_ACTIONS = new Set(["opened", "reopened", "ready_for_review"]);

/** The pull request pipelines of `pr` in its repository, with what every active plan carries about the repository. */
function targetsFor(pr: PullRequestEvent, entry: RepositoryEntry) {
  return {
    pipelines: entry.services.map(({ pipeline, preview }) => ({
      basePipeline: pipeline,
      prPipeline: prPipelineName(pipeline, pr.number),
      deployPreview: preview,
    })),
    repository: entry.repository,
    forkLabel: entry.forkLabel,
  };
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
  const entry = config.repositories.get(pr.repository);
  if (entry === undefined) {
    return skip(
      `repository ${pr.repository} is not configured; add it to repositories[] in the configuration for its pull requests to get pipelines`,
    );
  }
  const { forkLabel } = entry;
  const target = `#${pr.number} (${pr.action})`;

  if (pr.action === "closed") {
    return {
      kind: "delete",
      reason: `pull request ${target} was ${pr.merged ? "merged" : "closed without merging"}`,
      desired: "closed",
      mayReopen: true,
      ...targetsFor(pr, entry),
    };
  }

  if (OPENING_ACTIONS.has(pr.action) || pr.action === "synchronize") {
    const blocker = runBlocker(pr);
    if (blocker !== undefined) return skip(`${target}: ${blocker}`);
    if (pr.fromFork && !pr.labels.includes(forkLabel)) {
      return {
        kind: "skip",
        reason:
          `${target}: the pull request comes from fork ${pr.headRepository} and has no "${forkLabel}" label; ` +
          `a maintainer adds the label after reviewing head ${pr.headSha.slice(0, 7)} to let exactly that commit run`,
        awaitingApproval: { forkLabel },
      };
    }
    const synchronize = pr.action === "synchronize";
    return {
      kind: synchronize ? "start" : "create",
      reason: synchronize ? `new commits on ${target}` : `pull request ${target}`,
      desired: "open",
      mayReopen: pr.action !== "ready_for_review" && !synchronize,
      ...targetsFor(pr, entry),
      ...(pr.fromFork ? { forkApproval: "require" as const } : {}),
    };
  }

  if (pr.action === "labeled") {
    if (!pr.fromFork) return skip(`${target}: labels only matter on pull requests from forks`);
    if (pr.label !== forkLabel) return skip(`${target}: label "${pr.label ?? ""}" is not "${forkLabel}"`);
    const blocker = runBlocker(pr);
    if (blocker !== undefined) return skip(`${target}: ${blocker}`);
    return {
      kind: "create",
      reason: `fork pull request ${target} was labeled "${forkLabel}", which approves head ${pr.headSha.slice(0, 7)}`,
      desired: "open",
      mayReopen: false,
      ...targetsFor(pr, entry),
      forkApproval: "record",
    };
  }

  return skip(`${target}: the action does not change pull request pipelines`);
}
