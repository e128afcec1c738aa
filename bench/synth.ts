import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { summarize, type Summary } from "./stats";

const ROOT = path.resolve(__dirname, "..");

/** Wall time of `npm run synth`'s command (all three stacks, example config), fresh process each run. */
export function benchSynth(runs = 5): Summary {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const outdir = mkdtempSync(path.join(tmpdir(), "pipewright-bench-"));
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "main.ts"], {
      cwd: ROOT,
      env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" },
      encoding: "utf8",
    });
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    rmSync(outdir, { recursive: true, force: true });
    if (result.status !== 0) throw new Error(`synth failed: ${result.stderr}`);
  }
  return summarize(samples);
}
