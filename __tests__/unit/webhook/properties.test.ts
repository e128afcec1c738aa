import fc from "fast-check";
import { pullRequestEventSchema, pushEventSchema } from "../../../functions/shared/events";
import {
  DELIVERY_ID,
  REPOSITORY,
  SECRET,
  apiGatewayEvent,
  examplePayload,
  handlerWithFakes,
  read,
  signatureFor,
  signedRequest,
} from "../../fixtures/webhook/deliveries";

/**
 * Property tests over the whole handler with a working (fake) bus:
 * no input is our fault, so none gets a 5xx; and nothing reaches the bus
 * without a valid signature.
 */

const NUM_RUNS = 300;

const headerName = fc.oneof(
  fc.constantFrom(
    "x-hub-signature-256",
    "X-Hub-Signature-256",
    "x-github-event",
    "X-GitHub-Event",
    "x-github-delivery",
    "content-type",
    "X-HUB-SIGNATURE",
  ),
  fc.string({ maxLength: 20 }),
);
const hex64 = fc.stringMatching(/^[0-9a-fA-F]{64}$/);
const headerValueArb = fc.oneof(
  fc.string({ maxLength: 100 }),
  hex64.map((hex) => `sha256=${hex}`),
  fc.constantFrom("push", "pull_request", "ping", "", "application/json", "application/x-www-form-urlencoded", DELIVERY_ID),
);
const headersArb = fc.dictionary(headerName, fc.option(headerValueArb, { nil: undefined }), { maxKeys: 8 });
const bodyArb = fc.option(
  fc.oneof(
    fc.string({ maxLength: 500 }),
    fc.json(),
    fc.base64String({ maxLength: 200 }),
    fc.constant(JSON.stringify(examplePayload("pull_request", "opened"))),
  ),
  { nil: undefined },
);

describe("webhook handler properties", () => {
  it("never answers 5xx and never publishes for arbitrary unsigned requests", async () => {
    await fc.assert(
      fc.asyncProperty(headersArb, bodyArb, fc.boolean(), async (headers, body, isBase64Encoded) => {
        const { handle, bus } = handlerWithFakes();
        const result = read(await handle(apiGatewayEvent(headers, body, isBase64Encoded)));
        // Bodies here are far below 10 MB, so the signature check decides.
        expect(result.status).toBe(401);
        expect(bus.published).toHaveLength(0);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("never publishes a body that was changed after signing", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.string({ minLength: 1, maxLength: 3 }), async (position, insert) => {
        const signedBody = JSON.stringify(examplePayload("pull_request", "opened"));
        const at = position % signedBody.length;
        const tampered = signedBody.slice(0, at) + insert + signedBody.slice(at);
        fc.pre(tampered !== signedBody);
        const { handle, bus } = handlerWithFakes();
        const result = read(await handle(signedRequest(tampered, { event: "pull_request", signature: signatureFor(signedBody) })));
        expect(result.status).toBe(401);
        expect(bus.published).toHaveLength(0);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("answers signed arbitrary bodies with 200, 202 or 400, and publishes only valid events of the repository", async () => {
    const eventArb = fc.oneof(fc.constantFrom("ping", "push", "pull_request", "issues"), fc.string({ maxLength: 20 }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.json(), fc.string({ maxLength: 200 })), eventArb, fc.boolean(), async (body, event, base64) => {
        fc.pre(body !== "");
        const { handle, bus } = handlerWithFakes();
        const result = read(await handle(signedRequest(body, { event, base64, secret: SECRET })));
        expect([200, 202, 400]).toContain(result.status);
        expect(bus.published).toHaveLength(result.body.status === "accepted" ? 1 : 0);
        for (const { event: published } of bus.published) {
          expect(published.detail.repository.toLowerCase()).toBe(REPOSITORY.toLowerCase());
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("never answers 5xx to signed real payloads with random fields replaced, and what it publishes keeps the contract", async () => {
    const payloads = [
      ["pull_request", examplePayload("pull_request", "opened")],
      ["pull_request", examplePayload("pull_request", "labeled")],
      ["push", examplePayload("push")],
    ] as const;
    const replacement = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.string({ maxLength: 30 }),
      fc.integer(),
      fc.boolean(),
      fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
      fc.constant({}),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...payloads.keys()),
        fc.array(fc.tuple(fc.nat(), replacement), { minLength: 1, maxLength: 4 }),
        async (which, edits) => {
          const [event, original] = payloads[which];
          const payload = structuredClone(original) as Record<string, unknown>;
          const paths = leafPaths(payload);
          // A copy per edit: fc.constant({}) is one object, and two edits could nest it in itself.
          for (const [index, value] of edits) setAt(payload, paths[index % paths.length], structuredClone(value));
          const { handle, bus } = handlerWithFakes();
          const result = read(await handle(signedRequest(JSON.stringify(payload), { event })));
          expect([202, 400]).toContain(result.status);
          expect(bus.published).toHaveLength(result.body.status === "accepted" ? 1 : 0);
          for (const { event: published } of bus.published) {
            const schema = published.detailType === "push" ? pushEventSchema : pullRequestEventSchema;
            expect(schema.safeParse(published.detail).success).toBe(true);
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

/** Paths of the fields the normalizer reads, and of a few it does not. */
function leafPaths(value: unknown, prefix: string[] = [], depth = 0): string[][] {
  if (typeof value !== "object" || value === null || depth > 4) return [prefix];
  const entries = Array.isArray(value) ? value.slice(0, 2).map((item, index) => [String(index), item] as const) : Object.entries(value);
  const paths = entries.flatMap(([key, child]) => leafPaths(child, [...prefix, key], depth + 1));
  return prefix.length > 0 ? [prefix, ...paths] : paths;
}

function setAt(root: Record<string, unknown>, path: string[], value: unknown): void {
  let node: unknown = root;
  for (const key of path.slice(0, -1)) {
    if (typeof node !== "object" || node === null) return;
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node !== "object" || node === null) return;
  const last = path[path.length - 1];
  if (value === undefined) delete (node as Record<string, unknown>)[last];
  else (node as Record<string, unknown>)[last] = value;
}
