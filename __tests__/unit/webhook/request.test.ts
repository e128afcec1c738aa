import fc from "fast-check";
import { MalformedDeliveryError, PayloadTooLargeError } from "../../../functions/webhook/errors";
import { bodySize, headerValue, rawBody } from "../../../functions/shared/http-request";
import { MAX_BODY_BYTES, assertBodySize, parseJsonObject, readDeliveryHeaders } from "../../../functions/webhook/request";

describe("headerValue", () => {
  it("finds a header whatever the case of its name", () => {
    const request = { headers: { "X-GitHub-Event": "push", "x-hub-signature-256": "sha256=1" } };
    expect(headerValue(request, "x-github-event")).toBe("push");
    expect(headerValue(request, "X-Hub-Signature-256")).toBe("sha256=1");
    expect(headerValue(request, "x-github-delivery")).toBeUndefined();
    expect(headerValue({}, "x-github-event")).toBeUndefined();
  });
});

describe("body size", () => {
  it("counts UTF-8 bytes, not characters", () => {
    expect(bodySize({ body: "\u00e9\u{1F680}" })).toBe(6);
  });

  it("computes the decoded size of a base64 body from its length, exactly", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const encoded = Buffer.from(bytes).toString("base64");
        expect(bodySize({ body: encoded, isBase64Encoded: true })).toBe(bytes.length);
      }),
    );
  });

  it("allows exactly the limit and refuses one byte more, plain or base64-encoded", () => {
    const limit = 1000;
    const plain = (length: number) => ({ body: "x".repeat(length) });
    const encoded = (length: number) => ({ body: Buffer.alloc(length, 1).toString("base64"), isBase64Encoded: true });
    expect(() => assertBodySize(plain(limit), limit)).not.toThrow();
    expect(() => assertBodySize(encoded(limit), limit)).not.toThrow();
    expect(() => assertBodySize(plain(limit + 1), limit)).toThrow(PayloadTooLargeError);
    expect(() => assertBodySize(encoded(limit + 1), limit)).toThrow(PayloadTooLargeError);
  });

  it("uses API Gateway's 10 MB limit by default", () => {
    expect(MAX_BODY_BYTES).toBe(10_485_760);
    let caught: unknown;
    try {
      assertBodySize({ body: "x".repeat(MAX_BODY_BYTES + 1) });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PayloadTooLargeError);
    expect((caught as PayloadTooLargeError).status).toBe(413);
  });
});

describe("rawBody", () => {
  it("decodes base64 bodies to the text GitHub sent", () => {
    const text = '{"ref":"refs/heads/caf\u00e9"}';
    expect(rawBody({ body: Buffer.from(text).toString("base64"), isBase64Encoded: true })).toBe(text);
    expect(rawBody({ body: text })).toBe(text);
    expect(rawBody({})).toBe("");
  });
});

describe("readDeliveryHeaders", () => {
  const headers = (extra: Record<string, string>) => ({
    headers: { "x-github-event": "push", "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958", ...extra },
  });

  it("reads event and delivery id", () => {
    expect(readDeliveryHeaders(headers({}))).toEqual({ event: "push", deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958" });
  });

  it.each([
    [{ "x-github-event": "" }, "X-GitHub-Event header is missing"],
    [{ "x-github-event": "Push Event" }, "X-GitHub-Event header is not an event name"],
    [{ "x-github-delivery": " " }, "X-GitHub-Delivery header is missing"],
    [{ "x-github-delivery": "a".repeat(129) }, "X-GitHub-Delivery header is not a delivery id"],
    [{ "x-github-delivery": 'id"}\n' }, "X-GitHub-Delivery header is not a delivery id"],
  ])("refuses %p", (extra, message) => {
    expect(() => readDeliveryHeaders(headers(extra))).toThrow(new MalformedDeliveryError(`The ${message}`));
  });
});

describe("parseJsonObject", () => {
  it("returns a JSON object", () => {
    expect(parseJsonObject({}, '{"zen":"Keep it logically awesome."}')).toEqual({ zen: "Keep it logically awesome." });
  });

  it.each(["", "{", "[]", "1", "true", "null", '"text"'])("refuses %p", (body) => {
    expect(() => parseJsonObject({}, body)).toThrow(MalformedDeliveryError);
  });

  it("refuses form-encoded deliveries with the fix", () => {
    const request = { headers: { "Content-Type": "application/x-www-form-urlencoded" } };
    expect(() => parseJsonObject(request, "payload=%7B%7D")).toThrow(/content type to application\/json/);
  });
});
