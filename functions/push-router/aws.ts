import { type CodePipelineClient, StartPipelineExecutionCommand } from "@aws-sdk/client-codepipeline";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import type { PipelineStarter, StartRequest } from "./start";

/** Starts CodePipeline V2 executions pinned to a commit. The client is injected. */
export class CodePipelineStarter implements PipelineStarter {
  constructor(private readonly client: CodePipelineClient) {}

  async start(request: StartRequest): Promise<{ executionId?: string }> {
    const output = await this.client.send(
      new StartPipelineExecutionCommand({
        name: request.pipeline,
        clientRequestToken: request.clientRequestToken,
        sourceRevisions: [
          { actionName: request.sourceActionName, revisionType: "COMMIT_ID", revisionValue: request.commitId },
        ],
      }),
    );
    return { executionId: output.pipelineExecutionId };
  }
}

/** The GitHub token secret holds neither a token nor JSON with a "token" string. */
export class GitHubTokenSecretError extends Error {
  constructor(
    readonly secretArn: string,
    problem: string,
  ) {
    super(
      `Secret ${secretArn} does not hold a GitHub token: ${problem}. ` +
        'Fix: store the token itself, or JSON {"token": "..."}, as the secret\'s SecretString',
    );
    this.name = "GitHubTokenSecretError";
  }
}

/** The token from a SecretString that is the token itself or JSON {"token": "..."}. */
export function parseGitHubTokenSecret(secretArn: string, value: string | undefined): string {
  if (value === undefined) throw new GitHubTokenSecretError(secretArn, "it has no SecretString (a binary secret?)");
  const text = value.trim();
  if (text === "") throw new GitHubTokenSecretError(secretArn, "the SecretString is empty");
  if (!text.startsWith("{")) return text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GitHubTokenSecretError(secretArn, "it starts with \"{\" but is not JSON");
  }
  const token = (parsed as { token?: unknown }).token;
  if (typeof token !== "string" || token.trim() === "") {
    throw new GitHubTokenSecretError(secretArn, "the JSON has no non-empty \"token\" string");
  }
  return token.trim();
}

function isNotFound(error: unknown): boolean {
  // Powertools wraps the SDK's error in a GetParameterError whose cause it is.
  const cause = (error as { cause?: { name?: unknown } } | undefined)?.cause;
  return cause?.name === "ResourceNotFoundException";
}

/**
 * Reads the GitHub token from Secrets Manager when first needed (only pushes
 * with incomplete file lists need it), cached for a few minutes across
 * invocations so a rotated token is picked up. Resolves to undefined while
 * the secret holds no value: the stacks create it empty, and the token is optional.
 */
export function secretsManagerGitHubToken(
  secretArn: string,
  client: SecretsManagerClient,
  maxAgeSeconds = 300,
): () => Promise<string | undefined> {
  const provider = new SecretsProvider({ awsSdkV3Client: client });
  return async () => {
    let value: unknown;
    try {
      value = await provider.get(secretArn, { maxAge: maxAgeSeconds });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    return parseGitHubTokenSecret(secretArn, typeof value === "string" ? value : undefined);
  };
}
