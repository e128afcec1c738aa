import { inspect } from "node:util";
import { SignatureError, WebhookSecretUnavailableError } from "../../../functions/webhook/errors";
import { parseWebhookSecrets, readSignatureHeader, verifySignature } from "../../../functions/webhook/signature";
import { PREVIOUS_SECRET, SECRET, signatureFor } from "../../fixtures/webhook/deliveries";

// docs.github.com test vector (FIELD-NOTES, "GitHub webhooks").
const VECTOR_SECRET = "It's a Secret to Everybody";
const VECTOR_BODY = "Hello, World!";
const VECTOR_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

async function failure(promise: Promise<unknown>): Promise<SignatureError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SignatureError);
  return error as SignatureError;
}

describe("verifySignature", () => {
  it("verifies GitHub's documented test vector", async () => {
    await expect(verifySignature(VECTOR_BODY, VECTOR_SIGNATURE, { current: VECTOR_SECRET })).resolves.toBeUndefined();
    expect(signatureFor(VECTOR_BODY, VECTOR_SECRET)).toBe(VECTOR_SIGNATURE);
  });

  it("accepts the test vector's signature in uppercase hex", async () => {
    const upper = `sha256=${VECTOR_SIGNATURE.slice(7).toUpperCase()}`;
    await expect(verifySignature(VECTOR_BODY, upper, { current: VECTOR_SECRET })).resolves.toBeUndefined();
  });

  it("accepts the previous secret during a rotation, and only while it is configured", async () => {
    const signature = signatureFor(VECTOR_BODY, PREVIOUS_SECRET);
    await expect(verifySignature(VECTOR_BODY, signature, { current: SECRET, previous: PREVIOUS_SECRET })).resolves.toBeUndefined();
    expect((await failure(verifySignature(VECTOR_BODY, signature, { current: SECRET }))).reason).toBe("mismatch");
  });

  it("rejects a signature of another body or made with another secret", async () => {
    const secrets = { current: VECTOR_SECRET, previous: PREVIOUS_SECRET };
    expect((await failure(verifySignature("Hello, World?", VECTOR_SIGNATURE, secrets))).reason).toBe("mismatch");
    expect((await failure(verifySignature(VECTOR_BODY, signatureFor(VECTOR_BODY, "guess"), secrets))).reason).toBe("mismatch");
  });

  it.each([undefined, "", "   "])("rejects a missing signature (%p) with 401, not octokit's TypeError", async (header) => {
    const error = await failure(verifySignature(VECTOR_BODY, header, { current: VECTOR_SECRET }));
    expect(error.status).toBe(401);
    expect(error.reason).toBe("missing");
  });

  it.each([
    "sha256=",
    "sha256",
    VECTOR_SIGNATURE.slice(7),
    `sha1=${"a".repeat(40)}`,
    `${VECTOR_SIGNATURE}0`,
    VECTOR_SIGNATURE.slice(0, -1),
    `sha256=${"g".repeat(64)}`,
    `sha256= ${VECTOR_SIGNATURE.slice(7)}`,
    `${VECTOR_SIGNATURE},${VECTOR_SIGNATURE}`,
  ])("rejects the malformed signature %p", async (header) => {
    const error = await failure(verifySignature(VECTOR_BODY, header, { current: VECTOR_SECRET }));
    expect(error.reason).toBe("malformed");
  });

  it("rejects an empty body with a SignatureError (octokit would throw a TypeError)", async () => {
    const error = await failure(verifySignature("", VECTOR_SIGNATURE, { current: VECTOR_SECRET }));
    expect(error.status).toBe(401);
  });

  it("never puts the secret or the signature in its messages", async () => {
    const error = await failure(verifySignature(VECTOR_BODY, signatureFor("x", SECRET), { current: SECRET }));
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain(signatureFor("x", SECRET).slice(7));
  });
});

describe("readSignatureHeader", () => {
  it("returns the signature in lowercase, trimmed", () => {
    expect(readSignatureHeader(` ${VECTOR_SIGNATURE.toUpperCase().replace("SHA256", "sha256")} `)).toBe(VECTOR_SIGNATURE);
  });
});

describe("parseWebhookSecrets", () => {
  it("reads current and previous", () => {
    expect(parseWebhookSecrets(JSON.stringify({ current: "a", previous: "b" }), "arn:secret")).toEqual({ current: "a", previous: "b" });
  });

  it("treats a missing or empty previous as absent", () => {
    expect(parseWebhookSecrets(JSON.stringify({ current: "a" }), "arn:secret")).toEqual({ current: "a" });
    expect(parseWebhookSecrets(JSON.stringify({ current: "a", previous: "" }), "arn:secret")).toEqual({ current: "a" });
  });

  it.each([
    ["not JSON", "plain-text-secret-value"],
    ["without current", JSON.stringify({ previous: "plain-text-secret-value" })],
    ["with an empty current", JSON.stringify({ current: "" })],
    ["with a numeric current", JSON.stringify({ current: 42 })],
    ["an array", JSON.stringify(["plain-text-secret-value"])],
  ])("rejects a secret that is %s, naming the secret and the fix but not the value", (_label, value) => {
    let caught: unknown;
    try {
      parseWebhookSecrets(value, "arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhook");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WebhookSecretUnavailableError);
    const message = (caught as Error).message;
    expect(message).toContain("arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhook");
    expect(message).toContain("Fix:");
    expect(message).not.toContain("plain-text-secret-value");
    // Nor anywhere a logger would print the error: JSON.parse's own message quotes its input.
    expect((caught as Error).cause).toBeUndefined();
    expect(inspect(caught, { depth: 10 })).not.toContain("plain-text-secret-value");
  });
});
