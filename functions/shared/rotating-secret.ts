import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";

/**
 * A shared secret that signs requests (GitHub's webhook secret, Slack's
 * signing secret), stored in Secrets Manager as `{"current": "...",
 * "previous": "..."}`. During a rotation the secret holds the new value as
 * `current` and the old one as `previous`, so requests signed with either
 * verify until the sender has switched.
 */
export interface RotatingSecret {
  current: string;
  previous?: string;
}

/** Where a handler gets a rotating secret; the AWS adapter caches it. */
export interface RotatingSecretSource {
  /** `forceRefresh` asks for a fresh read (the source may refuse to do so too often). */
  getSecrets(options?: { forceRefresh?: boolean }): Promise<RotatingSecret>;
}

/** Builds the caller's named error for an unusable secret. */
export type SecretErrorFactory = (message: string, options?: { cause?: unknown }) => Error;

/** What a rotating secret is for: names the value in messages and builds the caller's error. */
export interface RotatingSecretKind {
  /** The value's name in the fix, e.g. "webhook secret": `{"current": "<webhook secret>"}`. */
  valueName: string;
  unavailable: SecretErrorFactory;
}

const rotatingSecretSchema = z.object({
  current: z.string().min(1),
  // An operator clearing `previous` after a rotation may leave "": same as absent.
  previous: z
    .string()
    .optional()
    .transform((value) => (value === "" ? undefined : value)),
});

function fix(kind: RotatingSecretKind): string {
  return `Fix: store {"current": "<${kind.valueName}>"} in it, optionally with "previous" during a rotation`;
}

/**
 * Parses the secret string `{"current": "...", "previous": "..."}`.
 * Errors name the problem but never the value.
 */
export function parseRotatingSecret(secretString: string, secretName: string, kind: RotatingSecretKind): RotatingSecret {
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    // No cause: JSON.parse's message quotes the text, which is the secret.
    throw kind.unavailable(`Secret ${secretName} is not JSON. ${fix(kind)}`);
  }
  const result = rotatingSecretSchema.safeParse(json);
  if (!result.success) {
    const fields = [...new Set(result.error.issues.map((issue) => issue.path.join(".") || "(root)"))].join(", ");
    throw kind.unavailable(`Secret ${secretName} does not have the expected shape (problem in: ${fields}). ${fix(kind)}`);
  }
  const { current, previous } = result.data;
  return previous === undefined ? { current } : { current, previous };
}

export interface SecretsManagerRotatingSecretOptions {
  client: SecretsManagerClient;
  /** ARN (or name) of the secret holding {"current": "...", "previous": "..."}. */
  secretId: string;
  /** How long a read value is reused. */
  maxAgeSeconds?: number;
  /** Forced refreshes (after a signature mismatch) happen at most this often. */
  minRefreshIntervalMs?: number;
  /** Milliseconds clock, for tests. */
  clock?: () => number;
}

/**
 * Reads a rotating secret from Secrets Manager through the Powertools
 * secrets provider, which caches it for `maxAgeSeconds`.
 *
 * A signature mismatch may mean the secret was rotated after it was cached;
 * the handler then asks for a forced refresh. Those are rate-limited so a
 * stream of forged requests cannot turn into a stream of Secrets Manager calls.
 */
export class SecretsManagerRotatingSecret implements RotatingSecretSource {
  private readonly provider: SecretsProvider;
  private readonly maxAgeSeconds: number;
  private readonly minRefreshIntervalMs: number;
  private readonly clock: () => number;
  private lastForcedRefresh = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly options: SecretsManagerRotatingSecretOptions,
    private readonly kind: RotatingSecretKind,
  ) {
    this.provider = new SecretsProvider({ awsSdkV3Client: options.client });
    this.maxAgeSeconds = options.maxAgeSeconds ?? 300;
    this.minRefreshIntervalMs = options.minRefreshIntervalMs ?? 30_000;
    this.clock = options.clock ?? Date.now;
  }

  async getSecrets(request: { forceRefresh?: boolean } = {}): Promise<RotatingSecret> {
    const { secretId } = this.options;
    let forceFetch = false;
    if (request.forceRefresh && this.clock() - this.lastForcedRefresh >= this.minRefreshIntervalMs) {
      forceFetch = true;
      this.lastForcedRefresh = this.clock();
    }
    let value: string | Uint8Array | undefined;
    try {
      value = await this.provider.get(secretId, { maxAge: this.maxAgeSeconds, forceFetch });
    } catch (error) {
      throw this.kind.unavailable(
        `Could not read the ${this.kind.valueName} ${secretId}. Fix: check that it exists, has a value, and that the function's role may call secretsmanager:GetSecretValue on it (and kms:Decrypt on its key)`,
        { cause: error },
      );
    }
    if (typeof value !== "string") {
      throw this.kind.unavailable(
        `The ${this.kind.valueName} ${secretId} has no string value. Fix: store {"current": "<${this.kind.valueName}>"} as its SecretString`,
      );
    }
    return parseRotatingSecret(value, secretId, this.kind);
  }
}
