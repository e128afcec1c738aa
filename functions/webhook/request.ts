import { bodySize, headerValue, type HttpRequest } from "../shared/http-request";
import { MalformedDeliveryError, PayloadTooLargeError } from "./errors";

/** API Gateway HTTP APIs accept request bodies of at most 10 MB. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Throws PayloadTooLargeError when the body is over `limit` bytes. Call before decoding. */
export function assertBodySize(request: HttpRequest, limit: number = MAX_BODY_BYTES): void {
  const size = bodySize(request);
  if (size > limit) throw new PayloadTooLargeError(size, limit);
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
