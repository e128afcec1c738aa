import { spawn } from "node:child_process";
import { createWriteStream, existsSync, writeFileSync } from "node:fs";
import { TerraformError } from "./errors";

/** The offline provider mirror on CI machines (see FIELD-NOTES). */
export const PROVIDER_MIRROR = "/opt/tf-plugins";

const OUTPUT_TAIL_LINES = 25;

/**
 * Writes a CLI configuration that installs hashicorp providers from the
 * local mirror when it exists, so `init` works offline; elsewhere the
 * registry is used as usual.
 */
export function writeTerraformRc(file: string): void {
  const mirror = existsSync(PROVIDER_MIRROR)
    ? `provider_installation {
  filesystem_mirror {
    path    = "${PROVIDER_MIRROR}"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
`
    : "";
  writeFileSync(file, mirror);
}

export interface TerraformRun {
  readonly stack: string;
  readonly cwd: string;
  readonly rcFile: string;
  /** Output goes here, each line stamped with the seconds since the start. */
  readonly logFile: string;
}

/**
 * Runs one terraform command in a stack folder; rejects with the tail of its
 * output. `signal` interrupts it (terraform stops cleanly on SIGINT).
 */
export function terraform(run: TerraformRun, args: readonly string[], signal?: AbortSignal): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TF_CLI_CONFIG_FILE: run.rcFile,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
  };
  // The sandbox's provider settings carry the emulator's credentials; ambient ones must not leak in.
  for (const name of ["AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "TF_LOG"]) delete env[name];
  const log = createWriteStream(run.logFile, { flags: "a" });
  const started = Date.now();
  const tail: string[] = [];
  let partial = "";
  const record = (chunk: Buffer) => {
    const lines = (partial + chunk.toString("utf8")).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      log.write(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)} ${line}\n`);
      if (line.trim() !== "") tail.push(line);
      if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
    }
  };
  log.write(`$ terraform ${args.join(" ")}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn("terraform", [`-chdir=${run.cwd}`, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    const interrupt = () => child.kill("SIGINT");
    signal?.addEventListener("abort", interrupt, { once: true });
    child.once("close", () => signal?.removeEventListener("abort", interrupt));
    child.stdout.on("data", record);
    child.stderr.on("data", record);
    child.once("error", (error) => {
      log.end();
      reject(new TerraformError(run.stack, args[0] ?? "", error.message, run.logFile));
    });
    child.once("close", (code) => {
      if (partial) record(Buffer.from("\n"));
      log.end(() => {
        if (code === 0) resolve();
        else reject(new TerraformError(run.stack, args[0] ?? "", tail.join("\n"), run.logFile));
      });
    });
  });
}
