import { MalformedDeliveryError, PayloadTooLargeError } from "./errors";

/** API Gateway HTTP APIs accept request bodies of at most 10 MB. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** The parts of an API Gateway HTTP API (payload format 2.0) event this function reads. */
export interface HttpRequest {
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
}

/** The value of a header, whatever the case of its name; undefined when absent. */
export function headerValue(request: HttpRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(request.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/**
 * Size of the body as the sender sent it, in bytes, computed without decoding.
 *
 * For a base64-encoded body this is the DECODED size, derived from the encoded
 * length. The 10 MB limit is API Gateway's limit on the request it receives,
 * i.e. on the bytes GitHub sent; base64 is only how API Gateway hands binary
 * bodies to Lambda and makes them a third larger. Measuring the encoded form
 * would refuse deliveries between 7.5 and 10 MB that API Gateway accepted.
 * (In practice Lambda's 6 MB synchronous invoke limit stops bigger events
 * before they reach us; this check is the function's own guard.)
 */
export function bodySize(request: HttpRequest): number {
  const body = request.body ?? "";
  if (!request.isBase64Encoded) return Buffer.byteLength(body, "utf8");
  const padding = body.endsWith("==") ? 2 : body.endsWith("=") ? 1 : 0;
  return Math.max(0, Math.floor((body.length * 3) / 4) - padding);
}

/** Throws PayloadTooLargeError when the body is over `limit` bytes. Call before decoding. */
export function assertBodySize(request: HttpRequest, limit: number = MAX_BODY_BYTES): void {
  const size = bodySize(request);
  if (size > limit) throw new PayloadTooLargeError(size, limit);
}

/**
 * The raw body as a string, decoded from base64 when API Gateway encoded it.
 * GitHub signs the UTF-8 bytes of its JSON; decoding them to a string and
 * re-encoding gives the same bytes back, so the signature still applies.
 */
export function rawBody(request: HttpRequest): string {
  const body = request.body ?? "";
  return request.isBase64Encoded ? Buffer.from(body, "base64").toString("utf8") : body;
}

/** The GitHub headers that say what a delivery is. */
export interface DeliveryHeaders {
  /** X-GitHub-Delivery: a GUID, kept across redeliveries. */
  deliveryId: string;
  /** X-GitHub-Event: e.g. pull_request, push, ping. */
  event: string;
}

// Both values end up in logs, responses and bus events: accept only the
// characters GitHub uses, so nothing else can be injected through them.
const DELIVERY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const EVENT_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** The delivery id when the header holds a well-formed one; for logging before validation. */
export function deliveryIdOf(request: HttpRequest): string | undefined {
  const value = headerValue(request, "x-github-delivery")?.trim();
  return value !== undefined && DELIVERY_ID.test(value) ? value : undefined;
}

/** Reads X-GitHub-Delivery and X-GitHub-Event; throws MalformedDeliveryError when either is missing or malformed. */
export function readDeliveryHeaders(request: HttpRequest): DeliveryHeaders {
  const deliveryId = headerValue(request, "x-github-delivery")?.trim();
  if (!deliveryId) throw new MalformedDeliveryError("The X-GitHub-Delivery header is missing");
  if (!DELIVERY_ID.test(deliveryId)) throw new MalformedDeliveryError("The X-GitHub-Delivery header is not a delivery id");
  const event = headerValue(request, "x-github-event")?.trim();
  if (!event) throw new MalformedDeliveryError("The X-GitHub-Event header is missing");
  if (!EVENT_NAME.test(event)) throw new MalformedDeliveryError("The X-GitHub-Event header is not an event name");
  return { deliveryId, event };
}

/**
 * Parses the body as a JSON object. Form-encoded deliveries (a webhook setting
 * on GitHub) get a message telling how to fix the webhook.
 */
export function parseJsonObject(request: HttpRequest, body: string): Record<string, unknown> {
  const contentType = headerValue(request, "content-type")?.toLowerCase() ?? "";
  if (contentType.startsWith("application/x-www-form-urlencoded")) {
    throw new MalformedDeliveryError("The body is form-encoded; set the webhook's content type to application/json on GitHub");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new MalformedDeliveryError("The body is not JSON", { cause: error });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new MalformedDeliveryError("The body is not a JSON object");
  }
  return parsed as Record<string, unknown>;
}
