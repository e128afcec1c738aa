/**
 * Launcher for pipewright's AWS emulator (moto, patched: see sandbox/emulator/README.md).
 *
 * Tests:    const emulator = await startEmulator(); ...; await emulator.stop();
 * Sandbox:  npx ts-node --transpile-only sandbox/emulator.ts [port]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, readFileSync, type WriteStream } from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";

export interface EmulatorOptions {
  /** Port on 127.0.0.1; 0 (default) lets the OS pick a free one. */
  port?: number;
  /** Make moto check IAM permissions (sets INITIAL_NO_AUTH_ACTION_COUNT=0). */
  iamChecks?: boolean;
  /** Append the server's output (errors, tracebacks) to this file. */
  logFile?: string;
  /** Also log one line per request to `logFile` (slows the server under load). */
  logRequests?: boolean;
  /** Write the last requests (see sandbox/emulator/request_history.py) to this file when the server stops. */
  requestHistoryFile?: string;
  /** How long to wait for the server to answer (default 20 s). */
  readyTimeoutMs?: number;
}

export interface Emulator {
  endpoint: string;
  port: number;
  pid: number;
  /** Stops the server's whole process group and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

export interface EmulatorClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  forcePathStyle: boolean;
  maxAttempts: number;
}

export interface LifecycleHookStatusReport {
  accountId: string;
  region: string;
  deploymentId: string;
  lifecycleEventHookExecutionId: string;
  status: string;
  /** Epoch seconds. */
  reportedAt: number;
}

export const EMULATOR_REGION = "us-east-1";
/** moto's default account, used when a request names none. */
export const EMULATOR_DEFAULT_ACCOUNT = "123456789012";
/** Request header that selects the moto account a call acts in. */
export const MOTO_ACCOUNT_HEADER = "x-moto-account-id";

const PYTHON = "python3";
const SERVER_SCRIPT = path.join(__dirname, "emulator", "server.py");
const READY_LINE = /^EMULATOR_READY port=(\d+)$/;
const STDERR_TAIL_LINES = 25;
const STOP_GRACE_MS = 5_000;
const REQUIREMENTS_FILE = path.join(__dirname, "emulator", "requirements.txt");

/** The moto release the emulator's patches are written against, as pinned in sandbox/emulator/requirements.txt. */
export function motoRequirement(): { requirement: string; version: string } {
  const requirement = readFileSync(REQUIREMENTS_FILE, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .find((line) => /^moto\[server\]==\S+$/.test(line));
  if (!requirement) throw new Error(`${REQUIREMENTS_FILE} pins no moto release (a line moto[server]==X.Y.Z). Fix: restore the file from git`);
  return { requirement, version: requirement.slice(requirement.indexOf("==") + 2) };
}

const installHint = () => `Fix: python3 -m pip install '${motoRequirement().requirement}'`;

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const args = [SERVER_SCRIPT, "--port", String(options.port ?? 0), "--exit-on-stdin-eof"];
  if (options.logFile && options.logRequests) args.push("--log-requests");
  if (options.requestHistoryFile) args.push("--request-history", options.requestHistoryFile);
  // Own process group, so stop() can signal the server and anything it spawns.
  // stdin stays an open pipe: when this Node process dies, the server sees EOF and exits.
  const child = spawn(PYTHON, args, {
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
    env: emulatorEnv(options.iamChecks ?? false),
  });
  const stdout = child.stdout as Readable;
  const stderr = child.stderr as Readable;
  const stderrTail = keepTail(stderr, STDERR_TAIL_LINES);
  const log = options.logFile ? teeToLog(options.logFile, stdout, stderr) : undefined;
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const stop = once(() => stopProcessGroup(child, closed, log));

  let port: number;
  try {
    port = await waitForReadyLine(child, stdout, stderrTail, options.readyTimeoutMs ?? 20_000);
  } catch (error) {
    await stop();
    throw error;
  }
  // Do not let a forgotten emulator keep Node alive; the stdin pipe then ends the server.
  for (const handle of [child, child.stdin, stdout, stderr]) unref(handle);
  return { endpoint: `http://127.0.0.1:${port}`, port, pid: child.pid as number, stop };
}

/** SDK v3 client configuration for the emulator: `new S3Client(emulatorClientConfig(emulator))`. */
export function emulatorClientConfig(emulator: Pick<Emulator, "endpoint">, region: string = EMULATOR_REGION): EmulatorClientConfig {
  return {
    endpoint: emulator.endpoint,
    region,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    forcePathStyle: true,
    // A call moto does not implement answers 500: fail at once instead of retrying.
    maxAttempts: 1,
  };
}

interface BuildArgs {
  input: object;
  request: unknown;
}
type BuildHandler<Output> = (args: BuildArgs) => Promise<Output>;
/** The part of an SDK v3 client that inAccount() needs. */
export interface MiddlewareClient {
  middlewareStack: {
    add(middleware: <Output>(next: BuildHandler<Output>) => BuildHandler<Output>, options: { step: "build"; name: string; override: boolean }): void;
  };
}

/** Make every call of `client` act in moto account `accountId` (12 digits). Returns the client. */
export function inAccount<C extends MiddlewareClient>(client: C, accountId: string): C {
  if (!/^\d{12}$/.test(accountId)) throw new Error(`Not an AWS account id: "${accountId}"`);
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers[MOTO_ACCOUNT_HEADER] = accountId;
      return next(args);
    },
    { step: "build", name: "pipewrightEmulatorAccount", override: true },
  );
  return client;
}

/** What CodeDeploy hooks reported through PutLifecycleEventHookExecutionStatus, oldest first. */
export async function lifecycleHookStatuses(emulator: Pick<Emulator, "endpoint">): Promise<LifecycleHookStatusReport[]> {
  const response = await fetch(`${emulator.endpoint}/pipewright/lifecycle-hook-statuses`);
  if (!response.ok) throw new Error(`Emulator answered ${response.status} for lifecycle hook statuses`);
  const body = (await response.json()) as { lifecycleHookStatuses: LifecycleHookStatusReport[] };
  return body.lifecycleHookStatuses;
}

/**
 * Holds every later answer back `milliseconds` (0: none), as the network and AWS would
 * (sandbox/emulator/latency.py): calls a client sent side by side then overlap in the request history.
 */
export async function setLatency(emulator: Pick<Emulator, "endpoint">, milliseconds: number): Promise<void> {
  const response = await fetch(`${emulator.endpoint}/pipewright/latency`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ milliseconds }),
  });
  if (!response.ok) throw new Error(`Emulator answered ${response.status} to a latency of ${milliseconds} ms: ${await response.text()}`);
}

/** What `POST /pipewright/faults` sets (sandbox/emulator/faults.py). */
export interface Faults {
  /** Signing name of the service, e.g. "codepipeline". */
  readonly service: string;
  /** Its actions whose calls are throttled, e.g. ["CreatePipeline"]. */
  readonly actions: readonly string[];
  /** Above 0, at most 1: the share of each action's calls that fail, spread evenly. */
  readonly share: number;
}

const faultsReportSchema = z.object({ throttled: z.record(z.string(), z.number().int()) });

/**
 * Makes `share` of the named actions' calls answer 400 ThrottlingException "Rate exceeded", as
 * AWS does over its rate limits (sandbox/emulator/faults.py), until clearFaults.
 */
export async function setFaults(emulator: Pick<Emulator, "endpoint">, faults: Faults): Promise<void> {
  const response = await fetch(`${emulator.endpoint}/pipewright/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(faults),
  });
  if (!response.ok) throw new Error(`Emulator answered ${response.status} to faults ${JSON.stringify(faults)}: ${await response.text()}`);
}

/** Clears the faults; returns how many calls of each action were throttled since they were set. */
export async function clearFaults(emulator: Pick<Emulator, "endpoint">): Promise<Record<string, number>> {
  const response = await fetch(`${emulator.endpoint}/pipewright/faults`, { method: "DELETE" });
  if (!response.ok) throw new Error(`Emulator answered ${response.status} to clearing its faults: ${await response.text()}`);
  return faultsReportSchema.parse(await response.json()).throttled;
}

/** Categories of the actions whose outcome rules decide: Source actions succeed, Approval actions wait for PutApprovalResult. */
const RULED_ACTION_CATEGORIES = ["Build", "Deploy", "Test", "Invoke", "Compute"] as const;
const ACTION_OUTCOMES = ["Succeeded", "Failed", "InProgress"] as const;

const actionOutcomeRuleSchema = z.object({
  pipeline: z.string(),
  stage: z.string().optional(),
  action: z.string().optional(),
  category: z.enum(RULED_ACTION_CATEGORIES).optional(),
  outcome: z.enum(ACTION_OUTCOMES),
  summary: z.string().optional(),
});
const actionOutcomesReportSchema = z.object({ rules: z.array(actionOutcomeRuleSchema) });

/** One rule of `POST /pipewright/action-outcomes` (sandbox/emulator/action_outcomes.py). */
export type ActionOutcomeRule = Readonly<z.infer<typeof actionOutcomeRuleSchema>>;

/**
 * Replaces the emulator's action-outcome rules (for every account): when an execution starts an
 * action that is neither a Source nor an Approval, the first rule whose given fields all match it
 * (`pipeline` an fnmatch glob of the pipeline's name, `stage`, `action`, `category` equal) decides:
 * Succeeded or Failed finish it at once with the rule's summary, InProgress (as without a matching
 * rule) leaves it running. Rules apply to actions started later, not to those already running.
 */
export async function setActionOutcomes(emulator: Pick<Emulator, "endpoint">, rules: readonly ActionOutcomeRule[]): Promise<void> {
  const response = await fetch(`${emulator.endpoint}/pipewright/action-outcomes`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ rules }),
  });
  if (!response.ok)
    throw new Error(`Emulator answered ${response.status} to action-outcome rules ${JSON.stringify(rules)}: ${await response.text()}`);
}

/** Clears the action-outcome rules (actions started later stay InProgress); returns the rules that were set. */
export async function clearActionOutcomes(emulator: Pick<Emulator, "endpoint">): Promise<ActionOutcomeRule[]> {
  const response = await fetch(`${emulator.endpoint}/pipewright/action-outcomes`, { method: "DELETE" });
  if (!response.ok) throw new Error(`Emulator answered ${response.status} to clearing its action-outcome rules: ${await response.text()}`);
  return actionOutcomesReportSchema.parse(await response.json()).rules;
}

function emulatorEnv(iamChecks: boolean): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // A fixed MOTO_ACCOUNT_ID would override the per-request account header.
  delete env.MOTO_ACCOUNT_ID;
  if (iamChecks) env.INITIAL_NO_AUTH_ACTION_COUNT = "0";
  else delete env.INITIAL_NO_AUTH_ACTION_COUNT;
  return env;
}

function waitForReadyLine(child: ChildProcess, stdout: Readable, stderrTail: () => string[], timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: stdout });
    const finish = (outcome: () => void): void => {
      clearTimeout(timer);
      child.off("exit", onExit);
      child.off("error", onError);
      lines.off("line", onLine);
      outcome();
    };
    const onLine = (line: string): void => {
      const match = READY_LINE.exec(line.trim());
      if (match) finish(() => resolve(Number(match[1])));
    };
    const onExit = (code: number | null, signal: string | null): void =>
      finish(() => reject(startupError(`exited (${signal ?? `code ${code}`}) before it was ready`, stderrTail())));
    const onError = (error: Error): void =>
      finish(() => reject(startupError(`could not be started: is "${PYTHON}" on the PATH? (${error.message})`, stderrTail())));
    const timer = setTimeout(() => finish(() => reject(startupError(`did not answer within ${timeoutMs} ms`, stderrTail()))), timeoutMs);
    lines.on("line", onLine);
    child.once("exit", onExit);
    child.once("error", onError);
  });
}

function startupError(what: string, stderr: string[]): Error {
  const output = stderr.join("\n");
  // server.py prints the fix itself when it can import moto's server; add it otherwise.
  const missingMoto = /No module named/.test(output) && !output.includes("Fix:");
  return new Error(
    [
      `AWS emulator (${SERVER_SCRIPT}) ${what}.`,
      output ? `Last stderr lines:\n${output}` : "It wrote nothing to stderr.",
      missingMoto ? installHint() : "",
    ]
      .filter(Boolean)
      .join("\n"),
  );
}

async function stopProcessGroup(child: ChildProcess, closed: Promise<void>, log?: WriteStream): Promise<void> {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    signalGroup(child.pid, "SIGTERM");
    const forceKill = setTimeout(() => signalGroup(child.pid as number, "SIGKILL"), STOP_GRACE_MS);
    await closed;
    clearTimeout(forceKill);
  }
  if (log) await new Promise<void>((resolve) => log.end(resolve));
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    // ESRCH: the group is already gone, which is what we want.
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

function keepTail(stream: Readable, size: number): () => string[] {
  const tail: string[] = [];
  // Reading also drains the pipe, which the server would otherwise block on.
  createInterface({ input: stream }).on("line", (line) => {
    tail.push(line);
    if (tail.length > size) tail.shift();
  });
  return () => [...tail];
}

function teeToLog(file: string, ...streams: Readable[]): WriteStream {
  const log = createWriteStream(file, { flags: "a" });
  // end: false, because two streams share the file; stop() closes it.
  for (const stream of streams) stream.pipe(log, { end: false });
  return log;
}

function unref(handle: unknown): void {
  (handle as { unref?: () => void } | null)?.unref?.();
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => (result ??= fn());
}

async function runSandbox(port: number): Promise<void> {
  const emulator = await startEmulator({ port });
  console.log(`AWS emulator listening on ${emulator.endpoint} (pid ${emulator.pid}). Ctrl-C stops it.`);
  const keepAlive = setInterval(() => undefined, 1 << 30);
  process.once("SIGINT", () => {
    clearInterval(keepAlive);
    void emulator.stop();
  });
}

if (require.main === module) {
  runSandbox(Number(process.argv[2] ?? 0)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
