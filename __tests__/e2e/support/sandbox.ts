/**
 * The sandbox as the end-to-end tests use it: brought up once per test file
 * with the real command (`sandbox/cli.ts up`, in a child process) in a
 * folder of its own, and always brought down again, also when a test fails.
 *
 * PIPEWRIGHT_E2E_SANDBOX_DIR=<folder of a sandbox you already started>
 * reuses that one instead (and leaves it running): for working on the
 * tests without waiting for `up` each time.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { requireMoto, requireTerraform } from "../../../sandbox/prerequisites";
import { runSandboxCli as cli } from "../../../sandbox/run-cli";
import type { SandboxState } from "../../../sandbox/state";

// The SDK's notice about Node 20 says nothing about pipewright.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

/** Where the logs of the last end-to-end sandbox are kept after it is removed (git-ignored). */
export const LAST_RUN_LOGS = path.join(REPO_ROOT, ".sandbox", "e2e-last-run-logs");

/** `up` takes about 90 s on a 2-core machine, most of it Terraform's own waits. */
export const UP_TIMEOUT_MS = 300_000;
export const DOWN_TIMEOUT_MS = 60_000;

/** Fails with the fix when the sandbox cannot run here; never skips. */
async function requirePrerequisites(): Promise<void> {
  const results = await Promise.allSettled([requireTerraform(), requireMoto()]);
  const missing = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).message] : []));
  if (missing.length > 0) throw new Error(`The end-to-end tests need Terraform and the AWS emulator:\n  - ${missing.join("\n  - ")}`);
}

/**
 * Brings the sandbox up in beforeAll and down in afterAll. Returns a getter:
 * the state exists only once beforeAll has run.
 */
export type UsedSandbox = (() => SandboxState) & {
  /** Runs `npm run sandbox -- <args>` against this sandbox; resolves with its output, rejects on a non-zero exit. */
  readonly cli: (args: readonly string[]) => Promise<string>;
};

export function useSandbox(): UsedSandbox {
  const reuse = process.env.PIPEWRIGHT_E2E_SANDBOX_DIR;
  const dir = reuse ?? mkdtempSync(path.join(tmpdir(), "pipewright-e2e-"));
  let state: SandboxState | undefined;

  beforeAll(async () => {
    if (!reuse) {
      await requirePrerequisites();
      const output = await cli(["up"], dir, UP_TIMEOUT_MS);
      process.stdout.write(`sandbox up:\n${output}`);
    }
    state = JSON.parse(readFileSync(path.join(dir, "state.json"), "utf8")) as SandboxState;
  }, UP_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    if (reuse) return;
    try {
      await cli(["down"], dir, DOWN_TIMEOUT_MS);
    } finally {
      // The sandbox's folder goes; its logs stay for whoever has to find out why a test failed.
      if (existsSync(path.join(dir, "logs"))) {
        rmSync(LAST_RUN_LOGS, { recursive: true, force: true });
        cpSync(path.join(dir, "logs"), LAST_RUN_LOGS, { recursive: true });
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }, DOWN_TIMEOUT_MS + 10_000);

  const current = () => {
    if (!state) throw new Error("The sandbox is not up: did beforeAll fail?");
    return state;
  };
  return Object.assign(current, { cli: (args: readonly string[]) => cli(args, dir, DOWN_TIMEOUT_MS) });
}
