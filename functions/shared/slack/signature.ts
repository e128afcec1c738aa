import { createHmac, timingSafeEqual } from "node:crypto";
import { parseRotatingSecret, type RotatingSecret, type RotatingSecretKind, type RotatingSecretSource } from "../rotating-secret";

/**
 * Slack's request signing (version v0): X-Slack-Signature is `v0=` and the
 * hex HMAC-SHA256, keyed with the app's signing secret, of
 * `v0:{X-Slack-Request-Timestamp}:{raw body}`. Pure, apart from the secret
 * source `verifySlackRequest` reads.
 */

/** The signing secret: the current one and, during a rotation, the previous one. */
export type SlackSigningSecrets = RotatingSecret;

/** Where a function gets the signing secrets; the AWS adapter caches them. */
export type SlackSigningSecretSource = RotatingSecretSource;

/** The front accepts requests at most this far from its clock, in either direction (Slack's advice). */
export const FRONT_MAX_AGE_SECONDS = 5 * 60;

/** The worker re-verifies requests up to this old: a response_url lasts as long. */
export const WORKER_MAX_AGE_SECONDS = 30 * 60;

export type SlackSignatureProblem = "missing" | "malformed" | "stale" | "mismatch";

/** A request's signature headers are missing, malformed, too old or do not match its body. */
export class SlackSignatureError extends Error {
  constructor(
    message: string,
    readonly reason: SlackSignatureProblem,
  ) {
    super(message);
    this.name = "SlackSignatureError";
  }
}

/** The signing secret could not be read or is not in the expected shape: our fault, not the sender's. */
export class SlackSigningSecretUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SlackSigningSecretUnavailableError";
  }
}

/** The signing secret's name in messages and its error. */
export const SLACK_SIGNING_SECRET_KIND: RotatingSecretKind = {
  valueName: "Slack signing secret",
  unavailable: (message, options) => new SlackSigningSecretUnavailableError(message, options),
};

/**
 * Parses the secret string `{"current": "...", "previous": "..."}` (the same
 * shape and rotation as the GitHub webhook secret). Errors never hold the value.
 */
export function parseSlackSigningSecrets(secretString: string, secretName: string): SlackSigningSecrets {
  return parseRotatingSecret(secretString, secretName, SLACK_SIGNING_SECRET_KIND);
}

/** The X-Slack-Signature value Slack sends for `body` at `timestamp` (epoch seconds, as sent). */
export function slackSignature(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`, "utf8").digest("hex")}`;
}

const SIGNATURE_FORMAT = /^v0=[0-9a-f]{64}$/;
// Epoch seconds; the bound keeps the number exact.
const TIMESTAMP_FORMAT = /^[0-9]{1,15}$/;

export interface SlackSignatureInput {
  /** The raw body, exactly as Slack sent it (decoded from base64 when API Gateway encoded it). */
  body: string;
  /** X-Slack-Request-Timestamp. */
  timestamp: string | undefined;
  /** X-Slack-Signature. */
  signature: string | undefined;
  secrets: SlackSigningSecrets;
  now: Date;
  /** How far the timestamp may be from `now`, in either direction. */
  maxAgeSeconds: number;
}

/**
 * Checks the headers and the timestamp without a secret, so a request
 * without usable headers, or a replayed one, is refused before the secret is
 * read. Returns the timestamp as sent and the signature in lowercase.
 */
export function checkSlackSignatureHeaders(input: Omit<SlackSignatureInput, "body" | "secrets">): { timestamp: string; signature: string } {
  const timestamp = input.timestamp?.trim() ?? "";
  const signature = input.signature?.trim().toLowerCase() ?? "";
  if (timestamp === "") throw new SlackSignatureError("The X-Slack-Request-Timestamp header is missing", "missing");
  if (signature === "") throw new SlackSignatureError("The X-Slack-Signature header is missing", "missing");
  if (!TIMESTAMP_FORMAT.test(timestamp)) throw new SlackSignatureError("The X-Slack-Request-Timestamp header is not epoch seconds", "malformed");
  if (!SIGNATURE_FORMAT.test(signature)) throw new SlackSignatureError("The X-Slack-Signature header is not v0=<64 hex digits>", "malformed");
  const skewSeconds = Math.abs(input.now.getTime() / 1000 - Number(timestamp));
  if (skewSeconds > input.maxAgeSeconds) {
    throw new SlackSignatureError(
      `The request was signed ${Math.round(skewSeconds)} s away from this function's clock; at most ${input.maxAgeSeconds} s are accepted`,
      "stale",
    );
  }
  return { timestamp, signature };
}

/**
 * Verifies a Slack request against the current and the previous signing
 * secret, comparing in constant time. Throws SlackSignatureError: missing or
 * malformed headers, a timestamp more than `maxAgeSeconds` from `now` (a
 * replayed request), or a signature that matches neither secret.
 */
export function verifySlackSignature(input: SlackSignatureInput): void {
  const { timestamp, signature } = checkSlackSignatureHeaders(input);
  const received = Buffer.from(signature, "utf8");
  const candidates = input.secrets.previous === undefined ? [input.secrets.current] : [input.secrets.current, input.secrets.previous];
  let matched = false;
  for (const secret of candidates) {
    // Both strings have the checked format, so the buffers have the same length.
    if (timingSafeEqual(Buffer.from(slackSignature(secret, timestamp, input.body), "utf8"), received)) matched = true;
  }
  if (!matched) throw new SlackSignatureError("The X-Slack-Signature header does not match the body", "mismatch");
}

/**
 * Verifies a request with secrets from `source`. A mismatch may come from a
 * secret rotated after it was cached: then the secrets are read once more
 * (the source rate-limits that). Headers and timestamp are checked before any read.
 */
export async function verifySlackRequest(input: Omit<SlackSignatureInput, "secrets">, source: SlackSigningSecretSource): Promise<void> {
  checkSlackSignatureHeaders(input);
  const secrets = await source.getSecrets();
  try {
    verifySlackSignature({ ...input, secrets });
  } catch (error) {
    if (!(error instanceof SlackSignatureError) || error.reason !== "mismatch") throw error;
    const fresh = await source.getSecrets({ forceRefresh: true });
    if (fresh.current === secrets.current && fresh.previous === secrets.previous) throw error;
    verifySlackSignature({ ...input, secrets: fresh });
  }
}
