/**
 * The local sandbox, measured the product's way. Brings a sandbox up in a
 * folder of its own (timing `up`), sends the README's sample deliveries one at
 * a time (bench/expected-calls.ts), then bursts of pull requests, brings it
 * down, and reads the emulator's request history: the AWS calls each function
 * made for each sample and the longest chain of calls that waited on each
 * other (bench/calls.ts).
 *
 *   npx ts-node --transpile-only bench/sandbox.ts [--burst 50]
 *
 * Budgets: no call beyond a sample's expected ones; in the bursts, every pull
 * request's pipelines appear and go, and the webhook accepts every delivery.
 * Always brings the sandbox down.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CodePipelineClient, ListPipelinesCommand } from "@aws-sdk/client-codepipeline";
import { commit, pullRequestPayload } from "../__tests__/e2e/support/payloads";
import { loadSandboxConfig } from "../sandbox/config";
import { setLatency } from "../sandbox/emulator";
import { REPO_ROOT, SandboxPaths } from "../sandbox/paths";
import { runSandboxCli } from "../sandbox/run-cli";
import { readState, type SandboxRepository, type SandboxState } from "../sandbox/state";
import {
  type ApprovalMessage,
  newestApprovalMessage,
  postSlackRequest,
  type SignedSlackRequest,
  signedBlockAction,
  signedSlashCommand,
} from "../sandbox/slack-requests";
import { readRecordedSlackCalls } from "../sandbox/slack-standin";
import { sendDelivery } from "../sandbox/webhook-client";
import { APPROVE_ACTION_ID } from "../functions/shared/slack/approval";
import {
  callsByFunction,
  compareCalls,
  countOperations,
  formatCounts,
  parseRequestHistory,
  type CallDifference,
  type OperationCounts,
  type RecordedCall,
  longestChain,
} from "./calls";
import { FIRST_INVOCATION_CLIENTS } from "./cold-load-clients";
import { SAMPLE_EVENTS, type SampleEvent } from "./expected-calls";
import { functionNames } from "./functions";
import { ms, summarize, type Summary } from "./stats";

/** A pull request whose pipelines do not appear (or go) within this long counts as lost. */
const LOST_AFTER_MS = 60_000;
const POLL_INTERVAL_MS = 100;
/** A sample's function that has not finished within this long fails the benchmark. */
const INVOCATION_TIMEOUT_MS = 30_000;
/** `up` takes about 90 s on a 2-core machine; no command should take 5 minutes. */
const CLI_TIMEOUT_MS = 300_000;
/** Rounds of bursts: the first traffic after the samples, then the same again. */
const ROUNDS = 2;
/**
 * The emulator's answer delay while the samples run: longer than a function
 * takes to prepare the calls it sends side by side, so they overlap in the
 * request history (bench/calls.ts, longestChain). Off for the bursts.
 */
const SAMPLE_LATENCY_MS = 200;

export interface BurstFigures {
  readonly latency: Summary;
  /** POST to the webhook's answer. */
  readonly answer: Summary;
  /** Pull requests whose pipelines never reached the expected state. */
  readonly lost: number;
  /** Deliveries the webhook did not answer with 202. */
  readonly refused: number;
}

export interface FunctionCalls {
  /** Function folder, e.g. pr-pipelines. */
  readonly fn: string;
  readonly counts: OperationCounts;
  /** The longest chain of its calls that waited on each other. */
  readonly chain: number;
  readonly more: readonly CallDifference[];
  readonly fewer: readonly CallDifference[];
}

export interface SampleFigures {
  readonly sample: SampleEvent;
  readonly functions: readonly FunctionCalls[];
}

export interface SandboxFigures {
  readonly upSeconds: number;
  /** Seconds per step of `up`, as it printed them. */
  readonly steps: Record<string, number>;
  readonly samples: readonly SampleFigures[];
  /** Services a function's first invocation called that bench/cold-load-clients.ts does not list for it. */
  readonly unlistedFirstInvocationServices: ReadonlyArray<{ readonly fn: string; readonly services: readonly string[] }>;
  readonly rounds: ReadonlyArray<{ readonly opened: BurstFigures; readonly closed: BurstFigures }>;
}

export class SampleDeliveryError extends Error {
  constructor(sample: string, problem: string) {
    super(
      `The sample "${sample}" ${problem}. Fix: look at the sandbox's function logs (the benchmark keeps none: run npm run sandbox -- up and send it yourself)`,
    );
    this.name = "SampleDeliveryError";
  }
}

const cli = (args: readonly string[], dir: string) => runSandboxCli(args, dir, CLI_TIMEOUT_MS);

/** The "✓ step (12.3 s)" lines `up` prints. */
function stepTimings(output: string): Record<string, number> {
  const steps: Record<string, number> = {};
  for (const match of output.matchAll(/✓ (.+) \(([\d.]+) s\)/g)) steps[match[1] as string] = Number(match[2]);
  return steps;
}

/** Invocations of a function that have ended, from the END lines of its log in the sandbox. */
function endedInvocations(logDir: string, functionName: string): number {
  try {
    return readFileSync(path.join(logDir, `function-${functionName}.log`), "utf8")
      .split("\n")
      .filter((line) => line.startsWith("END RequestId:")).length;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
}

/** Waits until `condition` holds, running `refresh` (if any) before each look. */
async function until(condition: () => boolean, timeoutMs: number, refresh?: () => Promise<void>): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await refresh?.();
    if (condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

interface SampleWindow {
  readonly sample: SampleEvent;
  readonly fromMs: number;
  readonly toMs: number;
}

/** Sends each sample once its predecessor's function has ended; returns when each was in flight. */
async function sendSamples(state: SandboxState, functionName: (fn: string) => string): Promise<SampleWindow[]> {
  const windows: SampleWindow[] = [];
  for (const sample of SAMPLE_EVENTS) {
    const consumer = functionName(sample.consumer);
    const ended = endedInvocations(state.logDir, consumer);
    // A click needs its message: the notifier posts it once the push's run reaches the approval.
    const prepared = await prepareRequest(state, sample);
    const fromMs = Date.now();
    const answer = await prepared();
    if (!answer.ok) throw new SampleDeliveryError(sample.name, answer.problem);
    if (!(await until(() => endedInvocations(state.logDir, consumer) > ended, INVOCATION_TIMEOUT_MS))) {
      throw new SampleDeliveryError(sample.name, `did not end an invocation of ${consumer} within ${INVOCATION_TIMEOUT_MS / 1000} s`);
    }
    windows.push({ sample, fromMs, toMs: Date.now() });
  }
  return windows;
}

type SendOutcome = { ok: true } | { ok: false; problem: string };

/** The sample's request, ready to send: a signed GitHub delivery, or a signed Slack request. */
async function prepareRequest(state: SandboxState, sample: SampleEvent): Promise<() => Promise<SendOutcome>> {
  const { request } = sample;
  if (request.kind === "github") {
    return async () => {
      const answer = await sendDelivery(state.webhookUrl, state.webhookSecret, {
        event: request.event,
        body: readFileSync(path.join(REPO_ROOT, request.payloadFile)),
      });
      return answer.status === 202 && answer.body.includes('"accepted"')
        ? { ok: true }
        : { ok: false, problem: `was answered HTTP ${answer.status} ${answer.body}, not 202 accepted` };
    };
  }
  const slack = state.slack;
  if (slack === undefined) return async () => ({ ok: false, problem: "needs Slack in bot mode, and config/sandbox.json is not" });
  const common = {
    signingSecret: slack.signingSecret,
    userId: slack.approvers[0] as string,
    channelId: slack.channel,
    responseUrl: `${slack.standInUrl}/response/${randomUUID()}`,
  };
  let signed: SignedSlackRequest;
  let url: string;
  if (request.kind === "slack-command") {
    signed = signedSlashCommand({ ...common, command: "/pipewright", text: request.text });
    url = slack.commandsUrl;
  } else {
    let approval: ApprovalMessage | undefined;
    await until(
      () => approval !== undefined,
      INVOCATION_TIMEOUT_MS,
      async () => {
        approval = newestApprovalMessage(await readRecordedSlackCalls(slack.standInUrl), request.pipeline);
      },
    );
    if (approval === undefined) return async () => ({ ok: false, problem: `found no approval message of ${request.pipeline} in Slack` });
    signed = signedBlockAction({ ...common, message: approval.message, actionId: APPROVE_ACTION_ID });
    url = slack.interactionsUrl;
  }
  return async () => {
    const answer = await postSlackRequest(url, signed);
    return answer.status === 200 ? { ok: true } : { ok: false, problem: `was answered HTTP ${answer.status} ${answer.body}, not 200` };
  };
}

/** What each sample cost, by function, from the request history. */
function sampleFigures(history: readonly RecordedCall[], windows: readonly SampleWindow[], functionName: (fn: string) => string): SampleFigures[] {
  return windows.map(({ sample, fromMs, toMs }) => {
    const folders = Object.keys(sample.expected);
    const calls = callsByFunction(history, functionNames().map(functionName), fromMs, toMs);
    return {
      sample,
      functions: folders.map((fn) => {
        const made = calls.get(functionName(fn)) ?? [];
        const counts = countOperations(made);
        return { fn, counts, chain: longestChain(made), ...compareCalls(sample.expected[fn] ?? {}, counts) };
      }),
    };
  });
}

/** Each function's first invocation here must need only the clients the cold-load figure builds. */
function unlistedFirstInvocationServices(
  history: readonly RecordedCall[],
  windows: readonly SampleWindow[],
  functionName: (fn: string) => string,
): SandboxFigures["unlistedFirstInvocationServices"] {
  const seen = new Set<string>();
  const unlisted: Array<{ fn: string; services: string[] }> = [];
  for (const { sample, fromMs, toMs } of windows) {
    for (const fn of Object.keys(sample.expected)) {
      if (seen.has(fn)) continue;
      seen.add(fn);
      const called = new Set(
        (callsByFunction(history, functionNames().map(functionName), fromMs, toMs).get(functionName(fn)) ?? []).map((call) => call.service),
      );
      const listed = new Set((FIRST_INVOCATION_CLIENTS[fn] ?? []).map((client) => client.service));
      const missing = [...called].filter((service) => !listed.has(service)).sort();
      if (missing.length > 0) unlisted.push({ fn, services: missing });
    }
  }
  return unlisted;
}

async function pipelineNames(pipelines: CodePipelineClient): Promise<Set<string>> {
  const names = new Set<string>();
  let nextToken: string | undefined;
  do {
    const page = await pipelines.send(new ListPipelinesCommand({ nextToken, maxResults: 1000 }));
    for (const p of page.pipelines ?? []) names.add(p.name as string);
    nextToken = page.nextToken;
  } while (nextToken);
  return names;
}

/**
 * Sends one delivery per pull request of the first repository (the
 * samples'), all at once, and records for each the time until
 * `reached(names)` holds for its pipelines, polling ListPipelines (one call
 * sees every pipeline).
 */
async function burst(
  state: SandboxState,
  pipelines: CodePipelineClient,
  numbers: readonly number[],
  action: "opened" | "closed",
  minute: number,
): Promise<BurstFigures> {
  // `up` lists every configured repository, so there is a first.
  const repository = state.repositories[0] as SandboxRepository;
  const prPipelines = (n: number) => repository.pipelines.map((p) => `${p.name}-pr-${n}`);
  const reached = (n: number, existing: Set<string>) =>
    action === "opened" ? prPipelines(n).every((name) => existing.has(name)) : prPipelines(n).every((name) => !existing.has(name));
  const posted = new Map<number, number>();
  const done = new Map<number, number>();
  const answered: number[] = [];
  let refused = 0;

  const sending = Promise.all(
    numbers.map(async (n) => {
      const body = JSON.stringify(
        pullRequestPayload({
          repository: repository.repository,
          number: n,
          action,
          headSha: commit(`bench ${n}`),
          updatedAt: new Date(Date.UTC(2026, 0, 1, 12, minute)),
        }),
      );
      posted.set(n, Date.now());
      const answer = await sendDelivery(state.webhookUrl, state.webhookSecret, { event: "pull_request", body, deliveryId: randomUUID() });
      answered.push(Date.now() - (posted.get(n) as number));
      if (answer.status !== 202) refused += 1;
    }),
  );
  const deadline = Date.now() + LOST_AFTER_MS;
  while (done.size < numbers.length && Date.now() < deadline) {
    const existing = await pipelineNames(pipelines);
    const now = Date.now();
    for (const n of numbers) if (!done.has(n) && posted.has(n) && reached(n, existing)) done.set(n, now);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  await sending;
  const latencies = [...done].map(([n, at]) => at - (posted.get(n) as number));
  return { latency: summarize(latencies), answer: summarize(answered), lost: numbers.length - done.size, refused };
}

async function bursts(state: SandboxState, burstSize: number): Promise<SandboxFigures["rounds"]> {
  const pipelines = new CodePipelineClient({
    endpoint: state.awsEndpoint,
    region: state.region,
    credentials: state.credentials.build,
    maxAttempts: 1,
  });
  try {
    const rounds: Array<{ opened: BurstFigures; closed: BurstFigures }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const numbers = Array.from({ length: burstSize }, (_, i) => 1000 + round * burstSize + i);
      const opened = await burst(state, pipelines, numbers, "opened", 0);
      const closed = await burst(state, pipelines, numbers, "closed", 1);
      rounds.push({ opened, closed });
    }
    return rounds;
  } finally {
    pipelines.destroy();
  }
}

/** Brings a sandbox up in a folder of its own, measures, and always brings it down. */
export async function benchSandbox(burstSize = 50): Promise<SandboxFigures> {
  const paths = new SandboxPaths(mkdtempSync(path.join(tmpdir(), "pipewright-bench-")));
  const { projectName } = loadSandboxConfig();
  const functionName = (fn: string) => `${projectName}-${fn}`;
  let down = false;
  try {
    const started = Date.now();
    const output = await cli(["up"], paths.dir);
    const upSeconds = (Date.now() - started) / 1000;
    const state = readState(paths.stateFile);
    if (!state) throw new Error(`up wrote no ${paths.stateFile}`);
    const emulator = { endpoint: state.awsEndpoint };
    await setLatency(emulator, SAMPLE_LATENCY_MS);
    const windows = await sendSamples(state, functionName);
    await setLatency(emulator, 0);
    const rounds = await bursts(state, burstSize);
    // The emulator writes its request history when it stops.
    await cli(["down"], paths.dir);
    down = true;
    const history = parseRequestHistory(readFileSync(paths.emulatorRequestHistory, "utf8"));
    return {
      upSeconds,
      steps: stepTimings(output),
      samples: sampleFigures(history, windows, functionName),
      unlistedFirstInvocationServices: unlistedFirstInvocationServices(history, windows, functionName),
      rounds,
    };
  } finally {
    if (!down) await cli(["down"], paths.dir).catch((error: unknown) => console.error(error));
    rmSync(paths.dir, { recursive: true, force: true });
  }
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`;
const total = (counts: OperationCounts) => Object.values(counts).reduce((sum, count) => sum + count, 0);
const describeDifferences = (differences: readonly CallDifference[]) =>
  differences.map((d) => `${d.operation} ${d.actual} (expected ${d.expected})`).join(", ");

/** One line per figure and whether it is within its budget (run.ts prints them with OK/OVER). */
export function reportSandbox(figures: SandboxFigures, burstSize: number): Array<{ line: string; ok: boolean }> {
  const steps = Object.entries(figures.steps)
    .map(([step, s]) => `${step} ${s.toFixed(1)} s`)
    .join("; ");
  const lines = [{ line: `sandbox up: ${figures.upSeconds.toFixed(1)} s (${steps}); no budget`, ok: true }];
  for (const { sample, functions } of figures.samples) {
    const calls = functions.reduce((sum, f) => sum + total(f.counts), 0);
    const chain = functions.map((f) => f.chain);
    lines.push({
      line: `${sample.name}: ${calls} AWS calls, longest chain ${chain.join(" + ")} = ${chain.reduce((a, b) => a + b, 0)} (${functions.map((f) => f.fn).join(", then ")}); budget: the expected calls, none more`,
      ok: functions.every((f) => f.more.length === 0),
    });
    for (const f of functions) {
      const notes = [
        f.more.length > 0 ? `MORE than expected: ${describeDifferences(f.more)}` : "",
        f.fewer.length > 0 ? `fewer than expected (update bench/expected-calls.ts): ${describeDifferences(f.fewer)}` : "",
      ].filter(Boolean);
      lines.push({
        line: `  ${f.fn}: ${plural(total(f.counts), "call")}, longest chain ${f.chain}: ${formatCounts(f.counts)}${notes.length ? `; ${notes.join("; ")}` : ""}`,
        ok: f.more.length === 0,
      });
    }
  }
  for (const { fn, services } of figures.unlistedFirstInvocationServices) {
    lines.push({
      line: `${fn}: its first invocation called ${services.join(", ")}, which its cold-load figure does not build. Fix: add them to bench/cold-load-clients.ts`,
      ok: false,
    });
  }
  for (const [index, round] of figures.rounds.entries()) {
    const when = index === 0 ? "first" : "again";
    for (const [what, b] of [
      ["opened", round.opened],
      ["closed", round.closed],
    ] as const) {
      lines.push({
        line:
          `sandbox burst of ${burstSize} PRs ${what}, ${when}: POST to pipelines ${what === "opened" ? "existing" : "gone"} ` +
          `p50 ${ms(b.latency.p50)}, p99 ${ms(b.latency.p99)}, max ${ms(b.latency.max)} (webhook answered p50 ${ms(b.answer.p50)}, p99 ${ms(b.answer.p99)}); ` +
          `lost ${b.lost}, refused ${b.refused}; budget: none lost or refused`,
        ok: b.lost === 0 && b.refused === 0,
      });
    }
  }
  return lines;
}

if (require.main === module) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const index = process.argv.indexOf("--burst");
  const size = index >= 0 ? Number(process.argv[index + 1]) : 50;
  benchSandbox(size).then(
    (figures) => {
      for (const { line, ok } of reportSandbox(figures, size)) {
        console.log(`${ok ? "OK  " : "OVER"} ${line}`);
        if (!ok) process.exitCode = 1;
      }
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
