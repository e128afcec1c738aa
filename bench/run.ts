import { benchColdLoad } from "./cold-load";
import { benchBundle, functionNames } from "./functions";
import { benchSandbox, reportSandbox } from "./sandbox";
import { benchSynth, benchSynthManyRepositories } from "./synth";
import { ms } from "./stats";
import { benchWebhook, reportWebhook, type WebhookBudgets } from "./webhook";

/** Budgets from the issues; a figure over its budget fails the run. */
const BUDGETS = {
  synthMs: 10_000,
  /** Issue 14: the same budget for a platform of many repositories. */
  synthManyRepositoriesMs: 10_000,
  bundleBytes: 500 * 1024,
  /** Median cold load (bundle plus the SDK clients its first invocation builds), for the functions GitHub and Slack wait on. */
  coldLoadMedianMs: { webhook: 100, slack: 100 } as Readonly<Record<string, number>>,
  /** The webhook's p99 per delivery; with a catalog of many repositories, that with one plus noise (bench/webhook.ts). */
  webhook: { p99Ms: 50, catalog: { repositories: 200, factor: 1.5, slackMs: 0.2 } } satisfies WebhookBudgets,
};

let failed = false;
function report(line: string, ok: boolean): void {
  failed ||= !ok;
  console.log(`${ok ? "OK  " : "OVER"} ${line}`);
}

async function main(): Promise<void> {
  // The SDK's notice that its 2027 releases need Node.js 22 (README, Prerequisites) is not a figure.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const synth = benchSynth(5);
  report(
    `synth of build, dev, prod (fresh process): p50 ${ms(synth.p50)}, max ${ms(synth.max)}, ${synth.runs} runs; budget ${ms(BUDGETS.synthMs)}`,
    synth.max <= BUDGETS.synthMs,
  );
  const [repositories, servicesEach] = [20, 3];
  const many = benchSynthManyRepositories(3, repositories, servicesEach);
  report(
    `synth of ${repositories} repositories x ${servicesEach} services (generated configuration, fresh process): p50 ${ms(many.p50)}, max ${ms(many.max)}, ${many.runs} runs; budget ${ms(BUDGETS.synthManyRepositoriesMs)}`,
    many.max <= BUDGETS.synthManyRepositoriesMs,
  );

  for (const name of functionNames()) {
    const bundle = benchBundle(name);
    report(`${name}: bundle ${(bundle.bytes / 1024).toFixed(1)} KB; budget 500 KB`, bundle.bytes <= BUDGETS.bundleBytes);
    const cold = benchColdLoad(name, bundle.file);
    const budget = BUDGETS.coldLoadMedianMs[name];
    report(
      `${name}: cold load (bundle + first invocation's SDK clients) p50 ${ms(cold.load.p50)}, max ${ms(cold.load.max)}, ${cold.load.runs} runs ` +
        `(bundle alone p50 ${ms(cold.module.p50)}; then the SDK's first call on each client p50 ${ms(cold.firstCalls.p50)}); ` +
        (budget === undefined ? "no budget" : `budget p50 ${ms(budget)}`),
      budget === undefined || cold.load.p50 <= budget,
    );
  }

  for (const { line, ok } of reportWebhook(benchWebhook(BUDGETS.webhook.catalog.repositories), BUDGETS.webhook)) report(line, ok);

  const burstSize = 50;
  for (const { line, ok } of reportSandbox(await benchSandbox(burstSize), burstSize)) report(line, ok);
  if (failed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
