import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { motoRequirement } from "./emulator";
import { PrerequisiteMissingError } from "./errors";

const run = promisify(execFile);

/** The oldest Terraform the stacks accept (S3 native locking aside, which the sandbox does not use). */
const MIN_TERRAFORM = [1, 6] as const;

/** Fails with the fix when terraform (>= 1.6) is not installed. Returns its version. */
export async function requireTerraform(): Promise<string> {
  let version: string;
  try {
    const { stdout } = await run("terraform", ["version", "-json"], { env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
    version = (JSON.parse(stdout) as { terraform_version: string }).terraform_version;
  } catch (error) {
    throw new PrerequisiteMissingError(
      `terraform could not be run (${(error as Error).message.split("\n")[0]}). Fix: install Terraform >= ${MIN_TERRAFORM.join(".")} and put it on the PATH`,
      { cause: error },
    );
  }
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if (major < MIN_TERRAFORM[0] || (major === MIN_TERRAFORM[0] && minor < MIN_TERRAFORM[1])) {
    throw new PrerequisiteMissingError(`terraform ${version} is too old. Fix: install Terraform >= ${MIN_TERRAFORM.join(".")}`);
  }
  return version;
}

/** Fails with the fix when python3 cannot import moto's server, or it is another release than the emulator's patches need. */
export async function requireMoto(): Promise<void> {
  const { requirement, version } = motoRequirement();
  let installed: string;
  try {
    const { stdout } = await run("python3", ["-c", "import moto.server, moto; print(moto.__version__)"]);
    installed = stdout.trim();
  } catch (error) {
    throw new PrerequisiteMissingError(
      `The AWS emulator needs python3 with moto ${version} (${(error as Error).message.split("\n")[0]}). Fix: python3 -m pip install '${requirement}'`,
      { cause: error },
    );
  }
  if (installed !== version) {
    throw new PrerequisiteMissingError(
      `moto ${installed} is installed, but the AWS emulator's patches need moto ${version} exactly. Fix: python3 -m pip install '${requirement}'`,
    );
  }
}
