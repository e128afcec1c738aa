/**
 * Errors the sandbox reports to its user. Each names what went wrong and
 * the fix; the CLI prints the message and exits 1 (no stack trace).
 */
export class SandboxError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** `up` while another sandbox of the same folder is still running. */
export class SandboxAlreadyRunningError extends SandboxError {
  constructor(
    readonly stateFile: string,
    pids: readonly number[],
  ) {
    super(`A sandbox is already running (pids ${pids.join(", ")}, state in ${stateFile}). Fix: npm run sandbox -- down, then up again`);
  }
}

/** A command that needs a running sandbox found none. */
export class SandboxNotRunningError extends SandboxError {
  constructor(readonly stateFile: string) {
    super(`No sandbox is running (no ${stateFile}). Fix: npm run sandbox -- up`);
  }
}

/** python3 with moto, or terraform, is missing. */
export class PrerequisiteMissingError extends SandboxError {}

/** A command line the CLI does not understand. */
export class UsageError extends SandboxError {}

/** terraform init or apply failed; the tail of its output says why. */
export class TerraformError extends SandboxError {
  constructor(
    readonly stack: string,
    readonly command: string,
    readonly outputTail: string,
    readonly logFile: string,
  ) {
    super(`terraform ${command} of stack ${stack} failed. Last lines:\n${outputTail}\nFull output: ${logFile}`);
  }
}

/** The background process did not come up, or died. */
export class DaemonError extends SandboxError {}

/** What terraform applied does not have what the sandbox runtime needs. */
export class ManifestError extends SandboxError {}
