import { spawn } from "node:child_process";
import * as path from "node:path";
import { SANDBOX_DIR_ENV } from "./paths";

const REPO_ROOT = path.resolve(__dirname, "..");

/**
 * Runs `npm run sandbox -- <args>` in a child process for the sandbox in
 * `dir` (the end-to-end tests and the benchmark use folders of their own).
 * Resolves with its output; rejects with it on a non-zero exit, or after
 * `timeoutMs` (the child is interrupted, so `up` stops what it started).
 */
export function runSandboxCli(args: readonly string[], dir: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [require.resolve("ts-node/dist/bin.js"), "--transpile-only", path.join(REPO_ROOT, "sandbox", "cli.ts"), ...args],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, [SANDBOX_DIR_ENV]: dir },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGINT"), timeoutMs);
    child.once("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`sandbox ${args.join(" ")} exited with ${code}:\n${output}`));
    });
  });
}
