import { codePipelineEventSchema } from "../../../functions/shared/codepipeline-events";
import {
  DEFAULT_NOTIFY_STATES,
  finalNotification,
  needsRecoveryCheck,
  type NotifyState,
  planEvent,
  previousOutcome,
  threadStepNeedsActions,
} from "../../../functions/notifier/routing";
import { type FixtureName, sampleFor } from "./events";

const defaults = new Set<NotifyState>(DEFAULT_NOTIFY_STATES);
const all = new Set<NotifyState>(["FAILED", "APPROVAL_WAITING", "RECOVERED", "SUCCEEDED", "STARTED", "STOPPED", "SUPERSEDED"]);
const plan = (name: FixtureName, enabled: ReadonlySet<NotifyState> = defaults, state?: string) =>
  planEvent(codePipelineEventSchema.parse(sampleFor(name, "pipewright-orders", { state })), enabled);

describe("planEvent: pipeline-level events", () => {
  test.each([
    ["pipeline-started", "pending", "STARTED"],
    ["pipeline-resumed", "pending", undefined],
    ["pipeline-succeeded", "success", "SUCCEEDED"],
    ["pipeline-failed", "failure", "FAILED"],
    ["pipeline-stopped", "error", "STOPPED"],
    ["pipeline-canceled", "error", "STOPPED"],
    ["pipeline-superseded", "error", "SUPERSEDED"],
  ] as const)("%s sets a %s commit status and may notify %s", (name, commitState, notification) => {
    const result = plan(name, all);
    expect(result).toMatchObject({ kind: "act", commitStatus: { state: commitState } });
    expect(result.kind === "act" && result.notification).toBe(notification ?? undefined);
  });

  test("with the defaults, failures notify and starts, stops and supersessions only set commit statuses", () => {
    expect(plan("pipeline-failed")).toMatchObject({ kind: "act", notification: "FAILED" });
    for (const name of ["pipeline-started", "pipeline-stopped", "pipeline-superseded"] as const) {
      const result = plan(name);
      expect(result).toMatchObject({ kind: "act", notification: undefined, quietBecause: expect.stringContaining("not in NOTIFY_STATES") });
    }
  });

  test("a success is a candidate when RECOVERED alone is on (it may be a recovery)", () => {
    expect(plan("pipeline-succeeded", new Set(["RECOVERED"]))).toMatchObject({ notification: "SUCCEEDED" });
    expect(plan("pipeline-succeeded", new Set(["FAILED"]))).toMatchObject({ kind: "act", notification: undefined });
  });

  test("each commit status holds only while the execution is in the matching status", () => {
    expect(plan("pipeline-started")).toMatchObject({ commitStatus: { whileExecutionIs: ["InProgress"] } });
    expect(plan("pipeline-canceled")).toMatchObject({ commitStatus: { eventState: "CANCELED", whileExecutionIs: ["Cancelled"] } });
  });

  test("STOPPING and unknown states are ignored", () => {
    expect(plan("pipeline-stopping")).toMatchObject({ kind: "ignore" });
    expect(plan("pipeline-failed", all, "PAUSED_FOREVER")).toMatchObject({ kind: "ignore", reason: expect.stringContaining("PAUSED_FOREVER") });
  });
});

describe("planEvent: stage and action events", () => {
  test("stage changes are left to the pipeline-level event", () => {
    expect(plan("stage-failed", all)).toMatchObject({ kind: "ignore" });
  });

  test("an approval waiting notifies, with where it waits", () => {
    expect(plan("action-approval-started")).toEqual({
      kind: "act",
      notification: "APPROVAL_WAITING",
      approval: { stage: "Approval", action: "Approval" },
    });
    expect(plan("action-approval-started", new Set(["FAILED"]))).toMatchObject({ kind: "ignore" });
  });

  test("a source action that fetched the commit sets the pending status a STARTED could not", () => {
    const result = plan("action-source-succeeded", new Set());
    expect(result).toMatchObject({ kind: "act", commitStatus: { state: "pending", whileExecutionIs: ["InProgress"] } });
    expect(result.kind === "act" && result.notification).toBeUndefined();
  });

  test("other action changes are ignored, failed ones too (the pipeline's FAILED reports them)", () => {
    expect(plan("action-build-failed", all)).toMatchObject({ kind: "ignore" });
    expect(plan("action-approval-started", all, "SUCCEEDED")).toMatchObject({ kind: "ignore" });
  });
});

describe("planEvent with Slack threads (bot mode, a main pipeline)", () => {
  const threaded = (name: FixtureName, enabled: ReadonlySet<NotifyState> = defaults, state?: string) =>
    planEvent(codePipelineEventSchema.parse(sampleFor(name, "pipewright-orders", { state })), enabled, { threads: true });

  test.each([
    ["pipeline-started", undefined, { kind: "start" }],
    ["pipeline-resumed", undefined, { kind: "resume" }],
    ["pipeline-succeeded", undefined, { kind: "finish", state: "SUCCEEDED" }],
    ["pipeline-failed", undefined, { kind: "finish", state: "FAILED" }],
    ["pipeline-stopped", undefined, { kind: "finish", state: "STOPPED" }],
    ["pipeline-canceled", undefined, { kind: "finish", state: "CANCELED" }],
    ["pipeline-superseded", undefined, { kind: "finish", state: "SUPERSEDED" }],
    ["stage-failed", undefined, { kind: "stage", stage: "Build", outcome: "FAILED" }],
    ["stage-failed", "SUCCEEDED", { kind: "stage", stage: "Build", outcome: "SUCCEEDED" }],
    ["action-approval-started", undefined, { kind: "approval", stage: "Approval", action: "Approval" }],
  ] as const)("%s (%s) is the thread step %o, whatever NOTIFY_STATES says", (name, state, step) => {
    expect(threaded(name, new Set(), state)).toMatchObject({ kind: "act", thread: step });
  });

  test("the commit statuses and the notifications stay as NOTIFY_STATES says", () => {
    expect(threaded("pipeline-failed")).toMatchObject({ notification: "FAILED", commitStatus: { state: "failure" } });
    expect(threaded("pipeline-started")).toMatchObject({ notification: undefined, commitStatus: { state: "pending" } });
    expect(threaded("stage-failed", all)).toEqual({
      kind: "act",
      thread: { kind: "stage", stage: "Build", outcome: "FAILED" },
      quietBecause: "a stage's result is told only in the execution's Slack thread",
    });
    expect(threaded("action-approval-started", new Set())).toEqual({
      kind: "act",
      approval: { stage: "Approval", action: "Approval" },
      thread: { kind: "approval", stage: "Approval", action: "Approval" },
      quietBecause: "APPROVAL_WAITING is not in NOTIFY_STATES",
    });
  });

  test("other stage changes, STOPPING and other actions are still ignored", () => {
    expect(threaded("stage-failed", all, "STARTED")).toEqual({
      kind: "ignore",
      reason: "stage Build STARTED is not a result the Slack thread tells",
    });
    expect(threaded("pipeline-stopping", all)).toMatchObject({ kind: "ignore" });
    expect(threaded("action-build-failed", all)).toMatchObject({ kind: "ignore" });
  });

  test("only failures and approvals need the action executions", () => {
    expect(threadStepNeedsActions({ kind: "stage", stage: "Build", outcome: "FAILED" })).toBe(true);
    expect(threadStepNeedsActions({ kind: "finish", state: "FAILED" })).toBe(true);
    expect(threadStepNeedsActions({ kind: "approval", stage: "Prod", action: "Approve" })).toBe(true);
    expect(threadStepNeedsActions({ kind: "stage", stage: "Build", outcome: "SUCCEEDED" })).toBe(false);
    expect(threadStepNeedsActions({ kind: "finish", state: "SUCCEEDED" })).toBe(false);
    expect(threadStepNeedsActions({ kind: "start" })).toBe(false);
  });
});

describe("finalNotification", () => {
  test("a main-branch success after a failure is RECOVERED (on by default)", () => {
    expect(finalNotification("SUCCEEDED", defaults, true, true)).toBe("RECOVERED");
  });

  test("a main-branch success after a success does not notify by default", () => {
    expect(finalNotification("SUCCEEDED", defaults, true, false)).toBeUndefined();
    expect(finalNotification("SUCCEEDED", defaults, true, undefined)).toBeUndefined();
  });

  test("a pull request pipeline's success is never a recovery", () => {
    expect(needsRecoveryCheck("SUCCEEDED", false)).toBe(false);
    expect(finalNotification("SUCCEEDED", defaults, false, true)).toBeUndefined();
    expect(finalNotification("SUCCEEDED", new Set(["SUCCEEDED"]), false, true)).toBe("SUCCEEDED");
  });

  test("with SUCCEEDED on, every success notifies, a recovery labelled as one", () => {
    const enabled = new Set<NotifyState>(["SUCCEEDED"]);
    expect(finalNotification("SUCCEEDED", enabled, true, false)).toBe("SUCCEEDED");
    expect(finalNotification("SUCCEEDED", enabled, true, true)).toBe("RECOVERED");
  });

  test("other candidates notify when on", () => {
    expect(finalNotification("FAILED", defaults, false, undefined)).toBe("FAILED");
    expect(finalNotification("STARTED", defaults, true, undefined)).toBeUndefined();
    expect(finalNotification(undefined, all, true, true)).toBeUndefined();
  });
});

describe("previousOutcome", () => {
  const summaries = [
    { executionId: "e5", status: "InProgress" },
    { executionId: "e4", status: "Succeeded" },
    { executionId: "e3", status: "Stopped" },
    { executionId: "e2", status: "Superseded" },
    { executionId: "e1", status: "Failed" },
    { executionId: "e0", status: "Succeeded" },
  ];

  test("passes over stopped and superseded executions to the last finished one", () => {
    expect(previousOutcome(summaries, "e4")).toEqual({ known: true, failed: true, executionId: "e1", status: "Failed" });
  });

  test("a success before means no recovery", () => {
    expect(previousOutcome(summaries, "e5")).toMatchObject({ known: true, failed: false, executionId: "e4" });
    expect(previousOutcome(summaries, "e1")).toMatchObject({ known: true, failed: false, executionId: "e0" });
  });

  test("the first execution recovers nothing; an execution not listed is unknown", () => {
    expect(previousOutcome(summaries, "e0")).toEqual({ known: true, failed: false });
    expect(previousOutcome(summaries, "e9")).toMatchObject({ known: false, reason: expect.stringContaining("e9") });
  });
});
