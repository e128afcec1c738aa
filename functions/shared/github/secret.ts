import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { GitHubCredentialsSecretError, parseGitHubCredentials, type GitHubCredentials } from "./credentials";

/** How long a read secret is reused across invocations: a rotated token is picked up within this. */
export const SECRET_MAX_AGE_SECONDS = 300;

function isNotFound(error: unknown): boolean {
  // Powertools wraps the SDK's error in a GetParameterError whose cause it is.
  const cause = (error as { cause?: { name?: unknown } } | undefined)?.cause;
  return cause?.name === "ResourceNotFoundException";
}

/**
 * Reads the GitHub credentials from Secrets Manager when first needed,
 * cached for a few minutes across invocations. Resolves to undefined while
 * the secret holds no value (the stacks create it empty) or an empty one;
 * rejects with GitHubCredentialsSecretError when the value is unusable
 * (a binary secret included).
 */
export function secretsManagerGitHubCredentials(
  secretArn: string,
  client: SecretsManagerClient,
  maxAgeSeconds = SECRET_MAX_AGE_SECONDS,
): () => Promise<GitHubCredentials | undefined> {
  const provider = new SecretsProvider({ awsSdkV3Client: client });
  return async () => {
    let value: unknown;
    try {
      value = await provider.get(secretArn, { maxAge: maxAgeSeconds });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    if (value !== undefined && typeof value !== "string") {
      throw new GitHubCredentialsSecretError(secretArn, "holds a binary value (SecretBinary), not a SecretString");
    }
    return parseGitHubCredentials(secretArn, value);
  };
}
