// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import { uniquePipelines } from "../shared/config-fields";
import { DEFAULT_GITHUB_API_URL, parseGitHubApiUrl } from "../shared/github/api-url";
import { repositorySchema } from "../shared/github/repository";
import { InvalidConfigurationError } from "./errors";
import { prIdentitiesSchema, type PrIdentities } from "./identities";

/** What the function needs to know about its deployment. Read from the environment by handler.ts. */
export interface PrPipelinesConfig {
  /** Main pipelines to clone for every pull request, one per service. */
  readonly servicePipelines: readonly string[];
  /** DynamoDB table of pull request state (partition key `pk`, TTL attribute `expiresAt`). */
  readonly stateTable: string;
  /** The pull requests' artifact bucket: only objects in it are cleaned up. */
  readonly artifactBucket: string;
  /** Main's identities and the pull requests' that replace them in a clone. */
  readonly identities: PrIdentities;
  /** No pull request pipeline may contain an action that touches this account. */
  readonly prodAccountId: string;
  /** The label a maintainer puts on a fork's pull request to let it run. */
  readonly forkLabel: string;
  /** owner/name of the repository this installation serves. */
  readonly repository: string;
  /** Where the fork approval is shown; without a token secret it is only logged. */
  readonly github: { readonly tokenSecretArn?: string; readonly apiUrl: string };
}

/** The raw environment variables, by their names. */
export interface PrPipelinesEnvironment {
  readonly SERVICE_PIPELINES: string;
  readonly PR_STATE_TABLE: string;
  readonly PR_IDENTITIES: string;
  readonly PROD_ACCOUNT_ID: string;
  readonly FORK_LABEL: string;
  readonly GITHUB_REPOSITORY: string;
  readonly GITHUB_TOKEN_SECRET_ARN?: string | undefined;
  readonly GITHUB_API_URL?: string | undefined;
}

const pipelineName = z.string().regex(/^[A-Za-z0-9.@_-]{1,100}$/, "a pipeline name is 1-100 of [A-Za-z0-9.@_-]");

const servicePipelinesSchema = z
  .array(pipelineName)
  .min(1, "list at least one pipeline")
  .superRefine(uniquePipelines((name: string) => name));

const checks: { [K in keyof PrPipelinesEnvironment]?: z.ZodType<string> } = {
  PROD_ACCOUNT_ID: z.string().regex(/^\d{12}$/, "an AWS account id is 12 digits"),
  GITHUB_REPOSITORY: repositorySchema,
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

/** SERVICE_PIPELINES: a JSON array of unique pipeline names; throws InvalidConfigurationError. */
export function parseServicePipelines(raw: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new InvalidConfigurationError("SERVICE_PIPELINES", 'not JSON; expected an array of pipeline names such as ["shop-orders"]', {
      cause: error,
    });
  }
  const result = servicePipelinesSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.length > 0 ? `[${issue.path.join(".")}] ` : ""}${issue.message}`);
    throw new InvalidConfigurationError("SERVICE_PIPELINES", problems.join("; "));
  }
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

/** Validates the environment; throws InvalidConfigurationError (InvalidGitHubApiUrlError for GITHUB_API_URL) naming the variable. */
export function parseConfig(environment: PrPipelinesEnvironment): PrPipelinesConfig {
  const identities = parsePrIdentities(environment.PR_IDENTITIES);
  const secretArn = optional(environment.GITHUB_TOKEN_SECRET_ARN);
  const tokenSecretArn = secretArn === undefined ? undefined : check("GITHUB_TOKEN_SECRET_ARN", secretArn);
  return {
    servicePipelines: parseServicePipelines(environment.SERVICE_PIPELINES),
    stateTable: check("PR_STATE_TABLE", environment.PR_STATE_TABLE),
    artifactBucket: identities.artifactStore.pr.bucket,
    identities,
    prodAccountId: check("PROD_ACCOUNT_ID", environment.PROD_ACCOUNT_ID),
    forkLabel: check("FORK_LABEL", environment.FORK_LABEL),
    repository: check("GITHUB_REPOSITORY", environment.GITHUB_REPOSITORY),
    github: {
      ...(tokenSecretArn === undefined ? {} : { tokenSecretArn }),
      apiUrl: parseGitHubApiUrl(optional(environment.GITHUB_API_URL) ?? DEFAULT_GITHUB_API_URL),
    },
  };
}
