/** Reading API Gateway HTTP API (payload format 2.0) requests: headers and the raw body. Pure. */

/** The parts of an API Gateway HTTP API (payload format 2.0) event the HTTP functions read. */
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
 * i.e. on the bytes the sender sent; base64 is only how API Gateway hands binary
 * bodies to Lambda and makes them a third larger. Measuring the encoded form
 * would refuse requests between 7.5 and 10 MB that API Gateway accepted.
 * (In practice Lambda's 6 MB synchronous invoke limit stops bigger events
 * before they reach us; this check is the function's own guard.)
 */
export function bodySize(request: HttpRequest): number {
  const body = request.body ?? "";
  if (!request.isBase64Encoded) return Buffer.byteLength(body, "utf8");
  const padding = body.endsWith("==") ? 2 : body.endsWith("=") ? 1 : 0;
  return Math.max(0, Math.floor((body.length * 3) / 4) - padding);
}

/**
 * The raw body as a string, decoded from base64 when API Gateway encoded it.
 * GitHub and Slack sign the UTF-8 bytes of their bodies; decoding them to a
 * string and re-encoding gives the same bytes back, so the signature still applies.
 */
export function rawBody(request: HttpRequest): string {
  const body = request.body ?? "";
  return request.isBase64Encoded ? Buffer.from(body, "base64").toString("utf8") : body;
}
