import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { AccountName } from "../stacks/config";

/** A service's main pipeline and the paths that start it. */
export interface SandboxPipeline {
  /** What the service's names are built from: `<repository short name>-<service>`, or the service's name in the single-repository form. */
  readonly service: string;
  readonly name: string;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

/** A repository the sandbox serves: its main branch and its services' main pipelines. */
export interface SandboxRepository {
  /** owner/name, as configured. */
  readonly repository: string;
  readonly mainBranch: string;
  readonly pipelines: readonly SandboxPipeline[];
}

/** Credentials of an administrator user in one emulated account (the emulator checks IAM). */
export interface AccountCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Present for a role's temporary credentials. */
  readonly sessionToken?: string;
}

/**
 * The sandbox's Slack, when `notifications.slack` is in bot mode: the
 * stand-in that plays Slack, and what Slack and the app share.
 */
export interface SandboxSlack {
  /** The Slack Web API the stacks call: the stand-in's `/api/` (notifications.slack.apiUrl as synthesized). */
  readonly apiUrl: string;
  /** The stand-in: `GET /recorded` (every call), `POST /response/<id>` (response URLs). */
  readonly standInUrl: string;
  /** In `<project>/slack-signing-secret` as {"current": ...}: what requests from Slack are signed with. */
  readonly signingSecret: string;
  /** In `<project>/slack-bot-token` as {"token": ...}: the only token the stand-in accepts. */
  readonly botToken: string;
  /** The channel the app posts in (notifications.slack.channel). */
  readonly channel: string;
  /** The platform's Slack approvers (approvers.slackUserIds). */
  readonly approvers: readonly string[];
  /** The HTTP API's routes Slack posts to: slash commands and interactivity (button clicks). */
  readonly commandsUrl: string;
  readonly interactionsUrl: string;
}

/**
 * `.sandbox/state.json`. The first block is the contract other tools read;
 * the rest is what the sandbox itself needs (what to stop, how to read the
 * emulator now that it checks IAM).
 */
export interface SandboxState {
  readonly webhookUrl: string;
  readonly webhookSecret: string;
  readonly awsEndpoint: string;
  readonly region: string;
  readonly accounts: Readonly<Record<AccountName, string>>;
  /** Every configured repository, in configuration order. */
  readonly repositories: readonly SandboxRepository[];
  /** Present when the configuration's notifications.slack is in bot mode (config/sandbox.json's is). */
  readonly slack?: SandboxSlack;

  /** Administrator credentials per account: every call to the emulator must be signed by a known identity. */
  readonly credentials: Readonly<Record<AccountName, AccountCredentials>>;
  /**
   * Credentials of the roles AWS services assume for pipewright (the pipelines', CodeBuild's and
   * CloudFormation's, main's and the pull requests'), by role ARN: to act as them.
   */
  readonly serviceRoleCredentials: Readonly<Record<string, AccountCredentials>>;
  readonly resources: {
    /** Main's artifact store. */
    readonly artifactBucket: string;
    /** The pull requests' artifact store. */
    readonly prArtifactBucket: string;
    /** The GitHub bus the webhook fills. */
    readonly githubBus: string;
    readonly prStateTable: string;
    /** Dead-letter queue URL per bus-fed function. */
    readonly deadLetterQueues: Readonly<Record<string, string>>;
    /** The sandbox-only queue carrying each bus-fed function's events; empty once all are handled. */
    readonly deliveryQueues: Readonly<Record<string, string>>;
  };
  /** Process group leaders `down` stops, by PID. */
  readonly processes: { readonly daemon: number; readonly emulator: number };
  readonly startedAt: string;
  readonly logDir: string;
}

export function readState(file: string): SandboxState | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return JSON.parse(text) as SandboxState;
}

/** Written whole or not at all: readers never see half a file. */
export function writeState(file: string, state: SandboxState): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

export function removeState(file: string): void {
  rmSync(file, { force: true });
}
