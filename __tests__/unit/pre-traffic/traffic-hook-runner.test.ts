/**
 * The shared runner of both traffic hooks (functions/shared/traffic-hook.ts):
 * every outcome ends in exactly one report, before the Lambda's time is up.
 */
import {
  type CheckOutcome,
  type HookIds,
  type HookStatus,
  LifecycleReportError,
  type LifecycleStatusReporter,
  makeTrafficHookHandler,
  parseHookEvent,
  type TrafficCheck,
} from "../../../functions/shared/traffic-hook";
import { awsError, DEPLOYMENT_ID, FAST, HOOK_EXECUTION_ID, hookEvent, lambdaContext, lastFields, logged, recordingLogger } from "./support/hooks";

/** Records reports; each queued behaviour answers one call, then reports succeed. */
class FakeReporter implements LifecycleStatusReporter {
  readonly calls: Array<{ ids: HookIds; status: HookStatus; signal: AbortSignal }> = [];
  private readonly behaviours: Array<(signal: AbortSignal) => Promise<void>> = [];

  failNext(error: Error): this {
    this.behaviours.push(async () => {
      throw error;
    });
    return this;
  }

  hangNext(): this {
    this.behaviours.push(() => new Promise<void>(() => undefined));
    return this;
  }

  async report(ids: HookIds, status: HookStatus, signal: AbortSignal): Promise<void> {
    this.calls.push({ ids, status, signal });
    const behaviour = this.behaviours.shift();
    if (behaviour) await behaviour(signal);
  }

  get statuses(): HookStatus[] {
    return this.calls.map((call) => call.status);
  }
}

let reporter: FakeReporter;
let logger: ReturnType<typeof recordingLogger>;

beforeEach(() => {
  reporter = new FakeReporter();
  logger = recordingLogger();
});

function hook(check: TrafficCheck, options: Partial<Parameters<typeof makeTrafficHookHandler>[0]> = {}) {
  return makeTrafficHookHandler({ hook: "test-hook", check, reporter, logger, ...FAST, ...options });
}

const passes: TrafficCheck = async () => ({ passed: true, summary: "all good", details: { answered: 200 } });

describe("the hook event", () => {
  it("yields both ids", () => {
    expect(parseHookEvent(hookEvent())).toEqual({ ok: true, ids: { deploymentId: DEPLOYMENT_ID, lifecycleEventHookExecutionId: HOOK_EXECUTION_ID } });
  });

  it.each<[string, unknown]>([
    ["null", null],
    ["a string", "d-123"],
    ["an empty object", {}],
    ["no hook execution id", { DeploymentId: DEPLOYMENT_ID }],
    ["no deployment id", { LifecycleEventHookExecutionId: HOOK_EXECUTION_ID }],
    ["blank ids", { DeploymentId: " ", LifecycleEventHookExecutionId: "" }],
    ["numbers for ids", { DeploymentId: 1, LifecycleEventHookExecutionId: 2 }],
  ])("is malformed when it is %s", (_name, event) => {
    expect(parseHookEvent(event)).toMatchObject({ ok: false, problems: expect.arrayContaining([expect.any(String)]) });
  });
});

describe("every outcome is reported once", () => {
  it("a passing check reports Succeeded and logs the verdict in structured form", async () => {
    const result = await hook(passes)(hookEvent(), lambdaContext(5000));
    expect(result).toEqual({ reported: true, status: "Succeeded", outcome: "passed", reason: "all good", alreadyReported: false, reportAttempts: 1 });
    expect(reporter.calls).toEqual([
      { ids: { deploymentId: DEPLOYMENT_ID, lifecycleEventHookExecutionId: HOOK_EXECUTION_ID }, status: "Succeeded", signal: expect.anything() },
    ]);
    expect(logger.info).toHaveBeenCalledTimes(1);
    expect(lastFields(logger.info)).toMatchObject({
      hook: "test-hook",
      deploymentId: DEPLOYMENT_ID,
      lifecycleEventHookExecutionId: HOOK_EXECUTION_ID,
      status: "Succeeded",
      outcome: "passed",
      reason: "all good",
      details: { answered: 200 },
      reportAttempts: 1,
      checkDurationMs: expect.any(Number),
      totalDurationMs: expect.any(Number),
      remainingTimeMs: expect.any(Number),
    });
    expect(logger.error).not.toHaveBeenCalled();
  });

  it("a failed check reports Failed with its reason, logged as an error", async () => {
    const fails: TrafficCheck = async () => ({ passed: false, reason: "GET /health answered 500" });
    const result = await hook(fails)(hookEvent(), lambdaContext(5000));
    expect(result).toMatchObject({ reported: true, status: "Failed", outcome: "failed-check", reason: "GET /health answered 500" });
    expect(reporter.statuses).toEqual(["Failed"]);
    expect(lastFields(logger.error)).toMatchObject({ status: "Failed", reason: "GET /health answered 500", deploymentId: DEPLOYMENT_ID });
  });

  it("a check that throws reports Failed, naming the error", async () => {
    const throws: TrafficCheck = async () => {
      throw awsError("ResourceNotFoundException", "Function not found: pipewright-orders-dev-app:4");
    };
    const result = await hook(throws)(hookEvent(), lambdaContext(5000));
    expect(result).toMatchObject({
      status: "Failed",
      outcome: "error",
      reason: expect.stringContaining("ResourceNotFoundException: Function not found"),
    });
    expect(reporter.statuses).toEqual(["Failed"]);
    expect(lastFields(logger.error)).toMatchObject({ outcome: "error", error: expect.stringContaining("ResourceNotFoundException") });
  });

  it("a check that throws synchronously reports Failed too", async () => {
    const throwsAtOnce = (() => {
      throw new TypeError("cannot read properties of undefined");
    }) as unknown as TrafficCheck;
    const result = await hook(throwsAtOnce)(hookEvent(), lambdaContext(5000));
    expect(result).toMatchObject({ status: "Failed", outcome: "error", reason: expect.stringContaining("TypeError") });
    expect(reporter.statuses).toEqual(["Failed"]);
  });

  it("a check that never finishes reports Failed before the Lambda's time is up, and its signal is aborted", async () => {
    let signal: AbortSignal | undefined;
    const hangs: TrafficCheck = (context) => {
      signal = context.signal;
      return new Promise<CheckOutcome>(() => undefined);
    };
    const started = Date.now();
    const result = await hook(hangs, { reportReserveMs: 150 })(hookEvent(), lambdaContext(400));
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({
      status: "Failed",
      outcome: "timed-out",
      reason: expect.stringMatching(/did not finish within its \d+ ms budget/),
    });
    expect(reporter.statuses).toEqual(["Failed"]);
    expect(elapsed).toBeLessThan(400);
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(signal?.aborted).toBe(true);
  });

  it("a check that rejects after its deadline changes nothing and raises no unhandled rejection", async () => {
    const late: TrafficCheck = () => new Promise((_resolve, reject) => setTimeout(() => reject(new Error("too late")), 150));
    const result = await hook(late, { reportReserveMs: 100 })(hookEvent(), lambdaContext(150));
    expect(result).toMatchObject({ status: "Failed", outcome: "timed-out" });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reporter.statuses).toEqual(["Failed"]);
  });

  it("with no time left for a check, reports Failed at once without running it", async () => {
    const check = jest.fn(passes);
    const result = await hook(check, { reportReserveMs: 5000 })(hookEvent(), lambdaContext(3000));
    expect(check).not.toHaveBeenCalled();
    expect(result).toMatchObject({
      status: "Failed",
      outcome: "timed-out",
      reason: expect.stringMatching(/No time was left.*5000 ms are kept.*longer timeout/),
    });
    expect(reporter.statuses).toEqual(["Failed"]);
  });
});

describe("a malformed event", () => {
  it.each<[string, unknown]>([
    ["without a hook execution id", { DeploymentId: DEPLOYMENT_ID }],
    ["that is not an object", "hello"],
    ["that is undefined", undefined],
  ])("%s cannot be reported: nothing is sent, the check does not run, and it is logged loudly", async (_name, event) => {
    const check = jest.fn(passes);
    const result = await hook(check)(event, lambdaContext(5000));
    expect(result).toEqual({ reported: false, reason: expect.stringContaining("Malformed CodeDeploy hook event") });
    expect(reporter.calls).toEqual([]);
    expect(check).not.toHaveBeenCalled();
    expect(logged(logger.error)).toMatch(/^MALFORMED HOOK EVENT: .*stop-deployment/);
    expect(lastFields(logger.error)).toMatchObject({ hook: "test-hook", outcome: "malformed-event", problems: expect.any(Array) });
  });
});

describe("reporting", () => {
  it("a status call failing once is retried: exactly one report succeeds", async () => {
    reporter.failNext(awsError("ThrottlingException", "Rate exceeded"));
    const result = await hook(passes)(hookEvent(), lambdaContext(5000));
    expect(result).toMatchObject({ reported: true, status: "Succeeded", reportAttempts: 2, alreadyReported: false });
    expect(reporter.statuses).toEqual(["Succeeded", "Succeeded"]);
    expect(logged(logger.warn)).toMatch(/attempt 1 of 3.*ThrottlingException/);
    expect(logger.info).toHaveBeenCalledTimes(1);
  });

  it("a status call that hangs is cut off and retried", async () => {
    reporter.hangNext();
    const result = await hook(passes, { reportAttemptTimeoutMs: 50 })(hookEvent(), lambdaContext(5000));
    expect(result).toMatchObject({ status: "Succeeded", reportAttempts: 2 });
    expect(reporter.calls[0]?.signal.aborted).toBe(true);
    expect(logged(logger.warn)).toMatch(/ReportAttemptTimeoutError: PutLifecycleEventHookExecutionStatus did not answer within 50 ms/);
  });

  it("an earlier report of the same hook execution counts as reported (a retried invocation)", async () => {
    reporter.failNext(awsError("LifecycleEventAlreadyCompletedException"));
    const result = await hook(passes)(hookEvent(), lambdaContext(5000));
    expect(result).toMatchObject({ reported: true, status: "Succeeded", alreadyReported: true, reportAttempts: 1 });
    expect(reporter.calls).toHaveLength(1);
    expect(logged(logger.warn)).toMatch(/already had a verdict/);
    expect(logger.error).not.toHaveBeenCalled();
  });

  it("a permanent error is not retried, and the invocation fails with the verdict logged", async () => {
    reporter.failNext(awsError("AccessDeniedException", "not authorized to perform codedeploy:PutLifecycleEventHookExecutionStatus"));
    const run = hook(passes)(hookEvent(), lambdaContext(5000));
    await expect(run).rejects.toThrow(LifecycleReportError);
    await expect(run).rejects.toThrow(/after 1 attempt\(s\): AccessDeniedException.*stop-deployment --deployment-id d-7Q2X9ABCD/);
    expect(reporter.calls).toHaveLength(1);
    expect(lastFields(logger.error)).toMatchObject({
      status: "Succeeded",
      reason: "all good",
      reportError: expect.stringContaining("AccessDeniedException"),
    });
  });

  it("gives up after the configured attempts, so the invocation fails and Lambda may retry it", async () => {
    for (let i = 0; i < 3; i++) reporter.failNext(awsError("InternalFailure"));
    const run = hook(passes)(hookEvent(), lambdaContext(5000));
    await expect(run).rejects.toMatchObject({ name: "LifecycleReportError", attempts: 3, status: "Succeeded" });
    expect(reporter.calls).toHaveLength(3);
  });

  it("never retries past the Lambda's remaining time", async () => {
    for (let i = 0; i < 5; i++) reporter.failNext(awsError("InternalFailure"));
    const started = Date.now();
    const run = hook(passes, { maxReportAttempts: 5, reportRetryDelayMs: 100, reportReserveMs: 250 })(hookEvent(), lambdaContext(300));
    await expect(run).rejects.toThrow(LifecycleReportError);
    expect(Date.now() - started).toBeLessThan(300);
    expect(reporter.calls.length).toBeLessThan(5);
  });
});
