import { platformServices } from "../stacks/repositories";
import * as path from "node:path";
import { ConfigError, loadConfig, type PipewrightConfig } from "../stacks/config";
import { SandboxError } from "./errors";
import { REPO_ROOT } from "./paths";

/** The sandbox's own configuration: a sandbox repository with two services, fake account ids. */
export const SANDBOX_CONFIG_FILE = path.join(REPO_ROOT, "config", "sandbox.json");

/** The configuration file cannot run in the sandbox. */
export class SandboxConfigError extends SandboxError {}

/**
 * Loads and validates a configuration for the sandbox: everything the
 * platform requires, plus what the emulator needs (an existing connection
 * ARN, because the emulator cannot create CodeConnections connections).
 */
export function loadSandboxConfig(file: string = SANDBOX_CONFIG_FILE): PipewrightConfig {
  let config: PipewrightConfig;
  try {
    config = loadConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) throw new SandboxConfigError(error.message, { cause: error });
    throw error;
  }
  const problems: string[] = [];
  if (!("arn" in config.github.connection)) {
    problems.push(
      'github.connection: the emulator cannot create CodeConnections connections. Fix: use {"arn": "arn:aws:codeconnections:<region>:<build account>:connection/<id>"}',
    );
  }
  if (platformServices(config).length < 2) {
    problems.push("services: the sandbox needs at least two services, so routing a push to one of them can be seen. Fix: add a second service");
  }
  if (config.backend.type !== "local") {
    problems.push('backend: the sandbox keeps Terraform state in its own folder. Fix: use {"type": "local"}');
  }
  if (problems.length > 0) {
    throw new SandboxConfigError(`${file} cannot be used for the sandbox:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  return config;
}
