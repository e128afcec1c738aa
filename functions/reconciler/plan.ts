import { decideForget, inUse, ledgerKey, parseLedgerKey, queueOf, type Ledger } from "../pr-pipelines/capacity";
import { planPullRequestEvent } from "../pr-pipelines/plan";
import { prPipelineName } from "../pr-pipelines/names";
import type { PullRequestEvent } from "../shared/events";
import type { RepositoryEntry } from "../shared/repositories";
import type { ReconcilerConfig } from "./config";
import type { PrPipeline } from "./discover";
import type { GitHubPullRequest } from "./github";

/**
 * What the reconciler does, decided from the pull request pipelines, what
 * GitHub says about their pull requests, their last activity and the time.
 * Pure: no AWS, no GitHub, no clock.
 *
 * - A closed or merged pull request that still has pipelines: a `closed`
 *   event (GitHub's `updated_at`) on the bus; pr-pipelines deletes them.
 * - A pull request GitHub no longer knows (404, while the repository is
 *   visible): a `closed` event dated now.
 * - An open pull request whose pipelines are all there: nothing, except
 *   idle pipelines, which are removed directly (pr-pipelines' state is left
 *   as is, so the next push recreates them). Idle: no execution started
 *   within `idleDays`, and the pull request itself not updated within
 *   `idleDays` either.
 * - With `createMissing`, an open pull request lacking pipelines: a
 *   `reopened` event, if pr-pipelines' own planner would run it (not a draft,
 *   not a fork without the label) and it was updated within `idleDays`.
 *   The two rules agree: a pull request whose pipelines were removed as idle
 *   is not updated within `idleDays`, so it is not recreated until someone
 *   pushes, comments or otherwise updates it.
 * - GitHub could not be asked about a pull request: nothing ("unknown").
 * - GitHub cannot be asked at all (no token): only idle removals.
 * - Pull requests updated in the last few minutes are left to the webhook's
 *   own event, which is probably being handled.
 * - Pull requests waiting for capacity (the cap's ledger, capacity.ts) get
 *   the room that is free, oldest first: a `reopened` event each, while
 *   their pipelines fit; the first that does not fit stops the hand-out, so
 *   none overtakes an older one. A waiting pull request that is no longer
 *   open, or that pr-pipelines would not run now, is forgotten (its next
 *   event queues it again). createMissing leaves waiting pull requests to
 *   this rule.
 *
 * Each repository of the catalog is planned on its own, with its own
 * service pipelines and GitHub's answers about it.
 */

/** What GitHub says about one pull request that has pipelines. */
export type PullRequestStatus =
  | { readonly kind: "found"; readonly pullRequest: GitHubPullRequest }
  /** GitHub answers 404 for the pull request but shows the repository. */
  | { readonly kind: "deleted" }
  | { readonly kind: "unknown"; readonly reason: string };

export type GitHubView =
  | { readonly asked: false; readonly reason: string }
  | {
      readonly asked: true;
      /** By pull request number: every pull request that has pipelines. */
      readonly statuses: ReadonlyMap<number, PullRequestStatus>;
      /** Every open pull request; absent when not listed (createMissing off, or listing failed). */
      readonly openPullRequests?: readonly GitHubPullRequest[];
    };

export type PlanSettings = Pick<ReconcilerConfig, "repositories" | "idleDays" | "createMissing">;

/** The cap's ledger as read this run, and the cap. */
export interface CapacityView {
  readonly ledger: Ledger;
  readonly limit: number;
}

export interface PlanInput {
  readonly pipelines: readonly PrPipeline[];
  /** GitHub's answers by repository (as the catalog spells it, lower case); a repository not in the map was not asked. */
  readonly github: ReadonlyMap<string, GitHubView>;
  /** Start of the newest execution (or creation, without any) by pipeline name; absent: unknown, never idle. */
  readonly activity: ReadonlyMap<string, Date>;
  readonly now: Date;
  readonly settings: PlanSettings;
  /**
   * Pull requests with a pipeline named like theirs whose tags could not be
   * read, by ledgerKey: whether it is missing is unknown, so nothing is created for them.
   */
  readonly unverified?: ReadonlySet<string>;
  /** Absent when the ledger could not be read: nobody is picked up or forgotten. */
  readonly capacity?: CapacityView;
}

interface About {
  /** owner/name, as the catalog spells it. */
  readonly repository: string;
  readonly number: number;
  readonly reason: string;
}

export type Decision =
  | (About & { readonly kind: "close"; readonly pipelines: readonly string[]; readonly event: PullRequestEvent })
  | (About & { readonly kind: "create"; readonly missing: readonly string[]; readonly event: PullRequestEvent })
  | (About & { readonly kind: "remove-idle"; readonly pipeline: string; readonly basePipeline: string; readonly lastActivity: string })
  | (About & { readonly kind: "unknown"; readonly pipelines: readonly string[] })
  | (About & { readonly kind: "keep"; readonly pipelines: readonly string[] })
  /** A waiting pull request gets the room it needs: its event goes on the bus. */
  | (About & { readonly kind: "pick-up"; readonly event: PullRequestEvent; readonly waitingSince: number; readonly pipelines: number })
  /** A waiting pull request leaves the queue. */
  | (About & { readonly kind: "forget"; readonly key: string; readonly waitingSince: number });

export type ActionDecision = Extract<Decision, { kind: "close" | "create" | "remove-idle" | "pick-up" | "forget" }>;

/** The ledger change of a forget decision. */
export const forgetChange = (decision: Extract<Decision, { kind: "forget" }>) => (ledger: Ledger) =>
  decideForget(ledger, { key: decision.key, since: decision.waitingSince });

export const DAY_MS = 24 * 60 * 60 * 1000;
/** Pull requests updated this recently are left to the webhook's event. */
export const GRACE_MS = 10 * 60 * 1000;
/**
 * Idle removals per run; the longest idle go first, the rest wait for the
 * next run (every 15 minutes by default). Each removal is dozens of calls,
 * and the run shares its 300 s with up to 120 s of GitHub.
 */
export const MAX_IDLE_REMOVALS_PER_RUN = 10;
/** headSha of the closed event of a deleted pull request whose pipelines carry no head-sha tag. */
export const UNKNOWN_SHA = "0".repeat(40);

/** The delivery id of a repair event: the same for the same pull request and update, so runs repeat it exactly. */
export function repairDeliveryId(repository: string, number: number, updatedAt: string): string {
  return `reconciler-${repository}-${number}-${Math.floor(Date.parse(updatedAt) / 1000)}`;
}

/** The normalized event pr-pipelines would have received from the webhook. */
export function repairEvent(pullRequest: GitHubPullRequest, action: "closed" | "reopened", repository: string): PullRequestEvent {
  return {
    deliveryId: repairDeliveryId(repository, pullRequest.number, pullRequest.updatedAt),
    repository,
    number: pullRequest.number,
    action,
    headRef: pullRequest.headRef,
    headSha: pullRequest.headSha,
    headRepository: pullRequest.headRepository,
    baseRef: pullRequest.baseRef,
    updatedAt: pullRequest.updatedAt,
    fromFork: pullRequest.fromFork,
    draft: pullRequest.draft,
    merged: pullRequest.merged,
    labels: [...pullRequest.labels],
  };
}

/**
 * The closed event of a pull request GitHub no longer has. There is no
 * `updated_at` to take, so it is dated now (to the second): newer than
 * anything pr-pipelines stored, so the close wins.
 */
export function deletedPullRequestEvent(repository: string, number: number, pipelines: readonly PrPipeline[], now: Date): PullRequestEvent {
  const updatedAt = new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString();
  return {
    deliveryId: repairDeliveryId(repository, number, updatedAt),
    repository,
    number,
    action: "closed",
    headRef: "unknown",
    headSha: pipelines.find((pipeline) => pipeline.headSha !== undefined)?.headSha ?? UNKNOWN_SHA,
    headRepository: repository,
    baseRef: "unknown",
    updatedAt,
    fromFork: false,
    draft: false,
    merged: false,
    labels: [],
  };
}

function groupByNumber(pipelines: readonly PrPipeline[]): Map<number, PrPipeline[]> {
  const groups = new Map<number, PrPipeline[]>();
  for (const pipeline of pipelines) groups.set(pipeline.number, [...(groups.get(pipeline.number) ?? []), pipeline]);
  return groups;
}

const names = (pipelines: readonly PrPipeline[]) => pipelines.map((pipeline) => pipeline.name);

const NOT_ASKED: GitHubView = { asked: false, reason: "GitHub was not asked about this repository" };

/** Decides what to do. Decisions come ordered by repository, then pull request number. */
export function planReconciliation(input: PlanInput): Decision[] {
  const waiting = new Set(input.capacity?.ledger.waiting.keys() ?? []);
  const decisions = input.settings.repositories.repositories.flatMap((entry) =>
    planRepository(entry, input, input.github.get(entry.repository.toLowerCase()) ?? NOT_ASKED, waiting),
  );
  if (input.capacity !== undefined) decisions.push(...planPickUps(input, input.capacity));
  return deferExcessIdleRemovals(decisions).sort((a, b) =>
    a.repository < b.repository ? -1 : a.repository > b.repository ? 1 : a.number - b.number,
  );
}

/** One repository's decisions, from its pipelines and GitHub's answers about it. */
function planRepository(entry: RepositoryEntry, input: PlanInput, github: GitHubView, waiting: ReadonlySet<string>): Decision[] {
  const { settings, activity, now } = input;
  const { repository } = entry;
  const servicePipelines = entry.services.map((service) => service.pipeline);
  const cutoff = now.getTime() - settings.idleDays * DAY_MS;
  const recent = (pullRequest: GitHubPullRequest) => Date.parse(pullRequest.updatedAt) > now.getTime() - GRACE_MS;
  const groups = groupByNumber(input.pipelines.filter((pipeline) => pipeline.repository.toLowerCase() === repository.toLowerCase()));
  const decisions: Decision[] = [];

  const idleOf = (pipelines: readonly PrPipeline[]) =>
    settings.idleDays === 0
      ? []
      : pipelines.filter((pipeline) => {
          const at = activity.get(pipeline.name);
          return at !== undefined && at.getTime() < cutoff;
        });

  const removeIdle = (pipelines: readonly PrPipeline[], why: string) => {
    for (const pipeline of pipelines) {
      const lastActivity = (activity.get(pipeline.name) as Date).toISOString();
      decisions.push({
        kind: "remove-idle",
        repository,
        number: pipeline.number,
        pipeline: pipeline.name,
        basePipeline: pipeline.basePipeline,
        lastActivity,
        reason: `no execution since ${lastActivity}, more than ${settings.idleDays} days ago${why}`,
      });
    }
  };

  /** A reopened event for an open pull request lacking `missing`, or why not. */
  const considerCreate = (pullRequest: GitHubPullRequest, missing: readonly string[], pipelines: readonly PrPipeline[]): void => {
    if (waiting.has(ledgerKey(repository, pullRequest.number))) {
      if (pipelines.length > 0) {
        decisions.push({ kind: "keep", repository, number: pullRequest.number, pipelines: names(pipelines), reason: "waits for capacity" });
      }
      return;
    }
    if (input.unverified?.has(ledgerKey(repository, pullRequest.number))) {
      decisions.push({
        kind: "unknown",
        repository,
        number: pullRequest.number,
        pipelines: names(pipelines),
        reason: "open, but the tags of a pipeline named like its own could not be read, so whether pipelines are missing is unknown",
      });
      return;
    }
    const event = repairEvent(pullRequest, "reopened", repository);
    const wouldRun = planPullRequestEvent(event, settings);
    let blocker: string | undefined;
    if (wouldRun.kind === "skip") {
      blocker = `pr-pipelines would not run it: ${wouldRun.reason}`;
    } else if (settings.idleDays > 0 && Date.parse(pullRequest.updatedAt) < cutoff) {
      blocker = `not updated for more than ${settings.idleDays} days, so its pipelines would be idle; a push brings them back`;
    } else if (recent(pullRequest)) {
      blocker = "updated in the last minutes: the webhook's event is probably being handled";
    }
    if (blocker !== undefined) {
      decisions.push({
        kind: "keep",
        repository,
        number: pullRequest.number,
        pipelines: names(pipelines),
        reason: `open, pipelines missing, but ${blocker}`,
      });
      return;
    }
    const all = missing.length === servicePipelines.length;
    decisions.push({
      kind: "create",
      repository,
      number: pullRequest.number,
      missing,
      event,
      reason: `open, but ${all ? "has no pipelines" : `lacks ${missing.join(", ")}`}`,
    });
  };

  for (const [number, pipelines] of groups) {
    if (!github.asked) {
      const idle = idleOf(pipelines);
      removeIdle(idle, `; GitHub was not asked (${github.reason})`);
      const rest = pipelines.filter((pipeline) => !idle.includes(pipeline));
      if (rest.length > 0)
        decisions.push({ kind: "keep", repository, number, pipelines: names(rest), reason: `GitHub was not asked (${github.reason})` });
      continue;
    }
    const status: PullRequestStatus = github.statuses.get(number) ?? { kind: "unknown", reason: "GitHub was not asked about it" };
    if (status.kind === "unknown") {
      decisions.push({ kind: "unknown", repository, number, pipelines: names(pipelines), reason: status.reason });
      continue;
    }
    if (status.kind === "deleted") {
      decisions.push({
        kind: "close",
        repository,
        number,
        pipelines: names(pipelines),
        event: deletedPullRequestEvent(repository, number, pipelines, now),
        reason: "GitHub no longer has the pull request (404)",
      });
      continue;
    }
    const pullRequest = status.pullRequest;
    if (pullRequest.state === "closed") {
      if (recent(pullRequest)) {
        decisions.push({
          kind: "keep",
          repository,
          number,
          pipelines: names(pipelines),
          reason: "closed in the last minutes: the webhook's closed event is probably being handled",
        });
      } else {
        decisions.push({
          kind: "close",
          repository,
          number,
          pipelines: names(pipelines),
          event: repairEvent(pullRequest, "closed", repository),
          reason: `${pullRequest.merged ? "merged" : "closed"} on GitHub (updated ${pullRequest.updatedAt}) but its pipelines are still there`,
        });
      }
      continue;
    }
    if (recent(pullRequest)) {
      decisions.push({ kind: "keep", repository, number, pipelines: names(pipelines), reason: "open and updated in the last minutes" });
      continue;
    }
    // An open pull request updated within idleDays is not idle (and would be recreated by createMissing).
    const idle = Date.parse(pullRequest.updatedAt) < cutoff ? idleOf(pipelines) : [];
    removeIdle(idle, `; the pull request is open but not updated since ${pullRequest.updatedAt}, so its next push recreates them`);
    const rest = pipelines.filter((pipeline) => !idle.includes(pipeline));
    const missing = settings.createMissing
      ? servicePipelines.filter((base) => !pipelines.some((pipeline) => pipeline.name === prPipelineName(base, number)))
      : [];
    if (missing.length > 0 && idle.length === 0) considerCreate(pullRequest, missing, rest);
    else if (rest.length > 0) decisions.push({ kind: "keep", repository, number, pipelines: names(rest), reason: "open and active" });
  }

  if (github.asked && settings.createMissing && github.openPullRequests !== undefined) {
    for (const pullRequest of github.openPullRequests) {
      if (!groups.has(pullRequest.number)) considerCreate(pullRequest, servicePipelines, []);
    }
  }
  return decisions;
}

/** The waiting pull requests, oldest first: the room that is free, then the queue tidied. */
function planPickUps(input: PlanInput, capacity: CapacityView): Decision[] {
  const decisions: Decision[] = [];
  let free = capacity.limit - inUse(capacity.ledger);
  let blockedBy: string | undefined;
  for (const { key, since } of queueOf(capacity.ledger)) {
    const forget = (repository: string, number: number, reason: string) =>
      decisions.push({ kind: "forget", repository, number, key, waitingSince: since, reason });
    const parsed = parseLedgerKey(key);
    if (parsed === undefined) {
      forget(key, 0, "its key in the capacity ledger names no pull request");
      continue;
    }
    const entry = input.settings.repositories.get(parsed.repository);
    if (entry === undefined) {
      forget(parsed.repository, parsed.number, `repository ${parsed.repository} is no longer configured`);
      continue;
    }
    const { repository } = entry;
    const { number } = parsed;
    const view = input.github.get(repository.toLowerCase());
    if (view === undefined || !view.asked || view.openPullRequests === undefined) {
      decisions.push({ kind: "keep", repository, number, pipelines: [], reason: "waits for capacity; whether it is still open is unknown this run" });
      continue;
    }
    const pullRequest = view.openPullRequests.find((open) => open.number === number);
    if (pullRequest === undefined) {
      forget(repository, number, "waited for capacity, but is no longer open");
      continue;
    }
    const event = repairEvent(pullRequest, "reopened", repository);
    const wouldRun = planPullRequestEvent(event, input.settings);
    if (wouldRun.kind === "skip") {
      forget(repository, number, `waited for capacity, but pr-pipelines would not run it now (${wouldRun.reason}); its next event queues it again`);
      continue;
    }
    const needed = wouldRun.pipelines.length;
    if (blockedBy === undefined && needed > free) blockedBy = `#${number} of ${repository}`;
    if (blockedBy !== undefined) {
      decisions.push({
        kind: "keep",
        repository,
        number,
        pipelines: [],
        reason: `waits for capacity: ${Math.max(free, 0)} of ${capacity.limit} pipelines free, ${blockedBy} (oldest first) needs more`,
      });
      continue;
    }
    free -= needed;
    decisions.push({
      kind: "pick-up",
      repository,
      number,
      event,
      waitingSince: since,
      pipelines: needed,
      reason: `waited for capacity since ${new Date(since).toISOString()}; its ${needed} pipeline(s) fit now`,
    });
  }
  return decisions;
}

/** Keeps at most MAX_IDLE_REMOVALS_PER_RUN idle removals, the longest idle first; the rest become "keep". */
function deferExcessIdleRemovals(decisions: Decision[]): Decision[] {
  const removals = decisions
    .filter((decision): decision is Extract<Decision, { kind: "remove-idle" }> => decision.kind === "remove-idle")
    .sort((a, b) => a.lastActivity.localeCompare(b.lastActivity));
  const deferred = new Set(removals.slice(MAX_IDLE_REMOVALS_PER_RUN));
  if (deferred.size === 0) return decisions;
  return decisions.map((decision) =>
    decision.kind === "remove-idle" && deferred.has(decision)
      ? {
          kind: "keep",
          repository: decision.repository,
          number: decision.number,
          pipelines: [decision.pipeline],
          reason: `idle, but at most ${MAX_IDLE_REMOVALS_PER_RUN} idle pipelines are removed a run; the next run removes it`,
        }
      : decision,
  );
}

const ACTIONS: ReadonlySet<Decision["kind"]> = new Set(["close", "create", "remove-idle", "pick-up", "forget"]);

export function isAction(decision: Decision): decision is ActionDecision {
  return ACTIONS.has(decision.kind);
}
