import { verifyWithFallback } from "@octokit/webhooks-methods";
// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import { SignatureError, WebhookSecretUnavailableError } from "./errors";

/**
 * The webhook secrets. During a rotation the Secrets Manager secret holds the
 * new value as `current` and the old one as `previous`, so deliveries signed
 * with either verify until GitHub has switched.
 */
export interface WebhookSecrets {
  current: string;
  previous?: string;
}

/** Where the handler gets the secrets; the AWS adapter caches them. */
export interface WebhookSecretSource {
  /** `forceRefresh` asks for a fresh read (the source may refuse to do so too often). */
  getSecrets(options?: { forceRefresh?: boolean }): Promise<WebhookSecrets>;
}

const webhookSecretsSchema = z.object({
  current: z.string().min(1),
  // An operator clearing `previous` after a rotation may leave "": same as absent.
  previous: z
    .string()
    .optional()
    .transform((value) => (value === "" ? undefined : value)),
});

/**
 * Parses the secret string `{"current": "...", "previous": "..."}`.
 * Errors name the problem but never the value.
 */
export function parseWebhookSecrets(secretString: string, secretName: string): WebhookSecrets {
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    // No cause: JSON.parse's message quotes the text, which is the secret.
    throw new WebhookSecretUnavailableError(
      `Secret ${secretName} is not JSON. Fix: store {"current": "<webhook secret>"} in it, optionally with "previous" during a rotation`,
    );
  }
  const result = webhookSecretsSchema.safeParse(json);
  if (!result.success) {
    const fields = [...new Set(result.error.issues.map((issue) => issue.path.join(".") || "(root)"))].join(", ");
    throw new WebhookSecretUnavailableError(
      `Secret ${secretName} does not have the expected shape (problem in: ${fields}). Fix: store {"current": "<webhook secret>"} in it, optionally with "previous" during a rotation`,
    );
  }
  const { current, previous } = result.data;
  return previous === undefined ? { current } : { current, previous };
}

/** What GitHub sends in X-Hub-Signature-256: "sha256=" and 64 hex digits. */
const SIGNATURE_FORMAT = /^sha256=[0-9a-f]{64}$/;

/**
 * Reads X-Hub-Signature-256 without any secret, so a request without a usable
 * header is refused before the secret is even fetched. Returns the signature
 * in lowercase (GitHub writes lowercase hex; octokit compares the strings).
 */
export function readSignatureHeader(header: string | undefined): string {
  const signature = header?.trim().toLowerCase() ?? "";
  if (signature === "") throw new SignatureError("The X-Hub-Signature-256 header is missing", "missing");
  if (!SIGNATURE_FORMAT.test(signature)) {
    throw new SignatureError("The X-Hub-Signature-256 header is not sha256=<64 hex digits>", "malformed");
  }
  return signature;
}

/**
 * Verifies X-Hub-Signature-256 against the current and the previous secret,
 * in constant time (octokit's verifyWithFallback). Throws SignatureError when
 * the header is missing, empty or malformed, or matches neither secret; never
 * anything else (octokit's TypeError on empty input becomes a SignatureError).
 */
export async function verifySignature(body: string, signatureHeader: string | undefined, secrets: WebhookSecrets): Promise<void> {
  const signature = readSignatureHeader(signatureHeader);
  // octokit throws a TypeError on an empty body; no empty body can be a GitHub delivery.
  if (body === "") throw new SignatureError("The signature does not match the body", "mismatch");
  const fallback = secrets.previous === undefined ? undefined : [secrets.previous];
  let valid: boolean;
  try {
    valid = (await verifyWithFallback(secrets.current, body, signature, fallback)) === true;
  } catch (error) {
    throw new SignatureError("The signature could not be verified", "mismatch", { cause: error });
  }
  if (!valid) throw new SignatureError("The signature does not match the body", "mismatch");
}
