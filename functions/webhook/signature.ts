import { verifyWithFallback } from "@octokit/webhooks-methods";
import { parseRotatingSecret, type RotatingSecret, type RotatingSecretKind, type RotatingSecretSource } from "../shared/rotating-secret";
import { SignatureError, WebhookSecretUnavailableError } from "./errors";

/**
 * The webhook secrets: the current one and, during a rotation, the previous
 * one (functions/shared/rotating-secret.ts).
 */
export type WebhookSecrets = RotatingSecret;

/** Where the handler gets the secrets; the AWS adapter caches them. */
export type WebhookSecretSource = RotatingSecretSource;

/** The webhook secret's name in messages and its error (503: our fault). */
export const WEBHOOK_SECRET_KIND: RotatingSecretKind = {
  valueName: "webhook secret",
  unavailable: (message, options) => new WebhookSecretUnavailableError(message, options),
};

/**
 * Parses the secret string `{"current": "...", "previous": "..."}`.
 * Errors name the problem but never the value.
 */
export function parseWebhookSecrets(secretString: string, secretName: string): WebhookSecrets {
  return parseRotatingSecret(secretString, secretName, WEBHOOK_SECRET_KIND);
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
