// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import { DEFAULT_GITHUB_API_URL, parseGitHubApiUrl } from "../shared/github/api-url";
import type { RepositoryCatalog } from "../shared/repositories";
import { InvalidConfigurationError } from "./errors";
import { prIdentitiesSchema, type PrIdentities } from "./identities";

/** What the function needs to know about its deployment. Read from the environment and the bundled catalog by handler.ts. */
export interface PrPipelinesConfig {
  /** The repositories served: a pull request gets clones of its own repository's service pipelines, with its fork label. */
  readonly repositories: RepositoryCatalog;
  /** DynamoDB table of pull request state (partition key `pk`, TTL attribute `expiresAt`); it also holds the capacity ledger. */
  readonly stateTable: string;
  /** The pull requests' artifact bucket: only objects in it are cleaned up. */
  readonly artifactBucket: string;
  /** Main's identities and the pull requests' that replace them in a clone. */
  readonly identities: PrIdentities;
  /** No pull request pipeline may contain an action that touches this account. */
  readonly prodAccountId: string;
  /** Pull request pipelines allowed across the platform at once (`limits.maxPullRequestPipelines`). */
  readonly maxPullRequestPipelines: number;
  /** Where the fork approval and the capacity wait are shown; without a token secret they are only logged. */
  readonly github: { readonly tokenSecretArn?: string; readonly apiUrl: string };
}

/** The raw environment variables, by their names. */
export interface PrPipelinesEnvironment {
  readonly PR_STATE_TABLE: string;
  readonly PR_IDENTITIES: string;
  readonly PROD_ACCOUNT_ID: string;
  readonly MAX_PR_PIPELINES: string;
  readonly GITHUB_TOKEN_SECRET_ARN?: string | undefined;
  readonly GITHUB_API_URL?: string | undefined;
}

const checks: { [K in keyof PrPipelinesEnvironment]?: z.ZodType<string> } = {
  PROD_ACCOUNT_ID: z.string().regex(/^\d{12}$/, "an AWS account id is 12 digits"),
  MAX_PR_PIPELINES: z.string().regex(/^[1-9]\d{0,5}$/, "expected a whole number of pipelines, at least 1"),
  GITHUB_TOKEN_SECRET_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:\S+$/, "expected the ARN of a Secrets Manager secret"),
};

function optional(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

function check(variable: keyof PrPipelinesEnvironment, value: string): string {
  const schema = checks[variable];
  const trimmed = value.trim();
  if (schema === undefined) return trimmed;
  const result = schema.safeParse(trimmed);
  if (!result.success) throw new InvalidConfigurationError(variable, result.error.issues.map((issue) => issue.message).join("; "));
  return result.data;
}

/** PR_IDENTITIES: the JSON map the build stack writes (functions/pr-pipelines/identities.ts). */
export function parsePrIdentities(raw: string): PrIdentities {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidConfigurationError("PR_IDENTITIES", "not JSON; expected the identity map the build stack writes");
  }
  const result = prIdentitiesSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new InvalidConfigurationError("PR_IDENTITIES", problems.join("; "));
  }
  return result.data;
}

/** MAX_PR_PIPELINES: the cap on pull request pipelines across the platform; throws InvalidConfigurationError. */
export function parseMaxPullRequestPipelines(value: string): number {
  return Number(check("MAX_PR_PIPELINES", value));
}

/** Validates the environment; throws InvalidConfigurationError (InvalidGitHubApiUrlError for GITHUB_API_URL) naming the variable. */
export function parseConfig(environment: PrPipelinesEnvironment, repositories: RepositoryCatalog): PrPipelinesConfig {
  const identities = parsePrIdentities(environment.PR_IDENTITIES);
  const secretArn = optional(environment.GITHUB_TOKEN_SECRET_ARN);
  const tokenSecretArn = secretArn === undefined ? undefined : check("GITHUB_TOKEN_SECRET_ARN", secretArn);
  return {
    repositories,
    stateTable: check("PR_STATE_TABLE", environment.PR_STATE_TABLE),
    artifactBucket: identities.artifactStore.pr.bucket,
    identities,
    prodAccountId: check("PROD_ACCOUNT_ID", environment.PROD_ACCOUNT_ID),
    maxPullRequestPipelines: parseMaxPullRequestPipelines(environment.MAX_PR_PIPELINES),
    github: {
      ...(tokenSecretArn === undefined ? {} : { tokenSecretArn }),
      apiUrl: parseGitHubApiUrl(optional(environment.GITHUB_API_URL) ?? DEFAULT_GITHUB_API_URL),
    },
  };
}
