import { benchBundle, functionNames } from "./functions";
import { benchSandbox, reportSandbox } from "./sandbox";
import { benchSynth } from "./synth";
import { ms } from "./stats";
import { benchWebhook } from "./webhook";

/** Budgets from the issues; a figure over its budget fails the run. */
const BUDGETS = {
  synthMs: 10_000,
  bundleBytes: 500 * 1024,
  coldLoadMedianMs: 100,
  webhookP99Ms: 50,
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
  report(`synth of build, dev, prod (fresh process): p50 ${ms(synth.p50)}, max ${ms(synth.max)}, ${synth.runs} runs; budget ${ms(BUDGETS.synthMs)}`, synth.max <= BUDGETS.synthMs);

  for (const name of functionNames()) {
    const figures = benchBundle(name);
    const kb = (figures.bytes / 1024).toFixed(1);
    report(`${name}: bundle ${kb} KB (budget 500 KB)`, figures.bytes <= BUDGETS.bundleBytes);
    report(
      `${name}: cold module load p50 ${ms(figures.coldLoad.p50)}, max ${ms(figures.coldLoad.max)}, ${figures.coldLoad.runs} runs; budget p50 ${ms(BUDGETS.coldLoadMedianMs)}`,
      figures.coldLoad.p50 <= BUDGETS.coldLoadMedianMs,
    );
  }

  const webhook = benchWebhook();
  report(
    `webhook handling of ${webhook.runs} signed deliveries: p50 ${ms(webhook.p50)}, p99 ${ms(webhook.p99)}, max ${ms(webhook.max)}, ${webhook.accepted} accepted; budget p99 ${ms(BUDGETS.webhookP99Ms)}`,
    webhook.p99 <= BUDGETS.webhookP99Ms && webhook.accepted === webhook.runs,
  );

  const burstSize = 50;
  for (const { line, ok } of reportSandbox(await benchSandbox(burstSize), burstSize)) report(line, ok);
  if (failed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
