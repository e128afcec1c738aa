/**
 * The local sandbox under load. Brings a sandbox up in a folder of its own
 * (timing `up` and each stack's apply), then sends bursts of pull request
 * deliveries at once and measures, per pull request, the time from its
 * POST to its pipelines existing (opened) and being gone (closed).
 *
 *   npx ts-node --transpile-only bench/sandbox.ts [--burst 50] [--sandbox-dir .sandbox]
 *
 * --sandbox-dir measures the bursts against a sandbox already up (no up timing).
 *
 * Two rounds: the first traffic after `up`, then the same again with the
 * environments warm. Budget, for both: p99 at most 2 s, no pull request
 * lost. Always brings the sandbox down.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CodePipelineClient, ListPipelinesCommand } from "@aws-sdk/client-codepipeline";
import { commit, pullRequestPayload } from "../__tests__/e2e/support/payloads";
import { runSandboxCli } from "../sandbox/run-cli";
import type { SandboxState } from "../sandbox/state";
import { sendDelivery } from "../sandbox/webhook-client";
import { ms, summarize, type Summary } from "./stats";

/** A pull request whose pipelines do not appear (or go) within this long counts as lost. */
const LOST_AFTER_MS = 60_000;
const POLL_INTERVAL_MS = 100;

export const SANDBOX_BUDGETS = { burstP99Ms: 2_000, lost: 0 } as const;

export interface BurstFigures {
  readonly latency: Summary;
  /** POST to the webhook's answer. */
  readonly answer: Summary;
  /** Pull requests whose pipelines never reached the expected state. */
  readonly lost: number;
  /** Deliveries the webhook did not answer with 202. */
  readonly refused: number;
}

export interface SandboxFigures {
  readonly upSeconds: number;
  /** Seconds per step of `up`, as it printed them (applies of dev, prod and build included). */
  readonly steps: Record<string, number>;
  /** Round 1 is the first traffic after `up` (environments that never ran); round 2 the same again, warm. */
  readonly rounds: ReadonlyArray<{ readonly opened: BurstFigures; readonly closed: BurstFigures }>;
}

/** Rounds of bursts per run: the first after `up`, and one warm. */
const ROUNDS = 2;

/** `up` takes about 90 s on a 2-core machine; no command should take 5 minutes. */
const CLI_TIMEOUT_MS = 300_000;
const cli = (args: readonly string[], dir: string) => runSandboxCli(args, dir, CLI_TIMEOUT_MS);

/** The "✓ step (12.3 s)" lines `up` prints. */
function stepTimings(output: string): Record<string, number> {
  const steps: Record<string, number> = {};
  for (const match of output.matchAll(/✓ (.+) \(([\d.]+) s\)/g)) steps[match[1] as string] = Number(match[2]);
  return steps;
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
 * Sends one delivery per pull request, all at once, and records for each
 * the time until `reached(names)` holds for its pipelines, polling
 * ListPipelines (one call sees every pipeline).
 */
async function burst(
  state: SandboxState,
  pipelines: CodePipelineClient,
  numbers: readonly number[],
  action: "opened" | "closed",
  minute: number,
): Promise<BurstFigures> {
  const prPipelines = (n: number) => state.pipelines.map((p) => `${p.name}-pr-${n}`);
  const reached = (n: number, existing: Set<string>) =>
    action === "opened" ? prPipelines(n).every((name) => existing.has(name)) : prPipelines(n).every((name) => !existing.has(name));
  const posted = new Map<number, number>();
  const done = new Map<number, number>();
  const answered: number[] = [];
  let refused = 0;

  const sending = Promise.all(
    numbers.map(async (n) => {
      const body = JSON.stringify(
        pullRequestPayload({ repository: state.repository, number: n, action, headSha: commit(`bench ${n}`), updatedAt: new Date(Date.UTC(2026, 0, 1, 12, minute)) }),
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

async function bursts(state: SandboxState, burstSize: number, firstNumber: number): Promise<Pick<SandboxFigures, "rounds">> {
  const pipelines = new CodePipelineClient({ endpoint: state.awsEndpoint, region: state.region, credentials: state.credentials.build, maxAttempts: 1 });
  try {
    const rounds: Array<{ opened: BurstFigures; closed: BurstFigures }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const numbers = Array.from({ length: burstSize }, (_, i) => firstNumber + round * burstSize + i);
      const opened = await burst(state, pipelines, numbers, "opened", 0);
      const closed = await burst(state, pipelines, numbers, "closed", 1);
      rounds.push({ opened, closed });
    }
    return { rounds };
  } finally {
    pipelines.destroy();
  }
}

/** Brings a sandbox up in a folder of its own, measures, and always brings it down. */
export async function benchSandbox(burstSize = 50): Promise<SandboxFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), "pipewright-bench-"));
  try {
    const started = Date.now();
    const output = await cli(["up"], dir);
    const upSeconds = (Date.now() - started) / 1000;
    const state = JSON.parse(readFileSync(path.join(dir, "state.json"), "utf8")) as SandboxState;
    return { upSeconds, steps: stepTimings(output), ...(await bursts(state, burstSize, 1000)) };
  } finally {
    await cli(["down"], dir).catch((error: unknown) => console.error(error));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One line per figure and whether it is within its budget (run.ts prints them with OK/OVER). */
export function reportSandbox(figures: SandboxFigures, burstSize: number): Array<{ line: string; ok: boolean }> {
  const steps = Object.entries(figures.steps).map(([step, s]) => `${step} ${s.toFixed(1)} s`).join("; ");
  const lines = [{ line: `sandbox up: ${figures.upSeconds.toFixed(1)} s (${steps}); no budget`, ok: true }];
  for (const [index, round] of figures.rounds.entries()) {
    const when = index === 0 ? "first after up" : "again (warm)";
    for (const [what, burst] of [["opened", round.opened], ["closed", round.closed]] as const) {
      lines.push({
        line:
          `sandbox burst of ${burstSize} PRs ${what}, ${when}: POST to pipelines ${what === "opened" ? "existing" : "gone"} ` +
          `p50 ${ms(burst.latency.p50)}, p99 ${ms(burst.latency.p99)}, max ${ms(burst.latency.max)}; lost ${burst.lost}, refused ${burst.refused} ` +
          `(webhook answered: p50 ${ms(burst.answer.p50)}, p99 ${ms(burst.answer.p99)}); budget p99 ${ms(SANDBOX_BUDGETS.burstP99Ms)}, none lost`,
        ok: burst.latency.p99 <= SANDBOX_BUDGETS.burstP99Ms && burst.lost <= SANDBOX_BUDGETS.lost && burst.refused === 0,
      });
    }
  }
  return lines;
}

/** Bursts against a sandbox you already started (its folder), e.g. while tuning the runtime. */
async function benchRunningSandbox(dir: string, burstSize: number): Promise<SandboxFigures> {
  const state = JSON.parse(readFileSync(path.join(dir, "state.json"), "utf8")) as SandboxState;
  return { upSeconds: Number.NaN, steps: {}, ...(await bursts(state, burstSize, 1000 + Math.floor(Math.random() * 100_000))) };
}

if (require.main === module) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const arg = (name: string) => {
    const index = process.argv.indexOf(name);
    return index >= 0 ? process.argv[index + 1] : undefined;
  };
  const size = Number(arg("--burst") ?? 50);
  const running = arg("--sandbox-dir");
  (running ? benchRunningSandbox(running, size) : benchSandbox(size)).then(
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
