import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import type { HostMessage, SerializedError } from "./host-protocol";
import type { RunnableFunction } from "./manifest";

/** How an invocation ended, as Lambda reports it. */
export type InvokeOutcome =
  | { readonly ok: true; readonly requestId: string; readonly value: unknown; readonly durationMs: number }
  | {
      readonly ok: false;
      readonly requestId: string;
      /** Unhandled: the handler threw; Timeout, InitError and Crash: the environment failed. */
      readonly kind: "Unhandled" | "Timeout" | "InitError" | "Crash";
      readonly error: SerializedError;
      readonly durationMs: number;
    };

export interface PoolOptions {
  /** The compiled function-host.js. */
  readonly hostScript: string;
  readonly endpoint: string;
  readonly region: string;
  /** Where the SDK and other runtime-provided modules are found (Lambda puts them on NODE_PATH too). */
  readonly nodePath: string;
  readonly logFile: string;
  /** Environments at most, also for functions without reserved concurrency. */
  readonly maxEnvironments: number;
}

/**
 * V8 flags for the sandbox's Node.js processes (the function environments
 * and the runtime): no optimizing compiler, code stops at the baseline tier
 * (Sparkplug). These processes run short, varied code on a machine with few
 * cores, and TurboFan's compiling cost more CPU than its code saved: with it
 * off the PR function's environments took about a third less CPU for the
 * same burst (sandbox/README.md has the figures). Behaviour is unchanged; only
 * speed differs from Lambda, which runs Node with its default flags.
 */
export const SANDBOX_NODE_FLAGS: readonly string[] = ["--max-opt=1"];

/** A function could not be loaded (e.g. its bundle throws at import). */
export class FunctionInitError extends Error {
  constructor(
    readonly functionName: string,
    readonly error: SerializedError,
  ) {
    super(`Function ${functionName} failed to initialize: ${error.errorType}: ${error.errorMessage}`);
    this.name = "FunctionInitError";
  }
}

interface Environment {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly logStream: string;
  /** Settles the invocation in progress, if any. */
  settle?: (message: HostMessage | { type: "exit"; code: number | null }) => void;
}

/**
 * The execution environments of one function: child processes running its
 * deployed bundle with its environment variables and its role's
 * credentials, at most one invocation each at a time, at most
 * `reservedConcurrency` (capped by `maxEnvironments`) of them. Invocations
 * beyond that wait for a free environment.
 */
export class FunctionPool {
  private readonly environments = new Set<Environment>();
  private readonly idle: Environment[] = [];
  private readonly waiting: Array<(environment: Environment) => void> = [];
  private readonly log: WriteStream;
  private stopped = false;

  constructor(
    readonly fn: RunnableFunction,
    private readonly options: PoolOptions,
  ) {
    this.log = createWriteStream(options.logFile, { flags: "a" });
  }

  get maxEnvironments(): number {
    return Math.max(1, Math.min(this.fn.reservedConcurrency ?? Number.POSITIVE_INFINITY, this.options.maxEnvironments));
  }

  /** Starts every environment ahead of traffic; throws FunctionInitError if the bundle does not load. */
  async warm(): Promise<void> {
    const started = Array.from({ length: this.maxEnvironments - this.environments.size }, () => this.spawn());
    await Promise.all(started.map((environment) => environment.ready));
    for (const environment of started) this.release(environment);
  }

  async invoke(event: unknown): Promise<InvokeOutcome> {
    const requestId = randomUUID();
    const environment = await this.acquire();
    const started = Date.now();
    const elapsed = () => Date.now() - started;
    try {
      await environment.ready;
    } catch (error) {
      this.retire(environment);
      const failure = error instanceof FunctionInitError ? error.error : { errorType: "Runtime.Unknown", errorMessage: String(error), trace: [] };
      return { ok: false, requestId, kind: "InitError", error: failure, durationMs: elapsed() };
    }
    this.line(`START RequestId: ${requestId} Version: $LATEST`);
    const timeoutMs = this.fn.timeoutSeconds * 1000;
    const outcome = await new Promise<InvokeOutcome>((resolve) => {
      const timer = setTimeout(() => {
        environment.settle = undefined;
        this.retire(environment, "SIGKILL");
        resolve({
          ok: false,
          requestId,
          kind: "Timeout",
          error: { errorType: "Sandbox.Timedout", errorMessage: `Task timed out after ${this.fn.timeoutSeconds.toFixed(2)} seconds`, trace: [] },
          durationMs: elapsed(),
        });
      }, timeoutMs);
      environment.settle = (message) => {
        clearTimeout(timer);
        environment.settle = undefined;
        if (message.type === "result" && message.ok) resolve({ ok: true, requestId, value: message.value, durationMs: elapsed() });
        else if (message.type === "result" && !message.ok)
          resolve({ ok: false, requestId, kind: "Unhandled", error: message.error, durationMs: elapsed() });
        else {
          const code = message.type === "exit" ? message.code : null;
          resolve({
            ok: false,
            requestId,
            kind: "Crash",
            error: {
              errorType: "Runtime.ExitError",
              errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: exit status ${code}`,
              trace: [],
            },
            durationMs: elapsed(),
          });
        }
      };
      environment.child.send({
        type: "invoke",
        id: requestId,
        event,
        context: {
          requestId,
          functionName: this.fn.name,
          functionArn: this.fn.arn,
          memoryMb: this.fn.memoryMb,
          logGroupName: this.fn.logGroup,
          logStreamName: environment.logStream,
          deadlineMs: Date.now() + timeoutMs,
        },
      });
    });
    // The Node.js runtime logs what a failed invocation threw, so the function's own log tells why.
    if (!outcome.ok) this.line(`${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify(outcome.error)}`);
    this.line(`END RequestId: ${requestId}`);
    this.line(`REPORT RequestId: ${requestId}\tDuration: ${outcome.durationMs} ms${outcome.ok ? "" : `\tStatus: ${outcome.kind}`}`);
    if (this.environments.has(environment)) this.release(environment);
    return outcome;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.environments].map((environment) => this.retire(environment)));
    await new Promise<void>((resolve) => this.log.end(resolve));
  }

  private acquire(): Promise<Environment> {
    const free = this.idle.pop();
    if (free) return Promise.resolve(free);
    if (this.environments.size < this.maxEnvironments) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(environment: Environment): void {
    const next = this.waiting.shift();
    if (next) next(environment);
    else this.idle.push(environment);
  }

  private retire(environment: Environment, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const { child } = environment;
    const exited = new Promise<void>((resolve) =>
      child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve()),
    );
    this.forget(environment);
    child.kill(signal);
    return exited;
  }

  /** Drops an environment that is gone or going; a waiting invocation gets a new one. */
  private forget(environment: Environment): void {
    if (!this.environments.delete(environment)) return;
    const index = this.idle.indexOf(environment);
    if (index >= 0) this.idle.splice(index, 1);
    if (!this.stopped && this.waiting.length > 0) this.release(this.spawn());
  }

  private spawn(): Environment {
    const { fn, options } = this;
    const logStream = `${new Date().toISOString().slice(0, 10).replace(/-/g, "/")}/[$LATEST]${randomUUID().replace(/-/g, "")}`;
    const child = fork(options.hostScript, [], {
      cwd: fn.codeDir,
      // Not the runtime's own flags (ts-node's loader): plain Node, as Lambda runs it, with the sandbox's V8 flags.
      execArgv: [...SANDBOX_NODE_FLAGS],
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        NODE_PATH: options.nodePath,
        TZ: ":UTC",
        LANG: "en_US.UTF-8",
        ...fn.environment,
        AWS_REGION: options.region,
        AWS_DEFAULT_REGION: options.region,
        // SDK v3 sends every client to this endpoint: the emulator.
        AWS_ENDPOINT_URL: options.endpoint,
        AWS_ACCESS_KEY_ID: fn.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: fn.credentials.secretAccessKey,
        ...(fn.credentials.sessionToken ? { AWS_SESSION_TOKEN: fn.credentials.sessionToken } : {}),
        AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
        AWS_LAMBDA_FUNCTION_NAME: fn.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
        AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
        AWS_LAMBDA_LOG_GROUP_NAME: fn.logGroup,
        AWS_LAMBDA_LOG_STREAM_NAME: logStream,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        LAMBDA_TASK_ROOT: fn.codeDir,
        _HANDLER: fn.handler,
      },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    let environment: Environment;
    const ready = new Promise<void>((resolve, reject) => {
      child.on("message", (message: HostMessage) => {
        if (message.type === "ready") resolve();
        else if (message.type === "init-error") reject(new FunctionInitError(fn.name, message.error));
        else environment.settle?.(message);
      });
      child.once("exit", (code) => {
        reject(
          new FunctionInitError(fn.name, { errorType: "Runtime.ExitError", errorMessage: `exited with status ${code} while starting`, trace: [] }),
        );
        environment.settle?.({ type: "exit", code });
        this.forget(environment);
      });
    });
    // Unobserved until an invocation or warm() awaits it.
    ready.catch(() => undefined);
    environment = { child, ready, logStream };
    this.environments.add(environment);
    return environment;
  }

  private line(text: string): void {
    this.log.write(`${text}\n`);
  }
}
