// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import type { Logger } from "@aws-lambda-powertools/logger";

/**
 * What every CodeDeploy traffic hook (BeforeAllowTraffic / AfterAllowTraffic)
 * shares: run a check against a deadline, turn every outcome into Succeeded or
 * Failed, and report it with PutLifecycleEventHookExecutionStatus. CodeDeploy
 * waits up to an hour for that report, so a hook that dies without reporting
 * stalls the deployment for an hour; this runner reports before the Lambda
 * timeout whatever the check does. Pure: the reporter is injected.
 */

export type HookStatus = "Succeeded" | "Failed";

/** How the check ended: the status follows from it, the reason explains it. */
export type HookOutcome = "passed" | "failed-check" | "error" | "timed-out";

export interface HookIds {
  deploymentId: string;
  lifecycleEventHookExecutionId: string;
}

/** What a check found. Exceptions are outcomes too (thrown, not returned). */
export type CheckOutcome =
  | { passed: true; summary: string; details?: Record<string, unknown> }
  | { passed: false; reason: string; details?: Record<string, unknown> };

export interface CheckContext {
  ids: HookIds;
  /** Aborted when the check's time is up; pass it to every call that can hang. */
  signal: AbortSignal;
  /** Epoch ms by which the check must be done (the runner gives up then). */
  deadline: number;
}

export type TrafficCheck = (context: CheckContext) => Promise<CheckOutcome>;

/** Sends the verdict to CodeDeploy; traffic-hook-aws.ts holds the SDK implementation. */
export interface LifecycleStatusReporter {
  report(ids: HookIds, status: HookStatus, signal: AbortSignal): Promise<void>;
}

export type HookLogger = Pick<Logger, "info" | "warn" | "error">;

/** The part of the Lambda context the runner needs. */
export interface HookInvocationContext {
  getRemainingTimeInMillis(): number;
}

export type HookResult =
  | { reported: false; reason: string }
  | {
      reported: true;
      status: HookStatus;
      outcome: HookOutcome;
      reason: string;
      /** CodeDeploy already had a verdict for this hook execution (a retried invocation). */
      alreadyReported: boolean;
      reportAttempts: number;
    };

export interface TrafficHookOptions {
  /** Name for logs, e.g. "pre-traffic". */
  hook: string;
  check: TrafficCheck;
  reporter: LifecycleStatusReporter;
  logger: HookLogger;
  /** Kept back from the Lambda's remaining time for reporting and logging. @default 5000 */
  reportReserveMs?: number;
  /** Attempts of PutLifecycleEventHookExecutionStatus. @default 3 */
  maxReportAttempts?: number;
  /** Per attempt, so one hanging call cannot eat the reserve. @default 1500 */
  reportAttemptTimeoutMs?: number;
  /** First delay between report attempts, doubled each time. @default 200 */
  reportRetryDelayMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Kept back even from the report, so the final log line is written before the Lambda is cut off. */
const FINAL_MARGIN_MS = 100;

/**
 * Errors after which another attempt cannot succeed: the call itself is
 * wrong or not allowed. Anything else (throttling, 5xx, network, timeout) is retried.
 */
const PERMANENT_REPORT_ERRORS = new Set([
  "AccessDeniedException",
  "DeploymentDoesNotExistException",
  "DeploymentIdRequiredException",
  "InvalidDeploymentIdException",
  "InvalidLifecycleEventHookExecutionIdException",
  "InvalidLifecycleEventHookExecutionStatusException",
  "UnsupportedActionForDeploymentTypeException",
  "ValidationException",
]);
const ALREADY_COMPLETED = "LifecycleEventAlreadyCompletedException";

/** The check did not finish before the deadline. */
export class CheckTimeoutError extends Error {
  constructor(readonly budgetMs: number) {
    super(`The check did not finish within its ${budgetMs} ms budget (the Lambda's remaining time minus the time kept for reporting)`);
    this.name = "CheckTimeoutError";
  }
}

/** One report attempt took longer than allowed. */
export class ReportAttemptTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`PutLifecycleEventHookExecutionStatus did not answer within ${timeoutMs} ms`);
    this.name = "ReportAttemptTimeoutError";
  }
}

/**
 * The verdict could not be reported. Thrown, so the invocation fails: Lambda's
 * retry of an asynchronous invocation runs the hook again, and a report that
 * did reach CodeDeploy after all is then answered as already completed.
 */
export class LifecycleReportError extends Error {
  constructor(
    readonly ids: HookIds,
    readonly status: HookStatus,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(
      `Could not report ${status} for hook execution ${ids.lifecycleEventHookExecutionId} of deployment ${ids.deploymentId} ` +
        `after ${attempts} attempt(s): ${describeError(cause)}. The deployment waits up to an hour for a report. ` +
        "Fix: check the hook role allows codedeploy:PutLifecycleEventHookExecutionStatus on the deployment group, " +
        `or stop the deployment: aws deploy stop-deployment --deployment-id ${ids.deploymentId} --auto-rollback-enabled`,
      { cause },
    );
    this.name = "LifecycleReportError";
  }
}

const hookEventSchema = z.object({
  DeploymentId: z.string().trim().min(1),
  LifecycleEventHookExecutionId: z.string().trim().min(1),
});

/** The ids of a CodeDeploy hook event, or the problems that make it unusable. */
export function parseHookEvent(event: unknown): { ok: true; ids: HookIds } | { ok: false; problems: string[] } {
  const parsed = hookEventSchema.safeParse(event);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((issue) => `${issue.path.join(".") || "event"}: ${issue.message}`) };
  }
  return {
    ok: true,
    ids: { deploymentId: parsed.data.DeploymentId, lifecycleEventHookExecutionId: parsed.data.LifecycleEventHookExecutionId },
  };
}

/** "Name: message" of an error, also of one from another realm or a plain object. */
export function describeError(cause: unknown): string {
  const { name, message } = (typeof cause === "object" && cause !== null ? cause : {}) as { name?: unknown; message?: unknown };
  if (typeof message !== "string") return String(cause);
  return `${typeof name === "string" ? name : "Error"}: ${message}`;
}

function errorName(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | undefined)?.name;
  return typeof name === "string" ? name : undefined;
}

/** A short, log-safe rendering of what arrived instead of a hook event. */
function preview(event: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(event) ?? String(event);
  } catch {
    text = String(event);
  }
  return text.length > 500 ? `${text.slice(0, 500)}...` : text;
}

interface Verdict {
  status: HookStatus;
  outcome: HookOutcome;
  reason: string;
  details?: Record<string, unknown>;
  error?: unknown;
}

/**
 * Runs `work` with a signal; rejects with `onTimeout()` after `ms`. The signal
 * is aborted when time is up and also once the race is over, so nothing the
 * work left running outlives it.
 */
async function withTimeout<T>(work: (signal: AbortSignal) => Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => {
        const error = onTimeout();
        // Reject before aborting: the race must settle as a timeout, not as the work's abort error.
        reject(error);
        controller.abort(error);
      },
      Math.max(0, ms),
    );
  });
  // async wrapper: a check that throws synchronously still clears the timer below.
  const running = (async () => work(controller.signal))();
  // A late rejection of the abandoned work must not surface as unhandled.
  running.catch(() => undefined);
  try {
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
    if (!controller.signal.aborted) controller.abort();
  }
}

/** Builds a Lambda handler for a CodeDeploy traffic hook around `options.check`. */
export function makeTrafficHookHandler(options: TrafficHookOptions) {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const reserveMs = options.reportReserveMs ?? 5000;
  const maxAttempts = Math.max(1, options.maxReportAttempts ?? 3);
  const attemptTimeoutMs = options.reportAttemptTimeoutMs ?? 1500;
  const retryDelayMs = options.reportRetryDelayMs ?? 200;
  const { logger, hook } = options;

  async function judge(ids: HookIds, deadline: number, remainingMs: number): Promise<Verdict> {
    const budgetMs = deadline - now();
    if (budgetMs <= 0) {
      const reason =
        `No time was left for the check: the invocation had ${remainingMs} ms and ${reserveMs} ms are kept for reporting. ` +
        "Fix: give the hook function a longer timeout";
      return { status: "Failed", outcome: "timed-out", reason };
    }
    try {
      const result = await withTimeout(
        (signal) => options.check({ ids, signal, deadline }),
        budgetMs,
        () => new CheckTimeoutError(budgetMs),
      );
      return result.passed
        ? { status: "Succeeded", outcome: "passed", reason: result.summary, details: result.details }
        : { status: "Failed", outcome: "failed-check", reason: result.reason, details: result.details };
    } catch (error) {
      if (error instanceof CheckTimeoutError) return { status: "Failed", outcome: "timed-out", reason: error.message };
      return { status: "Failed", outcome: "error", reason: `The check could not run: ${describeError(error)}`, error };
    }
  }

  async function report(ids: HookIds, status: HookStatus, hardDeadline: number): Promise<{ attempts: number; alreadyReported: boolean }> {
    let lastError: unknown;
    let attempt = 0;
    while (attempt < maxAttempts) {
      attempt += 1;
      if (attempt > 1) {
        const delay = Math.min(retryDelayMs * 2 ** (attempt - 2), Math.max(0, hardDeadline - now()));
        await sleep(delay);
      }
      const left = hardDeadline - now();
      // The first attempt is made even when no time seems left: it is the only chance.
      if (attempt > 1 && left <= 0) break;
      const timeoutMs = attempt === 1 && left <= 0 ? attemptTimeoutMs : Math.min(attemptTimeoutMs, left);
      try {
        await withTimeout(
          (signal) => options.reporter.report(ids, status, signal),
          timeoutMs,
          () => new ReportAttemptTimeoutError(timeoutMs),
        );
        return { attempts: attempt, alreadyReported: false };
      } catch (error) {
        // An earlier attempt or invocation got through (perhaps one whose answer was lost).
        if (errorName(error) === ALREADY_COMPLETED) return { attempts: attempt, alreadyReported: true };
        lastError = error;
        const permanent = PERMANENT_REPORT_ERRORS.has(errorName(error) ?? "");
        logger.warn(`PutLifecycleEventHookExecutionStatus failed (attempt ${attempt} of ${maxAttempts})${permanent ? "; not retrying" : ""}`, {
          hook,
          ...ids,
          status,
          error: describeError(error),
        });
        if (permanent) break;
      }
    }
    throw new LifecycleReportError(ids, status, attempt, lastError);
  }

  return async (event: unknown, context: HookInvocationContext): Promise<HookResult> => {
    const startedAt = now();
    const parsed = parseHookEvent(event);
    if (!parsed.ok) {
      // Without both ids nothing can be reported, and a retry would not add them:
      // log loudly (an operator must stop the deployment) and end without throwing.
      const reason = `Malformed CodeDeploy hook event, so no status can be reported: ${parsed.problems.join("; ")}`;
      logger.error(
        `MALFORMED HOOK EVENT: ${reason}. If a deployment waits on this hook, stop it: aws deploy stop-deployment --deployment-id <id> --auto-rollback-enabled`,
        {
          hook,
          outcome: "malformed-event",
          problems: parsed.problems,
          event: preview(event),
        },
      );
      return { reported: false, reason };
    }
    const { ids } = parsed;
    const remainingMs = context.getRemainingTimeInMillis();
    const hardDeadline = startedAt + remainingMs - FINAL_MARGIN_MS;
    const verdict = await judge(ids, startedAt + remainingMs - reserveMs, remainingMs);
    const checkDurationMs = now() - startedAt;
    const fields = {
      hook,
      ...ids,
      status: verdict.status,
      outcome: verdict.outcome,
      reason: verdict.reason,
      details: verdict.details,
      error: verdict.error === undefined ? undefined : describeError(verdict.error),
      remainingTimeMs: remainingMs,
      checkDurationMs,
    };
    let reported: { attempts: number; alreadyReported: boolean };
    try {
      reported = await report(ids, verdict.status, hardDeadline);
    } catch (error) {
      logger.error(`Traffic hook ${hook} could not report ${verdict.status}: ${verdict.reason}`, {
        ...fields,
        reportError: describeError(error),
        totalDurationMs: now() - startedAt,
      });
      throw error;
    }
    const line = `Traffic hook ${hook} reported ${verdict.status}: ${verdict.reason}`;
    const all = { ...fields, reportAttempts: reported.attempts, alreadyReported: reported.alreadyReported, totalDurationMs: now() - startedAt };
    if (reported.alreadyReported) {
      logger.warn(`${line} (CodeDeploy already had a verdict for this hook execution; a retried invocation?)`, all);
    } else if (verdict.status === "Succeeded") {
      logger.info(line, all);
    } else {
      logger.error(line, all);
    }
    return {
      reported: true,
      status: verdict.status,
      outcome: verdict.outcome,
      reason: verdict.reason,
      alreadyReported: reported.alreadyReported,
      reportAttempts: reported.attempts,
    };
  };
}
