/** A Lambda context and the log lines Powertools writes, for tests of the functions' entry points. */
import type { Context } from "aws-lambda";
import * as z from "zod";

export interface LambdaContextOptions {
  functionName?: string;
  requestId?: string;
  /** Time left of the invocation; it runs down in real time. @default 30000 */
  remainingMs?: number;
}

/** The context the Lambda runtime hands a function's handler. */
export function lambdaContext(options: LambdaContextOptions = {}): Context {
  const functionName = options.functionName ?? "pipewright-test";
  const end = Date.now() + (options.remainingMs ?? 30_000);
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:111111111111:function:${functionName}`,
    memoryLimitInMB: "256",
    awsRequestId: options.requestId ?? "c6af9ac6-7b61-11e6-9a41-93e812345678",
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
    getRemainingTimeInMillis: () => Math.max(0, end - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const logLine = z.record(z.string(), z.unknown());

/**
 * Collects the JSON lines Powertools loggers write to stdout and stderr (its
 * console writes to both streams directly) until `restore()`.
 */
export function capturePowertoolsLogs(): { lines: () => Record<string, unknown>[]; restore: () => void } {
  const written: string[] = [];
  const collect = (chunk: unknown): boolean => {
    written.push(String(chunk));
    return true;
  };
  const spies = [jest.spyOn(process.stdout, "write").mockImplementation(collect), jest.spyOn(process.stderr, "write").mockImplementation(collect)];
  return {
    lines: () =>
      written
        .join("")
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => logLine.parse(JSON.parse(line))),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

/** The JSON lines Powertools' loggers write while `run` runs (its level is read when a logger is made: set POWERTOOLS_LOG_LEVEL before). */
export async function loggedLines(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const capture = capturePowertoolsLogs();
  try {
    await run();
  } finally {
    capture.restore();
  }
  return capture.lines();
}
