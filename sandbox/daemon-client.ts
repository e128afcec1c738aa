import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import * as path from "node:path";
import type { DaemonReply, DaemonRequest } from "./daemon-protocol";
import { DaemonError } from "./errors";
import { REPO_ROOT } from "./paths";
import { stopProcessGroup } from "./processes";
import { SANDBOX_NODE_FLAGS } from "./runtime/function-pool";
import type { RuntimeOptions } from "./runtime/runtime";

/** How long the background process may take for one request (the emulator's start included). */
const REQUEST_TIMEOUT_MS = 60_000;

/** `up`'s handle on the background process while it sets it up. */
export class DaemonClient {
  private constructor(
    private readonly child: ChildProcess,
    private readonly logFile: string,
  ) {}

  get pid(): number {
    return this.child.pid as number;
  }

  /**
   * Starts sandbox/daemon.ts detached (its own process group, so `down` can
   * stop it and everything it started by one PID), logging to `logFile`.
   */
  static launch(logFile: string): DaemonClient {
    const log = openSync(logFile, "a");
    try {
      const child = spawn(
        process.execPath,
        [...SANDBOX_NODE_FLAGS, "-r", require.resolve("ts-node/register/transpile-only"), path.join(REPO_ROOT, "sandbox", "daemon.ts")],
        {
          cwd: REPO_ROOT,
          detached: true,
          stdio: ["ignore", log, log, "ipc"],
          env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
        },
      );
      return new DaemonClient(child, logFile);
    } finally {
      closeSync(log);
    }
  }

  /** Starts the Slack stand-in on `port`; returns its URL. */
  async startSlackStandIn(options: { readonly port: number; readonly botToken: string; readonly channels: readonly string[] }): Promise<string> {
    return (await this.request({ type: "start-slack-stand-in", ...options }, "slack-stand-in-ready")).url;
  }

  async startEmulator(
    port: number,
    logs: { readonly logFile: string; readonly logRequests: boolean; readonly requestHistoryFile: string },
  ): Promise<{ endpoint: string; pid: number }> {
    const reply = await this.request({ type: "start-emulator", port, ...logs }, "emulator-ready");
    return { endpoint: reply.endpoint, pid: reply.pid };
  }

  /** Starts the runtime; returns the HTTP API's stage URL. */
  async startRuntime(options: Omit<RuntimeOptions, "log">): Promise<string> {
    return (await this.request({ type: "start-runtime", options }, "runtime-ready")).httpApiUrl;
  }

  /** Lets the background process run on after `up` exits. */
  async detach(): Promise<void> {
    const disconnected = new Promise<void>((resolve) => this.child.once("disconnect", () => resolve()));
    this.child.send({ type: "detach" } satisfies DaemonRequest);
    await disconnected;
    this.child.unref();
  }

  /** Stops the background process and what it started (after a failed `up`). */
  async kill(): Promise<void> {
    if (this.child.pid !== undefined) await stopProcessGroup(this.child.pid);
  }

  private request<T extends DaemonReply["type"]>(request: DaemonRequest, expected: T): Promise<Extract<DaemonReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.child.off("message", onMessage);
        this.child.off("exit", onExit);
      };
      const onMessage = (reply: DaemonReply) => {
        cleanup();
        if (reply.type === expected) resolve(reply as Extract<DaemonReply, { type: T }>);
        else if (reply.type === "failed") reject(new DaemonError(`${reply.message}\nSee ${this.logFile}`));
        else reject(new DaemonError(`The background process answered ${reply.type} to ${request.type}`));
      };
      const onExit = (code: number | null) => {
        cleanup();
        reject(new DaemonError(`The background process exited (code ${code}) during ${request.type}. See ${this.logFile}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new DaemonError(`The background process did not finish ${request.type} within ${REQUEST_TIMEOUT_MS / 1000} s. See ${this.logFile}`));
      }, REQUEST_TIMEOUT_MS);
      this.child.on("message", onMessage);
      this.child.once("exit", onExit);
      this.child.send(request);
    });
  }
}
