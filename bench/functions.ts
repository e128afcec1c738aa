import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { bundleFunction } from "../stacks/bundle";
import { summarize, Summary } from "./stats";

const FUNCTIONS_DIR = path.resolve(__dirname, "..", "functions");

/** Every function folder with a handler. */
export function functionNames(): string[] {
  return readdirSync(FUNCTIONS_DIR).filter((name) => {
    try {
      return statSync(path.join(FUNCTIONS_DIR, name, "handler.ts")).isFile();
    } catch {
      return false;
    }
  });
}

export interface BundleFigures {
  readonly name: string;
  readonly bytes: number;
  /** Time to require the bundle in a fresh Node.js process (the module-load part of a cold start). */
  readonly coldLoad: Summary;
}

/** Bundles a function as the stacks do and measures its size and cold module-load time. */
export function benchBundle(name: string, runs = 15): BundleFigures {
  const dir = bundleFunction(path.join(FUNCTIONS_DIR, name, "handler.ts"));
  const file = path.join(dir, "index.js");
  const probe = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const result = spawnSync(process.execPath, ["-e", probe], {
      encoding: "utf8",
      // The variables the Lambda runtime sets; the handlers read theirs lazily.
      env: { ...process.env, AWS_REGION: "eu-west-1", AWS_LAMBDA_FUNCTION_NAME: name },
    });
    if (result.status !== 0) throw new Error(`loading ${name} failed: ${result.stderr}`);
    samples.push(Number(result.stdout));
  }
  return { name, bytes: statSync(file).size, coldLoad: summarize(samples) };
}
