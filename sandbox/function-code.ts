import { execFile } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { promisify } from "node:util";
import type { FunctionSpec } from "./runtime/manifest";

const run = promisify(execFile);

/**
 * Unpacks the archive Terraform deployed for a function (the esbuild
 * bundle, zipped at synth time) into `dir`: the sandbox runs exactly the
 * code Lambda would. python3 is already required by the emulator, and its
 * zipfile module spares the project a zip dependency.
 */
export async function unpackFunction(fn: FunctionSpec, dir: string): Promise<string> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await run("python3", ["-m", "zipfile", "-e", fn.archive, dir]);
  return dir;
}
