import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SECRET_MAX_AGE_SECONDS, secretsManagerSecret } from "../secret-value";
import { GitHubCredentialsSecretError, parseGitHubCredentials, type GitHubCredentials } from "./credentials";

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
  const read = secretsManagerSecret(secretArn, client, maxAgeSeconds);
  return async () => {
    const value = await read();
    if (value !== undefined && typeof value !== "string") {
      throw new GitHubCredentialsSecretError(secretArn, "holds a binary value (SecretBinary), not a SecretString");
    }
    return parseGitHubCredentials(secretArn, value);
  };
}
