import {
  codePipelineEventSchema,
  CODEPIPELINE_DETAIL_TYPES,
  isApprovalWaiting,
  NOTIFIER_EVENT_PATTERN,
  type ActionExecutionEvent,
} from "../../../functions/shared/codepipeline-events";
import { NOTIFY_STATES, planEvent } from "../../../functions/notifier/routing";
import { FIXTURE_NAMES, sample, sampleFor } from "./events";
import { matchesPattern } from "./pattern-matcher";

describe("NOTIFIER_EVENT_PATTERN", () => {
  const pattern = NOTIFIER_EVENT_PATTERN("pipewright-");

  // The documented samples the notifier acts on, and those it would only ignore.
  const ACTED_ON = FIXTURE_NAMES.filter((name) => !["pipeline-stopping", "action-build-failed"].includes(name));

  test.each(ACTED_ON)("matches the documented sample %s of a platform pipeline", (name) => {
    expect(matchesPattern(pattern, sampleFor(name, "pipewright-orders"))).toBe(true);
    expect(matchesPattern(pattern, sampleFor(name, "pipewright-orders-pr-12"))).toBe(true);
  });

  test.each(FIXTURE_NAMES)("does not match the sample %s of another pipeline", (name) => {
    expect(matchesPattern(pattern, sample(name))).toBe(false);
    expect(matchesPattern(pattern, sampleFor(name, "other-pipewright-orders"))).toBe(false);
  });

  test.each([
    ["a pipeline STOPPING (its STOPPED follows)", "pipeline-stopping", {}],
    ["a build action that failed (its stage and pipeline FAILED follow)", "action-build-failed", {}],
    ["an approval that was answered (the pipeline's events follow)", "action-approval-started", { state: "SUCCEEDED" }],
    ["a stage that started", "stage-failed", { state: "STARTED" }],
    ["a source action that started", "action-source-succeeded", { state: "STARTED" }],
  ] as const)("leaves out what the notifier only ignores: %s", (_what, name, detail) => {
    const event = sampleFor(name, "pipewright-orders", detail);
    expect(matchesPattern(pattern, event)).toBe(false);
    expect(planEvent(codePipelineEventSchema.parse(event), new Set(NOTIFY_STATES), { threads: true }).kind).toBe("ignore");
  });

  test("does not match other sources or detail types", () => {
    const event = sampleFor("pipeline-failed", "pipewright-orders");
    expect(matchesPattern(pattern, { ...event, source: "pipewright.github" })).toBe(false);
    expect(matchesPattern(pattern, { ...event, "detail-type": "CodeBuild Build State Change" })).toBe(false);
  });

  test("the prefix matches the documented samples when it is their pipeline's", () => {
    expect(matchesPattern(NOTIFIER_EVENT_PATTERN("my"), sample("action-approval-started"))).toBe(true);
  });

  test("rejects a prefix that would match every pipeline or is no pipeline name", () => {
    expect(() => NOTIFIER_EVENT_PATTERN("")).toThrow(/empty prefix would match every pipeline/);
    expect(() => NOTIFIER_EVENT_PATTERN("pipe wright")).toThrow(RangeError);
  });
});

describe("codePipelineEventSchema", () => {
  test.each(FIXTURE_NAMES)("parses the documented sample %s", (name) => {
    const result = codePipelineEventSchema.safeParse(sample(name));
    expect(result.error?.issues ?? []).toEqual([]);
  });

  test("keeps the fields the notifier uses", () => {
    const action = codePipelineEventSchema.parse(sample("action-build-failed")) as ActionExecutionEvent;
    expect(action["detail-type"]).toBe(CODEPIPELINE_DETAIL_TYPES.action);
    expect(action.detail).toMatchObject({
      pipeline: "myPipeline",
      stage: "Build",
      action: "Build",
      state: "FAILED",
      type: { category: "Build", provider: "CodeBuild" },
      "execution-result": { "external-execution-summary": "Build terminated with state: FAILED", "error-code": "JobFailed" },
    });
  });

  test("names what is wrong with an event that is not CodePipeline's", () => {
    const event = sample("pipeline-failed");
    const result = codePipelineEventSchema.safeParse({ ...event, account: "12", detail: { ...event.detail, pipeline: undefined } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join("."))).toEqual(expect.arrayContaining(["account", "detail.pipeline"]));
  });
});

describe("isApprovalWaiting", () => {
  const parse = (event: unknown) => codePipelineEventSchema.parse(event) as ActionExecutionEvent;

  test("is a manual approval action that started", () => {
    expect(isApprovalWaiting(parse(sample("action-approval-started")))).toBe(true);
  });

  test("is not an approval that finished, nor another action that started", () => {
    expect(isApprovalWaiting(parse(sampleFor("action-approval-started", "p", { state: "SUCCEEDED" })))).toBe(false);
    expect(isApprovalWaiting(parse(sampleFor("action-build-failed", "p", { state: "STARTED" })))).toBe(false);
  });
});
