import { planPullRequestEvent } from "../../../functions/pr-pipelines/plan";
import { pullRequestEventSchema } from "../../../functions/shared/events";
import { ledgerKey, type Ledger } from "../../../functions/pr-pipelines/capacity";
import {
  forgetChange,
  GRACE_MS,
  MAX_IDLE_REMOVALS_PER_RUN,
  planReconciliation,
  repairDeliveryId,
  UNKNOWN_SHA,
  type Decision,
  type GitHubView,
  type PlanInput,
  type PullRequestStatus,
} from "../../../functions/reconciler/plan";
import type { PrPipeline } from "../../../functions/reconciler/discover";
import type { GitHubPullRequest } from "../../../functions/reconciler/github";
import { OTHER_REPOSITORY } from "../pr-pipelines/support/fixtures";
import { BASES, config, daysAgo, FORK_LABEL, githubPull, HEAD_SHA, iso, NOW, prPipeline, REPOSITORY } from "./support/fixtures";

const [ORDERS, PAYMENTS] = BASES;
const both = (number: number, extra: Partial<PrPipeline> = {}) => [prPipeline(ORDERS, number, extra), prPipeline(PAYMENTS, number, extra)];

function asked(statuses: Record<number, PullRequestStatus>, openPullRequests?: GitHubPullRequest[]): GitHubView {
  return {
    asked: true,
    statuses: new Map(Object.entries(statuses).map(([number, status]) => [Number(number), status])),
    ...(openPullRequests === undefined ? {} : { openPullRequests }),
  };
}

const found = (pullRequest: GitHubPullRequest): PullRequestStatus => ({ kind: "found", pullRequest });

/** GitHub's answers about the shop; the catalog's other repository (the ledger) is not asked unless `others` says. */
type ShopInput = Omit<Partial<PlanInput>, "github"> & Pick<PlanInput, "pipelines"> & { github: GitHubView; others?: Record<string, GitHubView> };

function plan(overrides: ShopInput): Decision[] {
  const { github, others = {}, ...rest } = overrides;
  const views = new Map([[REPOSITORY, github], ...Object.entries(others)]);
  return planReconciliation({ activity: new Map(), now: NOW, settings: config, ...rest, github: views });
}

/** Last activity of every pipeline given: `days` ago. */
const activeSince = (pipelines: readonly PrPipeline[], days: number) => new Map(pipelines.map((pipeline) => [pipeline.name, daysAgo(days)]));

const kinds = (decisions: Decision[]) => decisions.map((decision) => `${decision.kind} #${decision.number}`);

describe("planReconciliation", () => {
  it("asks pr-pipelines to close a closed pull request that still has pipelines, with GitHub's updated_at", () => {
    const updatedAt = daysAgo(2);
    const decisions = plan({ pipelines: both(7), github: asked({ 7: found(githubPull(7, { state: "closed", updatedAt })) }) });
    expect(kinds(decisions)).toEqual(["close #7"]);
    const [close] = decisions;
    if (close?.kind !== "close") throw new Error("expected a close");
    expect(close.pipelines).toEqual(["pipewright-orders-pr-7", "pipewright-payments-pr-7"]);
    expect(close.event).toEqual({
      deliveryId: `reconciler-${REPOSITORY}-7-${updatedAt.getTime() / 1000}`,
      repository: REPOSITORY,
      number: 7,
      action: "closed",
      headRef: "feature/change-7",
      headSha: HEAD_SHA,
      headRepository: REPOSITORY,
      baseRef: "main",
      updatedAt: iso(updatedAt),
      fromFork: false,
      draft: false,
      merged: false,
      labels: [],
    });
    // The event is what the webhook would have sent: it passes the bus contract and pr-pipelines deletes.
    expect(pullRequestEventSchema.safeParse(close.event).success).toBe(true);
    expect(planPullRequestEvent(close.event, config)).toMatchObject({
      kind: "delete",
      pipelines: [{ prPipeline: "pipewright-orders-pr-7" }, { prPipeline: "pipewright-payments-pr-7" }],
    });
  });

  it("asks to close a merged pull request with merged set", () => {
    const decisions = plan({ pipelines: both(8), github: asked({ 8: found(githubPull(8, { state: "closed", merged: true })) }) });
    expect(kinds(decisions)).toEqual(["close #8"]);
    expect(decisions[0]).toMatchObject({ event: { action: "closed", merged: true }, reason: expect.stringMatching(/^merged/) });
  });

  it("closes a pull request GitHub no longer has (404) with an event dated now, the head-sha tag and a valid contract", () => {
    const decisions = plan({ pipelines: both(9), github: asked({ 9: { kind: "deleted" } }) });
    expect(kinds(decisions)).toEqual(["close #9"]);
    const close = decisions[0];
    if (close?.kind !== "close") throw new Error("expected a close");
    expect(close.event).toMatchObject({
      action: "closed",
      updatedAt: "2025-06-01T12:00:00.000Z",
      headSha: HEAD_SHA,
      deliveryId: `reconciler-${REPOSITORY}-9-${NOW.getTime() / 1000}`,
    });
    expect(pullRequestEventSchema.safeParse(close.event).success).toBe(true);

    const untagged = plan({ pipelines: [prPipeline(ORDERS, 9, { headSha: undefined })], github: asked({ 9: { kind: "deleted" } }) });
    expect(untagged[0]).toMatchObject({ kind: "close", event: { headSha: UNKNOWN_SHA } });
  });

  it("asks for the pipelines of an open pull request that has none (createMissing) with a reopened event", () => {
    const pr = githubPull(12, { updatedAt: daysAgo(1) });
    const decisions = plan({ pipelines: [], github: asked({}, [pr]) });
    expect(kinds(decisions)).toEqual(["create #12"]);
    const create = decisions[0];
    if (create?.kind !== "create") throw new Error("expected a create");
    expect(create.missing).toEqual([...BASES]);
    expect(create.event).toMatchObject({ action: "reopened", number: 12, deliveryId: repairDeliveryId(REPOSITORY, 12, pr.updatedAt) });
    // reopened may bring back a pull request the state table holds as closed: GitHub says it is open.
    expect(planPullRequestEvent(create.event, config)).toMatchObject({ kind: "create", mayReopen: true });
  });

  it("asks only for what is missing when an open pull request lacks some pipelines", () => {
    const pr = githubPull(13);
    const pipelines = [prPipeline(ORDERS, 13)];
    const decisions = plan({ pipelines, github: asked({ 13: found(pr) }, [pr]), activity: activeSince(pipelines, 1) });
    expect(decisions).toEqual([expect.objectContaining({ kind: "create", number: 13, missing: [PAYMENTS], reason: `open, but lacks ${PAYMENTS}` })]);
  });

  it("creates nothing without createMissing", () => {
    const pr = githubPull(12);
    const decisions = plan({
      pipelines: [prPipeline(ORDERS, 12)],
      github: asked({ 12: found(pr) }, [pr]),
      settings: { ...config, createMissing: false },
    });
    expect(kinds(decisions)).toEqual(["keep #12"]);
  });

  it("does nothing for a fork's pull request without the label, nor for a draft (pr-pipelines' own rules)", () => {
    const fork = githubPull(20, { headRepository: "stranger/shop" });
    const draft = githubPull(21, { draft: true });
    const labelled = githubPull(22, { headRepository: "friend/shop", labels: [FORK_LABEL] });
    const deletedFork = githubPull(23, { headRepository: null });
    const decisions = plan({ pipelines: [], github: asked({}, [fork, draft, labelled, deletedFork]) });
    expect(kinds(decisions)).toEqual(["keep #20", "keep #21", "create #22", "keep #23"]);
    expect(decisions[0]?.reason).toMatch(/fork stranger\/shop .*"safe-to-test" label/);
    expect(decisions[1]?.reason).toMatch(/draft/);
  });

  it("removes the idle pipelines of an open pull request and keeps the active ones", () => {
    const pipelines = both(30);
    const activity = new Map([
      ["pipewright-orders-pr-30", daysAgo(20)],
      ["pipewright-payments-pr-30", daysAgo(3)],
    ]);
    const decisions = plan({ pipelines, github: asked({ 30: found(githubPull(30, { updatedAt: daysAgo(15) })) }), activity });
    expect(decisions).toEqual([
      expect.objectContaining({
        kind: "remove-idle",
        number: 30,
        pipeline: "pipewright-orders-pr-30",
        basePipeline: ORDERS,
        lastActivity: daysAgo(20).toISOString(),
      }),
      expect.objectContaining({ kind: "keep", number: 30, pipelines: ["pipewright-payments-pr-30"], reason: "open and active" }),
    ]);
  });

  it("keeps the pipelines of an open pull request updated within idleDays, even without executions (createMissing would bring them back)", () => {
    const pipelines = both(33);
    const decisions = plan({
      pipelines,
      github: asked({ 33: found(githubPull(33, { updatedAt: daysAgo(13) })) }),
      activity: activeSince(pipelines, 30),
    });
    expect(kinds(decisions)).toEqual(["keep #33"]);
  });

  it("never asks again for pipelines it removed as idle: the same pull request, one run later, is left alone", () => {
    const pullRequest = githubPull(34, { updatedAt: daysAgo(16) });
    const pipelines = both(34);
    const first = plan({ pipelines, github: asked({ 34: found(pullRequest) }, [pullRequest]), activity: activeSince(pipelines, 20) });
    expect(kinds(first)).toEqual(["remove-idle #34", "remove-idle #34"]);
    const next = plan({ pipelines: [], github: asked({}, [pullRequest]) });
    expect(next).toEqual([expect.objectContaining({ kind: "keep", number: 34, reason: expect.stringMatching(/not updated for more than 14 days/) })]);
  });

  it("does nothing for an open, active pull request", () => {
    const pipelines = both(31);
    const decisions = plan({ pipelines, github: asked({ 31: found(githubPull(31)) }), activity: activeSince(pipelines, 13) });
    expect(decisions).toEqual([
      expect.objectContaining({ kind: "keep", number: 31, pipelines: pipelines.map((p) => p.name), reason: "open and active" }),
    ]);
  });

  it("never removes a pipeline whose activity is unknown, and removes none when idleDays is 0", () => {
    const pipelines = both(32);
    expect(kinds(plan({ pipelines, github: asked({ 32: found(githubPull(32)) }) }))).toEqual(["keep #32"]);
    expect(
      kinds(
        plan({
          pipelines,
          github: asked({ 32: found(githubPull(32)) }),
          activity: activeSince(pipelines, 400),
          settings: { ...config, idleDays: 0 },
        }),
      ),
    ).toEqual(["keep #32"]);
  });

  it("leaves a pull request alone when GitHub could not tell its state", () => {
    const pipelines = both(40);
    const decisions = plan({
      pipelines,
      github: asked({ 40: { kind: "unknown", reason: "GitHub failed: 503" } }),
      activity: activeSince(pipelines, 100),
    });
    expect(decisions).toEqual([
      expect.objectContaining({ kind: "unknown", number: 40, reason: "GitHub failed: 503", pipelines: pipelines.map((p) => p.name) }),
    ]);
  });

  it("only removes idle pipelines when GitHub is not asked, whatever the pull request's state", () => {
    const idle = both(50);
    const active = both(51);
    const activity = new Map([...activeSince(idle, 30), ...activeSince(active, 2)]);
    const decisions = plan({ pipelines: [...idle, ...active], github: { asked: false, reason: "no token" }, activity });
    expect(kinds(decisions)).toEqual(["remove-idle #50", "remove-idle #50", "keep #51"]);
    expect(decisions[0]?.reason).toMatch(/GitHub was not asked \(no token\)/);
  });

  it("leaves pull requests updated in the last minutes to the webhook's own event", () => {
    const justNow = new Date(NOW.getTime() - GRACE_MS / 2);
    const closed = githubPull(60, { state: "closed", updatedAt: justNow });
    const opened = githubPull(61, { updatedAt: justNow });
    const decisions = plan({ pipelines: both(60), github: asked({ 60: found(closed) }, [opened]) });
    expect(kinds(decisions)).toEqual(["keep #60", "keep #61"]);
  });

  it("does not recreate the pipelines of an open pull request without activity for idleDays (they would be idle)", () => {
    const decisions = plan({ pipelines: [], github: asked({}, [githubPull(70, { updatedAt: daysAgo(15) })]) });
    expect(decisions).toEqual([
      expect.objectContaining({ kind: "keep", number: 70, reason: expect.stringMatching(/not updated for more than 14 days/) }),
    ]);
  });

  it("does not ask for missing pipelines in the run that removes idle ones of the same pull request", () => {
    const pipelines = [prPipeline(ORDERS, 71)];
    const stale = githubPull(71, { updatedAt: daysAgo(15) });
    const decisions = plan({ pipelines, github: asked({ 71: found(stale) }, [stale]), activity: activeSince(pipelines, 20) });
    expect(kinds(decisions)).toEqual(["remove-idle #71"]);
  });

  it(`removes at most ${MAX_IDLE_REMOVALS_PER_RUN} idle pipelines a run, the longest idle first`, () => {
    const pipelines = Array.from({ length: MAX_IDLE_REMOVALS_PER_RUN + 3 }, (_, index) => prPipeline(ORDERS, index + 1));
    const activity = new Map(pipelines.map((pipeline, index) => [pipeline.name, daysAgo(100 - index)]));
    const decisions = plan({ pipelines, github: { asked: false, reason: "no token" }, activity });
    const removed = decisions.filter((decision) => decision.kind === "remove-idle").map((decision) => decision.number);
    expect(removed).toHaveLength(MAX_IDLE_REMOVALS_PER_RUN);
    expect(removed).toEqual(Array.from({ length: MAX_IDLE_REMOVALS_PER_RUN }, (_, index) => index + 1));
    expect(decisions.filter((decision) => decision.kind === "keep").map((decision) => decision.reason)).toEqual(
      Array.from({ length: 3 }, () => expect.stringMatching(/next run removes it/)),
    );
  });

  it("creates nothing for a pull request whose pipelines could not be checked", () => {
    const decisions = plan({ pipelines: [], github: asked({}, [githubPull(90)]), unverified: new Set([ledgerKey(REPOSITORY, 90)]) });
    expect(decisions).toEqual([expect.objectContaining({ kind: "unknown", number: 90, reason: expect.stringMatching(/could not be read/) })]);
  });

  it("ignores pipelines of another repository", () => {
    const foreign = prPipeline(ORDERS, 80, { repository: "someone/else" });
    expect(plan({ pipelines: [foreign], github: asked({ 80: found(githubPull(80, { state: "closed" })) }) })).toEqual([]);
  });

  it("is deterministic: the same input gives the same decisions and delivery ids", () => {
    const input = {
      pipelines: [...both(1), ...both(2)],
      github: asked({ 1: found(githubPull(1, { state: "closed" })), 2: found(githubPull(2)) }, [githubPull(2), githubPull(3)]),
    };
    expect(plan(input)).toEqual(plan(input));
    expect(repairDeliveryId("a/b", 5, "2025-01-01T00:00:00Z")).toBe("reconciler-a/b-5-1735689600");
    expect(repairDeliveryId("a/b", 5, "2025-01-01T01:00:00+01:00")).toBe("reconciler-a/b-5-1735689600");
  });
});

describe("planReconciliation: pull requests waiting for capacity", () => {
  const LEDGER = OTHER_REPOSITORY;
  const LIMIT = 4;
  /** A ledger with `holders` (key, pipelines) holding and `waiters` (key, pipelines, since) queued. */
  function ledgerOf(holders: Array<[string, number]>, waiters: Array<[string, number, number]>): Ledger {
    return {
      version: 1,
      holdings: new Map(holders.map(([key, pipelines]) => [key, { pipelines, updatedAt: 1 }])),
      waiting: new Map(waiters.map(([key, , since]) => [key, since])),
    };
  }
  const ledgerPull = (number: number, options: Parameters<typeof githubPull>[1] = {}) => ({
    ...githubPull(number, options),
    repository: LEDGER,
    headRepository: options.headRepository === undefined ? LEDGER : (options.headRepository ?? "(deleted fork)"),
    fromFork: options.headRepository !== undefined,
  });

  it("hands the free room to the oldest waiters of every repository, and stops at the first that does not fit", () => {
    // 2 of 4 pipelines in use: the shop's #100 (2 pipelines) fits, the ledger's #7 (1) would too, but the shop's #101 (2) waits before it.
    const capacity = {
      ledger: ledgerOf(
        [[ledgerKey(REPOSITORY, 1), 2]],
        [
          [ledgerKey(REPOSITORY, 100), 2, 1000],
          [ledgerKey(REPOSITORY, 101), 2, 2000],
          [ledgerKey(LEDGER, 7), 1, 3000],
        ],
      ),
      limit: LIMIT,
    };
    const decisions = plan({
      pipelines: both(1),
      github: asked({ 1: found(githubPull(1)) }, [githubPull(1), githubPull(100), githubPull(101)]),
      others: { [LEDGER]: asked({}, [ledgerPull(7)]) },
      settings: { ...config, createMissing: false },
      capacity,
    });
    expect(decisions.map((decision) => `${decision.kind} ${decision.repository}#${decision.number}`)).toEqual([
      "keep example-org/ledger#7",
      "keep example-org/shop#1",
      "pick-up example-org/shop#100",
      "keep example-org/shop#101",
    ]);
    const pickUp = decisions.find((decision) => decision.kind === "pick-up");
    if (pickUp?.kind !== "pick-up") throw new Error("expected a pick-up");
    expect(pickUp.event).toMatchObject({ action: "reopened", repository: REPOSITORY, number: 100 });
    expect(planPullRequestEvent(pickUp.event, config)).toMatchObject({ kind: "create", mayReopen: true });
    expect(decisions.find((decision) => decision.number === 7)?.reason).toMatch(/0 of 4 pipelines free, #101 of example-org\/shop/);
  });

  it("forgets waiters that closed meanwhile, that pr-pipelines would not run now, or whose repository left the catalog", () => {
    const capacity = {
      ledger: ledgerOf(
        [],
        [
          [ledgerKey(REPOSITORY, 110), 2, 1000],
          [ledgerKey(REPOSITORY, 111), 2, 2000],
          [ledgerKey("gone/away", 3), 1, 3000],
          [ledgerKey(REPOSITORY, 112), 2, 4000],
        ],
      ),
      limit: LIMIT,
    };
    const decisions = plan({
      pipelines: [],
      github: asked({}, [githubPull(111, { draft: true }), githubPull(112)]),
      settings: { ...config, createMissing: false },
      capacity,
    });
    expect(decisions.map((decision) => `${decision.kind} #${decision.number}`)).toEqual(["forget #110", "forget #111", "pick-up #112", "forget #3"]);
    const forgotten = decisions.filter((decision) => decision.kind === "forget");
    expect(forgotten.map((decision) => decision.reason)).toEqual([
      "waited for capacity, but is no longer open",
      expect.stringMatching(/pr-pipelines would not run it now \(.*draft.*\); its next event queues it again/),
      "repository gone/away is no longer configured",
    ]);
    // Forgetting takes exactly that waiter out, and only while it still waits since the same time.
    const forget = forgotten[0];
    if (forget?.kind !== "forget") throw new Error("expected a forget");
    expect(forgetChange(forget)(capacity.ledger)).toEqual({ outcome: true, change: { key: ledgerKey(REPOSITORY, 110), waitingSince: null } });
    expect(forgetChange({ ...forget, waitingSince: 999 })(capacity.ledger)).toEqual({ outcome: false });
  });

  it("keeps waiters whose repository's open pull requests are unknown, and leaves them to the pick-up rather than createMissing", () => {
    const capacity = { ledger: ledgerOf([], [[ledgerKey(REPOSITORY, 120), 2, 1000]]), limit: LIMIT };
    expect(kinds(plan({ pipelines: [], github: asked({}), capacity }))).toEqual(["keep #120"]);
    expect(kinds(plan({ pipelines: [], github: asked({}, [githubPull(120)]), capacity }))).toEqual(["pick-up #120"]);
  });
});
