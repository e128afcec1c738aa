import {
  commitStatusContext,
  commitStatusFor,
  MAX_DESCRIPTION_LENGTH,
  NO_PREVIEW_NOTE,
  statusStillHolds,
} from "../../../functions/notifier/commit-status";
import { codePipelineEventSchema } from "../../../functions/shared/codepipeline-events";
import { planEvent } from "../../../functions/notifier/routing";
import { type FixtureName, sampleFor } from "./events";
import { BUILD_FAILURE, SHA } from "./notifications";

function intentOf(name: FixtureName) {
  const plan = planEvent(codePipelineEventSchema.parse(sampleFor(name, "pipewright-orders")), new Set());
  if (plan.kind !== "act" || !plan.commitStatus) throw new Error(`${name} sets no commit status`);
  return plan.commitStatus;
}

const input = {
  repository: "acme-corp/shop",
  pipeline: "pipewright-orders",
  sha: SHA,
  executionUrl: "https://example.com/x",
  failures: [BUILD_FAILURE],
};

describe("commit status per pipeline state", () => {
  test.each([
    ["pipeline-started", "pending", /^Running in CodePipeline$/],
    ["pipeline-resumed", "pending", /resumed/],
    ["pipeline-succeeded", "success", /^Succeeded/],
    ["pipeline-failed", "failure", /^Failed at Build\/BuildAndPackage: Build terminated/],
    ["pipeline-stopped", "error", /^Stopped before it finished/],
    ["pipeline-superseded", "error", /^Superseded by a newer execution/],
    ["pipeline-canceled", "error", /^Canceled/],
  ] as const)("%s → %s", (name, state, description) => {
    const status = commitStatusFor(intentOf(name), input);
    expect(status).toMatchObject({
      repository: "acme-corp/shop",
      sha: SHA,
      state,
      context: "pipewright/pipewright-orders",
      targetUrl: "https://example.com/x",
    });
    expect(status.description).toMatch(description);
    expect(status.description.length).toBeLessThanOrEqual(MAX_DESCRIPTION_LENGTH);
  });

  test.each([
    ["pipeline-started", "Running in CodePipeline (build and test only: no preview, the service has preview: false)"],
    ["pipeline-succeeded", "Succeeded in CodePipeline (build and test only: no preview, the service has preview: false)"],
  ] as const)("a pull request pipeline without a preview says so: %s", (name, description) => {
    const status = commitStatusFor(intentOf(name), { ...input, pipeline: "pipewright-orders-pr-12", deploysPreview: false });
    expect(status.description).toBe(description);
    expect(status.description).toContain(NO_PREVIEW_NOTE);
  });

  test("a failure of a pull request pipeline without a preview names the failed action, as any failure", () => {
    const status = commitStatusFor(intentOf("pipeline-failed"), { ...input, deploysPreview: false });
    expect(status.description).toMatch(/^Failed at Build\/BuildAndPackage: Build terminated/);
  });

  test("the context is per pipeline, so main and PR pipelines report separately", () => {
    expect(commitStatusContext("pipewright-orders-pr-12")).toBe("pipewright/pipewright-orders-pr-12");
  });

  test("the stopped description carries CodePipeline's reason, cut to 140 characters", () => {
    const status = commitStatusFor(intentOf("pipeline-stopped"), { ...input, statusSummary: `Stopped by alice: ${"x".repeat(300)}` });
    expect(status.description).toMatch(/^Stopped before it finished: Stopped by alice/);
    expect(status.description.length).toBe(MAX_DESCRIPTION_LENGTH);
  });
});

describe("statusStillHolds", () => {
  test("a late pending does not overwrite a finished execution's status", () => {
    expect(statusStillHolds(intentOf("pipeline-started"), "InProgress")).toBe(true);
    expect(statusStillHolds(intentOf("pipeline-started"), "Failed")).toBe(false);
    expect(statusStillHolds(intentOf("pipeline-started"), undefined)).toBe(false);
  });

  test("a late failure does not overwrite the success of a retry", () => {
    expect(statusStillHolds(intentOf("pipeline-failed"), "Failed")).toBe(true);
    expect(statusStillHolds(intentOf("pipeline-failed"), "InProgress")).toBe(false);
    expect(statusStillHolds(intentOf("pipeline-failed"), undefined)).toBe(true);
  });
});
