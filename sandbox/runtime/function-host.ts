/**
 * One execution environment of a function: a child process that loads the
 * deployed bundle once (the cold start) and then runs one invocation at a
 * time, as Lambda's Node.js runtime does. The parent (function-pool.ts)
 * sends invocations over IPC and enforces the timeout.
 *
 * Compiled on its own with esbuild: it imports nothing but Node's builtins
 * and the protocol types.
 */
import * as path from "node:path";
import type { HostMessage, InvocationContext, ParentMessage, SerializedError } from "./host-protocol";

type Handler = (event: unknown, context: object, callback: (error?: unknown, result?: unknown) => void) => unknown;

function send(message: HostMessage): void {
  process.send?.(message);
}

function serialize(error: unknown, fallbackType: string): SerializedError {
  if (error instanceof Error) {
    return { errorType: error.name || fallbackType, errorMessage: error.message, trace: (error.stack ?? "").split("\n") };
  }
  return { errorType: fallbackType, errorMessage: String(error), trace: [] };
}

function loadHandler(): Handler {
  const codeDir = process.env.LAMBDA_TASK_ROOT ?? "";
  const spec = process.env._HANDLER ?? "index.handler";
  const dot = spec.lastIndexOf(".");
  const file = path.resolve(codeDir, spec.slice(0, dot));
  const exported = spec.slice(dot + 1);
  const module = require(file) as Record<string, unknown>;
  const handler = module[exported];
  if (typeof handler !== "function") {
    const error = new Error(`${spec} is undefined or not exported`);
    error.name = "Runtime.HandlerNotFound";
    throw error;
  }
  return handler as Handler;
}

function lambdaContext(context: InvocationContext): object {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: context.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: context.functionArn,
    memoryLimitInMB: String(context.memoryMb),
    awsRequestId: context.requestId,
    logGroupName: context.logGroupName,
    logStreamName: context.logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, context.deadlineMs - Date.now()),
  };
}

/** Runs the handler, async or callback style, and settles with what it produced first. */
function runHandler(handler: Handler, event: unknown, context: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const callback = (error?: unknown, result?: unknown) => (error ? reject(error) : resolve(result));
    try {
      const returned = handler(event, context, callback);
      if (returned && typeof (returned as Promise<unknown>).then === "function") (returned as Promise<unknown>).then(resolve, reject);
      else if (handler.length < 3) resolve(returned);
    } catch (error) {
      reject(error);
    }
  });
}

let current: string | undefined;

function main(): void {
  let handler: Handler;
  try {
    handler = loadHandler();
  } catch (error) {
    send({ type: "init-error", error: serialize(error, "Runtime.ImportModuleError") });
    process.exitCode = 1;
    process.disconnect?.();
    return;
  }
  // A crash ends the environment, as in Lambda; the invocation that caused it fails.
  process.on("uncaughtException", (error) => {
    if (current) send({ type: "result", id: current, ok: false, error: serialize(error, "Runtime.UnhandledPromiseRejection") });
    process.exit(129);
  });
  process.on("message", (message: ParentMessage) => {
    if (message.type !== "invoke") return;
    current = message.id;
    runHandler(handler, message.event, lambdaContext(message.context))
      .then(
        (value) => send({ type: "result", id: message.id, ok: true, value: value === undefined ? null : value }),
        (error: unknown) => send({ type: "result", id: message.id, ok: false, error: serialize(error, "Error") }),
      )
      .finally(() => {
        current = undefined;
      });
  });
  send({ type: "ready" });
}

main();
