import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The offline provider mirror on these machines (see FIELD-NOTES). */
export const PROVIDER_MIRROR = "/opt/tf-plugins";

/**
 * Environment for running terraform: a CLI config that installs providers
 * from the local mirror when it exists, so init works offline.
 */
export function terraformEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
  if (existsSync(PROVIDER_MIRROR)) {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "pipewright-tf-")), "terraform.rc");
    writeFileSync(
      file,
      `provider_installation {
  filesystem_mirror {
    path    = "${PROVIDER_MIRROR}"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
`,
    );
    env.TF_CLI_CONFIG_FILE = file;
  }
  return env;
}

/** Fails with a clear message when terraform is not installed. */
export async function requireTerraform(): Promise<string> {
  try {
    const { stdout } = await run("terraform", ["version", "-json"]);
    return JSON.parse(stdout).terraform_version as string;
  } catch (error) {
    throw new Error(`terraform is required for these tests but could not be run (${(error as Error).message}). Fix: install Terraform >= 1.6`);
  }
}

/** `terraform init -backend=false` then `terraform validate -json` in a stack folder. */
export async function validateStack(stackDir: string, env: NodeJS.ProcessEnv): Promise<{ valid: boolean; diagnostics: unknown[] }> {
  await run("terraform", ["init", "-backend=false", "-input=false", "-no-color"], { cwd: stackDir, env });
  try {
    const { stdout } = await run("terraform", ["validate", "-json", "-no-color"], { cwd: stackDir, env });
    return JSON.parse(stdout);
  } catch (error) {
    // validate exits 1 on invalid configuration but still prints its JSON.
    const stdout = (error as { stdout?: string }).stdout;
    if (stdout) return JSON.parse(stdout);
    throw error;
  }
}
