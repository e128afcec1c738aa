import { readdirSync, rmSync } from "node:fs";
import * as path from "node:path";

/** The repository: config/, stacks/, node_modules/. */
export const REPO_ROOT = path.resolve(__dirname, "..");

/** Chooses the sandbox folder; tests set it to keep their sandbox apart from a developer's. */
export const SANDBOX_DIR_ENV = "PIPEWRIGHT_SANDBOX_DIR";

/** Where one sandbox keeps everything it writes (git-ignored `.sandbox/` by default). */
export class SandboxPaths {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): SandboxPaths {
    return new SandboxPaths(env[SANDBOX_DIR_ENV] || path.join(REPO_ROOT, ".sandbox"));
  }

  /** The contract file: endpoints, secret, accounts, pipelines (plus the PIDs to stop). */
  get stateFile(): string {
    return path.join(this.dir, "state.json");
  }

  get logDir(): string {
    return path.join(this.dir, "logs");
  }

  /** The background process: runtime, function logs, deliveries. */
  get daemonLog(): string {
    return path.join(this.logDir, "sandbox.log");
  }

  /** The emulator's errors (and, when asked for, one line per request). */
  get emulatorLog(): string {
    return path.join(this.logDir, "emulator.log");
  }

  /** The emulator's last requests, written when it stops (sandbox/emulator/request_history.py). */
  get emulatorRequestHistory(): string {
    return path.join(this.logDir, "emulator-requests.log");
  }

  terraformLog(stack: string): string {
    return path.join(this.logDir, `terraform-${stack}.log`);
  }

  /** cdktf output; each stack's local state lands in `dir` (the backend path is ../../../). */
  get synthDir(): string {
    return path.join(this.dir, "cdktf.out");
  }

  stackDir(stack: string): string {
    return path.join(this.synthDir, "stacks", stack);
  }

  terraformState(stack: string): string {
    return path.join(this.dir, `terraform.${stack}.tfstate`);
  }

  get terraformRc(): string {
    return path.join(this.dir, "terraform.rc");
  }

  /** The deployed function archives, unpacked: what the sandbox runs. */
  functionDir(functionName: string): string {
    return path.join(this.dir, "functions", functionName);
  }

  /** Compiled helper scripts (the function host). */
  get binDir(): string {
    return path.join(this.dir, "bin");
  }
}

/** What a sandbox writes into its folder; removed by `down` and before `up` (never anything else). */
const SANDBOX_ENTRIES = [/^state\.json$/, /^cdktf\.out$/, /^functions$/, /^bin$/, /^terraform\.\w+\.tfstate(\.backup)?$/, /^terraform\.rc$/];

/** Removes what a sandbox wrote; its logs only when asked to. */
export function removeSandboxFiles(paths: SandboxPaths, options: { includingLogs: boolean }): void {
  let entries: string[];
  try {
    entries = readdirSync(paths.dir);
  } catch {
    return;
  }
  const patterns = options.includingLogs ? [...SANDBOX_ENTRIES, /^logs$/] : SANDBOX_ENTRIES;
  for (const entry of entries) {
    if (patterns.some((pattern) => pattern.test(entry))) rmSync(path.join(paths.dir, entry), { recursive: true, force: true });
  }
}
