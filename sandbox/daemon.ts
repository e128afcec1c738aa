/**
 * The sandbox's background process: it owns the Slack stand-in, the
 * emulator and the runtime (HTTP front, function environments, event
 * delivery) and outlives `up`.
 * `up` drives it over IPC; `down` stops it with SIGTERM (by PID).
 * Its stdout and stderr go to .sandbox/logs/sandbox.log.
 */
import { startEmulator, type Emulator } from "./emulator";
import type { DaemonReply, DaemonRequest } from "./daemon-protocol";
import { startRuntime, type Runtime } from "./runtime/runtime";
import { type SlackStandIn, startSlackStandIn } from "./slack-standin";

let slackStandIn: SlackStandIn | undefined;
let emulator: Emulator | undefined;
let runtime: Runtime | undefined;
let detached = false;
let stopping: Promise<void> | undefined;

function log(message: string, details: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), message, ...details })}\n`);
}

function reply(message: DaemonReply): void {
  process.send?.(message);
}

function shutdown(code: number): Promise<void> {
  stopping ??= (async () => {
    log("Stopping", { code });
    await runtime?.stop().catch((error: unknown) => log("Stopping the runtime failed", { error: String(error) }));
    await emulator?.stop();
    await slackStandIn?.close();
    log("Stopped");
    process.exit(code);
  })();
  return stopping;
}

async function handle(request: DaemonRequest): Promise<void> {
  switch (request.type) {
    case "start-slack-stand-in":
      slackStandIn = await startSlackStandIn({
        port: request.port,
        botToken: request.botToken,
        channels: request.channels,
        onCall: ({ kind, ok, error, channel, ts, responseId }) => log("Slack call", { kind, ok, error, channel, ts, responseId }),
      });
      log("Slack stand-in started", { url: slackStandIn.url });
      reply({ type: "slack-stand-in-ready", url: slackStandIn.url });
      return;
    case "start-emulator":
      // Errors always reach the log. One line per request costs the emulator a blocking pipe write
      // before each answer, which under a burst adds up: only when asked for (PIPEWRIGHT_SANDBOX_EMULATOR_LOG=1).
      emulator = await startEmulator({
        port: request.port,
        logFile: request.logFile,
        logRequests: request.logRequests,
        requestHistoryFile: request.requestHistoryFile,
      });
      log("Emulator started", { endpoint: emulator.endpoint, pid: emulator.pid });
      reply({ type: "emulator-ready", endpoint: emulator.endpoint, pid: emulator.pid });
      return;
    case "start-runtime":
      runtime = await startRuntime({ ...request.options, log });
      log("Runtime started", { httpApiUrl: runtime.httpApiUrl });
      reply({ type: "runtime-ready", httpApiUrl: runtime.httpApiUrl });
      return;
    case "detach":
      detached = true;
      log("Running in the background");
      process.disconnect?.();
      return;
  }
}

process.on("message", (request: DaemonRequest) => {
  handle(request).catch((error: unknown) => {
    log("Failed", { request: request.type, error: error instanceof Error ? error.stack : String(error) });
    reply({ type: "failed", message: error instanceof Error ? error.message : String(error) });
    void shutdown(1);
  });
});
// `up` died or gave up before it was done: nothing should stay behind.
process.on("disconnect", () => {
  if (!detached) void shutdown(1);
});
process.on("SIGTERM", () => void shutdown(0));
process.on("SIGINT", () => void shutdown(0));
