import type { Context } from "aws-lambda";

/** The context Lambda passes a function's handler, for one invocation. */
export function lambdaContext(functionName: string, awsRequestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:111111111111:function:${functionName}`,
    memoryLimitInMB: "256",
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "2026/01/01/[$LATEST]0123456789abcdef",
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * The JSON lines Powertools' logger writes while `run` runs: it writes to
 * stdout, and errors to stderr. Its level is read when a logger is made, so
 * POWERTOOLS_LOG_LEVEL must be set before.
 */
export async function loggedLines(run: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const chunks: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  };
  const stdout = jest.spyOn(process.stdout, "write").mockImplementation(capture);
  const stderr = jest.spyOn(process.stderr, "write").mockImplementation(capture);
  try {
    await run();
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return chunks
    .flatMap((chunk) => chunk.split("\n"))
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
