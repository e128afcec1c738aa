import { benchSynth } from "./synth";
import { ms } from "./stats";

/** Budgets from the issues; a figure over budget fails the run. */
const SYNTH_BUDGET_MS = 10_000;

function main(): void {
  let failed = false;
  const synth = benchSynth(5);
  const ok = synth.max <= SYNTH_BUDGET_MS;
  failed ||= !ok;
  console.log(`synth (build, dev, prod; fresh process): p50 ${ms(synth.p50)}, max ${ms(synth.max)} over ${synth.runs} runs; budget ${ms(SYNTH_BUDGET_MS)} ${ok ? "OK" : "OVER"}`);
  if (failed) process.exit(1);
}

main();
