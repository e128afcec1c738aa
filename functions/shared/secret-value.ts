import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";

/** How long a read secret is reused across invocations: a changed value is picked up within this. */
export const SECRET_MAX_AGE_SECONDS = 300;

function isNotFound(error: unknown): boolean {
  // Powertools wraps the SDK's error in a GetParameterError whose cause it is.
  const cause = (error as { cause?: { name?: unknown } } | undefined)?.cause;
  return cause?.name === "ResourceNotFoundException";
}

/**
 * Reads a secret's value when first needed, cached for a few minutes across
 * invocations (Powertools' SecretsProvider). Resolves to undefined while the
 * secret has no value: the stacks create the optional secrets empty. A
 * binary secret (SecretBinary) is not a string; the caller says why it
 * cannot use one.
 */
export function secretsManagerSecret(
  secretArn: string,
  client: SecretsManagerClient,
  maxAgeSeconds = SECRET_MAX_AGE_SECONDS,
): () => Promise<string | Uint8Array | undefined> {
  const provider = new SecretsProvider({ awsSdkV3Client: client });
  return async () => {
    try {
      return await provider.get(secretArn, { maxAge: maxAgeSeconds });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };
}
