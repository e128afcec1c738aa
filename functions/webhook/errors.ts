/**
 * The named errors of the webhook function. Each one that maps to an HTTP
 * answer carries its `status`; the handler turns them into responses.
 *
 * Messages of 4xx errors are shown to the sender, so they name what was wrong
 * with the request and never contain the payload, the signature or the secret.
 * Messages of 5xx errors are for operators (logs only): the sender gets a
 * generic text.
 */
export abstract class WebhookError extends Error {
  abstract readonly status: number;
}

/** X-Hub-Signature-256 is missing, malformed or does not match the body (401). */
export class SignatureError extends WebhookError {
  readonly status = 401;
  constructor(
    message: string,
    /** missing/malformed: the header itself is unusable; mismatch: it matches no secret. */
    readonly reason: "missing" | "malformed" | "mismatch",
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "SignatureError";
  }
}

/** The body is larger than API Gateway accepts (413). */
export class PayloadTooLargeError extends WebhookError {
  readonly status = 413;
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`The body has ${bytes} bytes; at most ${limit} are accepted`);
    this.name = "PayloadTooLargeError";
  }
}

/** Headers or body are not a GitHub webhook delivery we can read (400). */
export class MalformedDeliveryError extends WebhookError {
  readonly status = 400;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MalformedDeliveryError";
  }
}

/** The webhook secret could not be read or is not in the expected shape (503: our fault). */
export class WebhookSecretUnavailableError extends WebhookError {
  readonly status = 503;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WebhookSecretUnavailableError";
  }
}

/** EventBridge did not accept the event after bounded retries (503: GitHub can redeliver). */
export class BusUnavailableError extends WebhookError {
  readonly status = 503;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BusUnavailableError";
  }
}
