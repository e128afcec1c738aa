import * as path from "node:path";
import { ConfigError, loadConfig, type PipewrightConfig } from "../stacks/config";
import { platformRepositories } from "../stacks/repositories";
import { SandboxError } from "./errors";
import { REPO_ROOT } from "./paths";

/**
 * The sandbox's own configuration: three repositories (one with two services,
 * one with a long name, one with a container service), fake account ids.
 */
export const SANDBOX_CONFIG_FILE = path.join(REPO_ROOT, "config", "sandbox.json");

/** The configuration file cannot run in the sandbox. */
export class SandboxConfigError extends SandboxError {}

/**
 * Loads and validates a configuration for the sandbox: everything the
 * platform requires, plus what the emulator needs (an existing connection
 * ARN for every repository, because the emulator cannot create
 * CodeConnections connections). Slack's bot mode is welcome, with any
 * apiUrl: `up` points it at the sandbox's Slack stand-in.
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
  const repositories = platformRepositories(config);
  // Repositories without a connection of their own share github.connection: one problem per field, naming its repositories.
  const createdConnections = new Map<string, string[]>();
  repositories.forEach((repository, index) => {
    if ("arn" in repository.connection) return;
    const field = config.repositories?.[index]?.connection !== undefined ? `repositories[${index}].connection` : "github.connection";
    createdConnections.set(field, [...(createdConnections.get(field) ?? []), repository.repository]);
  });
  for (const [field, of] of createdConnections) {
    problems.push(
      `${field} (used by ${of.join(", ")}): the emulator cannot create CodeConnections connections. Fix: use {"arn": "arn:aws:codeconnections:<region>:<build account>:connection/<id>"}`,
    );
  }
  const [first] = repositories;
  if (first !== undefined && first.services.length < 2) {
    const field = config.repositories === undefined ? "services" : "repositories[0].services";
    problems.push(
      `${field}: the sandbox needs at least two services in its first repository (${first.repository}), so routing a push to one of them can be seen. Fix: add a second service`,
    );
  }
  if (config.notifications.slack.mode === "webhook") {
    problems.push(
      'notifications.slack: the sandbox has no incoming webhook to post to. Fix: use {"mode": "bot", "channel": "C0SANDBOX01"} (the sandbox\'s Slack stand-in) or false',
    );
  }
  if (config.backend.type !== "local") {
    problems.push('backend: the sandbox keeps Terraform state in its own folder. Fix: use {"type": "local"}');
  }
  if (problems.length > 0) {
    throw new SandboxConfigError(`${file} cannot be used for the sandbox:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  return config;
}

/** The configuration's Slack app, when notifications.slack is in bot mode. */
export interface SandboxSlackBot {
  readonly channel: string;
  readonly apiUrl: string;
  /** The platform's Slack approvers. */
  readonly approvers: readonly string[];
}

export function slackBotSettings(config: PipewrightConfig): SandboxSlackBot | undefined {
  const slack = config.notifications.slack;
  if (slack.mode !== "bot") return undefined;
  return { channel: slack.channel, apiUrl: slack.apiUrl, approvers: config.approvers.slackUserIds };
}

/** The configuration with the Slack app's Web API at `apiUrl` (the stand-in); unchanged unless in bot mode. */
export function withSlackApiUrl(config: PipewrightConfig, apiUrl: string): PipewrightConfig {
  const slack = config.notifications.slack;
  if (slack.mode !== "bot") return config;
  return { ...config, notifications: { ...config.notifications, slack: { ...slack, apiUrl } } };
}
