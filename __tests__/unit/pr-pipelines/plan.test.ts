import { planPullRequestEvent, type Plan } from "../../../functions/pr-pipelines/plan";
import { RepositoryCatalog } from "../../../functions/shared/repositories";
import { catalogData, config, pullRequest, REPOSITORY } from "./support/fixtures";

const fork = { fromFork: true, headRepository: "stranger/shop" };
const prPipelines = ["pipewright-orders-pr-7", "pipewright-payments-pr-7"];

function names(plan: Plan): string[] {
  return plan.kind === "skip" ? [] : plan.pipelines.map((pipeline) => pipeline.prPipeline);
}

describe("planPullRequestEvent", () => {
  it.each(["opened", "reopened", "ready_for_review"])("creates the pipelines of every service on %s", (action) => {
    const plan = planPullRequestEvent(pullRequest({ action }), config);
    expect(plan.kind).toBe("create");
    expect(names(plan)).toEqual(prPipelines);
  });

  it("lets only opened and reopened bring a closed pull request back", () => {
    const mayReopen = (action: string) => {
      const plan = planPullRequestEvent(pullRequest({ action, ...fork, labels: ["safe-to-test"], label: "safe-to-test" }), config);
      return plan.kind === "skip" ? undefined : plan.mayReopen;
    };
    expect(mayReopen("opened")).toBe(true);
    expect(mayReopen("reopened")).toBe(true);
    expect(mayReopen("ready_for_review")).toBe(false);
    expect(mayReopen("synchronize")).toBe(false);
    expect(mayReopen("labeled")).toBe(false);
  });

  it("starts the pipelines on synchronize", () => {
    const plan = planPullRequestEvent(pullRequest({ action: "synchronize" }), config);
    expect(plan.kind).toBe("start");
    expect(names(plan)).toEqual(prPipelines);
  });

  it("skips drafts until they are ready for review", () => {
    for (const action of ["opened", "synchronize"]) {
      const plan = planPullRequestEvent(pullRequest({ action, draft: true }), config);
      expect(plan).toEqual({ kind: "skip", reason: expect.stringContaining("draft") });
    }
  });

  it.each(["opened", "synchronize", "reopened"])("does not run a fork's pull request without the label on %s, and says why", (action) => {
    const plan = planPullRequestEvent(pullRequest({ action, ...fork }), config);
    expect(plan).toEqual({
      kind: "skip",
      reason: expect.stringMatching(/fork stranger\/shop .*"safe-to-test" label; a maintainer adds the label after reviewing head 0123456/),
      awaitingApproval: { forkLabel: "safe-to-test" },
    });
  });

  it.each(["opened", "reopened", "ready_for_review", "synchronize"])(
    "runs a fork's pull request that carries the label on %s only if its head is the approved one",
    (action) => {
      const plan = planPullRequestEvent(pullRequest({ action, ...fork, labels: ["safe-to-test"] }), config);
      expect(plan).toMatchObject({ kind: action === "synchronize" ? "start" : "create", forkApproval: "require" });
    },
  );

  it("treats the fork label being added as opened, approving the head it was put on", () => {
    const plan = planPullRequestEvent(pullRequest({ action: "labeled", ...fork, labels: ["safe-to-test"], label: "safe-to-test" }), config);
    expect(plan).toMatchObject({ kind: "create", forkApproval: "record", reason: expect.stringContaining("approves head 0123456") });
    expect(names(plan)).toEqual(prPipelines);
  });

  it("asks nothing of pull requests from the repository itself, label or not", () => {
    for (const action of ["opened", "synchronize"]) {
      const plan = planPullRequestEvent(pullRequest({ action, labels: ["safe-to-test"] }), config);
      expect(plan.kind).not.toBe("skip");
      expect(plan).not.toHaveProperty("forkApproval");
    }
    expect(planPullRequestEvent(pullRequest({ action: "synchronize" }), config)).not.toHaveProperty("awaitingApproval");
  });

  it("does not ask for approval of a draft fork, which runs nothing until it is ready", () => {
    expect(planPullRequestEvent(pullRequest({ action: "opened", ...fork, draft: true }), config)).toEqual({
      kind: "skip",
      reason: expect.stringContaining("draft"),
    });
  });

  it("ignores other labels, labels on same-repository pull requests, and the label on a draft fork", () => {
    expect(planPullRequestEvent(pullRequest({ action: "labeled", ...fork, labels: ["bug"], label: "bug" }), config).kind).toBe("skip");
    expect(planPullRequestEvent(pullRequest({ action: "labeled", labels: ["safe-to-test"], label: "safe-to-test" }), config).kind).toBe("skip");
    expect(
      planPullRequestEvent(pullRequest({ action: "labeled", ...fork, draft: true, labels: ["safe-to-test"], label: "safe-to-test" }), config).kind,
    ).toBe("skip");
  });

  it("does not run a merged pull request that gets labeled", () => {
    const plan = planPullRequestEvent(
      pullRequest({ action: "labeled", ...fork, merged: true, labels: ["safe-to-test"], label: "safe-to-test" }),
      config,
    );
    expect(plan).toEqual({ kind: "skip", reason: expect.stringContaining("merged") });
  });

  it.each([
    [true, "merged"],
    [false, "closed without merging"],
  ])("deletes the pipelines when the pull request closes (merged: %s), forks and drafts included", (merged, words) => {
    const plan = planPullRequestEvent(pullRequest({ action: "closed", merged, ...fork, draft: true }), config);
    expect(plan).toEqual({
      kind: "delete",
      desired: "closed",
      mayReopen: true,
      reason: expect.stringContaining(words),
      pipelines: expect.any(Array),
      repository: "example-org/shop",
      forkLabel: "safe-to-test",
    });
    expect(names(plan)).toEqual(prPipelines);
  });

  it("skips actions that do not change pipelines, and events of repositories not in the catalog", () => {
    expect(planPullRequestEvent(pullRequest({ action: "edited" }), config).kind).toBe("skip");
    expect(planPullRequestEvent(pullRequest({ action: "unlabeled", label: "safe-to-test" }), config).kind).toBe("skip");
    expect(planPullRequestEvent(pullRequest({ repository: "example-org/other" }), config)).toEqual({
      kind: "skip",
      reason: "repository example-org/other is not configured; add it to repositories[] in the configuration for its pull requests to get pipelines",
    });
  });

  it.each(["opened", "closed"])("carries each service's preview setting from the catalog (%s)", (action) => {
    const [shop] = catalogData.repositories;
    if (shop === undefined) throw new Error("fixture changed");
    const services = [shop.services[0], { ...shop.services[1], kind: "container" as const, preview: false }];
    const repositories = RepositoryCatalog.from({ repositories: [{ ...shop, services }] });
    const plan = planPullRequestEvent(pullRequest({ repository: REPOSITORY, action }), { repositories });
    expect(plan.kind === "skip" ? [] : plan.pipelines.map((pipeline) => [pipeline.prPipeline, pipeline.deployPreview])).toEqual([
      ["pipewright-orders-pr-7", true],
      ["pipewright-payments-pr-7", false],
    ]);
  });

  it("clones only the event's own repository's service pipelines, and approves forks with its own label", () => {
    const ledger = planPullRequestEvent(pullRequest({ repository: "Example-Org/Ledger", action: "opened" }), config);
    expect(ledger).toMatchObject({ kind: "create", repository: "example-org/ledger", forkLabel: "run-ci" });
    expect(names(ledger)).toEqual(["pipewright-ledger-api-pr-7"]);
    const unlabeled = planPullRequestEvent(
      pullRequest({ repository: "example-org/ledger", action: "opened", ...fork, labels: ["safe-to-test"] }),
      config,
    );
    expect(unlabeled).toMatchObject({ kind: "skip", awaitingApproval: { forkLabel: "run-ci" } });
    const labeled = planPullRequestEvent(
      pullRequest({ repository: "example-org/ledger", action: "labeled", ...fork, labels: ["run-ci"], label: "run-ci" }),
      config,
    );
    expect(labeled).toMatchObject({ kind: "create", forkApproval: "record", forkLabel: "run-ci" });
  });
});
