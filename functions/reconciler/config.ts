// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import { parseMaxPullRequestPipelines } from "../pr-pipelines/config";
import { parseApiUrl } from "../shared/config-fields";
import { InvalidConfigurationError, parseVariable } from "../shared/env";
import type { RepositoryCatalog } from "../shared/repositories";

/**
 * The reconciler's configuration, as the Reconciler construct passes it in
 * environment variables (and the repositories in the bundled catalog): its
 * own fields here, the ones it shares with other functions parsed by
 * functions/shared (MAX_PR_PIPELINES by pr-pipelines').
 * Parsing is pure: handler.ts reads the variables (requireEnv / optionalEnv)
 * and hands the strings here.
 */
export interface ReconcilerConfig {
  /** The repositories served: the `<pipeline>-pr-<n>` clones of their service pipelines are reconciled. */
  readonly repositories: RepositoryCatalog;
  /** The pull request state table, which holds the capacity ledger. */
  readonly stateTable: string;
  /** The cap on pull request pipelines across the platform (the same as pr-pipelines'). */
  readonly maxPullRequestPipelines: number;
  /** The GitHub bus: repairs are normalized pull_request events put on it. */
  readonly eventBusName: string;
  /** Artifacts of idle pull request pipelines are deleted from this bucket only. */
  readonly artifactBucket: string;
  /** The dev account's preview-cleanup role, assumed to delete preview stacks of idle pipelines. */
  readonly previewCleanupRoleArn: string;
  /** Secrets Manager secret holding the GitHub token; without it GitHub is not asked. */
  readonly githubTokenSecretArn?: string;
  /** GitHub's REST API, without a trailing slash. */
  readonly githubApiUrl: string;
  /** Remove pull request pipelines without an execution for this many days; 0 disables. */
  readonly idleDays: number;
  /** Ask for the pipelines of open pull requests that have none. */
  readonly createMissing: boolean;
  /** Plan and report only. */
  readonly dryRun: boolean;
}

/** The raw environment variables, by name; absent optional ones are undefined. */
export interface ReconcilerEnvironment {
  readonly EVENT_BUS_NAME: string;
  readonly PR_STATE_TABLE: string;
  readonly MAX_PR_PIPELINES: string;
  readonly PR_ARTIFACT_BUCKET: string;
  readonly PREVIEW_CLEANUP_ROLE_ARN: string;
  readonly GITHUB_TOKEN_SECRET_ARN?: string | undefined;
  readonly GITHUB_API_URL?: string | undefined;
  readonly IDLE_DAYS?: string | undefined;
  readonly CREATE_MISSING?: string | undefined;
  readonly DRY_RUN?: string | undefined;
}

export const DEFAULT_IDLE_DAYS = 14;

const roleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, "expected an IAM role ARN");
const idleDays = z
  .string()
  .regex(/^\d{1,3}$/, "expected a whole number of days (0 disables)")
  .transform(Number)
  .pipe(z.number().max(365, "at most 365"));

function nonEmpty(variable: string, value: string): string {
  const trimmed = value.trim();
  if (trimmed === "") throw new InvalidConfigurationError(variable, "it is empty");
  return trimmed;
}

/** "true" or "false" (any case); absent means `fallback`. */
export function parseFlag(variable: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value.trim() === "") return fallback;
  const normalized = value.trim().toLowerCase();
  if (normalized === "true") return true;
  if (normalized === "false") return false;
  throw new InvalidConfigurationError(variable, `${JSON.stringify(value)} is neither "true" nor "false"`);
}

/** Validates the environment; throws InvalidConfigurationError (InvalidGitHubApiUrlError for GITHUB_API_URL) naming the variable. */
export function parseReconcilerConfig(environment: ReconcilerEnvironment, repositories: RepositoryCatalog): ReconcilerConfig {
  const secret = environment.GITHUB_TOKEN_SECRET_ARN?.trim();
  return {
    repositories,
    stateTable: nonEmpty("PR_STATE_TABLE", environment.PR_STATE_TABLE),
    maxPullRequestPipelines: parseMaxPullRequestPipelines(environment.MAX_PR_PIPELINES),
    eventBusName: nonEmpty("EVENT_BUS_NAME", environment.EVENT_BUS_NAME),
    artifactBucket: nonEmpty("PR_ARTIFACT_BUCKET", environment.PR_ARTIFACT_BUCKET),
    previewCleanupRoleArn: parseVariable("PREVIEW_CLEANUP_ROLE_ARN", roleArn, environment.PREVIEW_CLEANUP_ROLE_ARN),
    ...(secret === undefined || secret === "" ? {} : { githubTokenSecretArn: secret }),
    githubApiUrl: parseApiUrl(environment.GITHUB_API_URL),
    idleDays:
      environment.IDLE_DAYS === undefined || environment.IDLE_DAYS.trim() === ""
        ? DEFAULT_IDLE_DAYS
        : parseVariable("IDLE_DAYS", idleDays, environment.IDLE_DAYS),
    createMissing: parseFlag("CREATE_MISSING", environment.CREATE_MISSING, false),
    dryRun: parseFlag("DRY_RUN", environment.DRY_RUN, false),
  };
}
