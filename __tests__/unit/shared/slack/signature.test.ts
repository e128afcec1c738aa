import {
  FRONT_MAX_AGE_SECONDS,
  parseSlackSigningSecrets,
  SlackSignatureError,
  SlackSigningSecretUnavailableError,
  slackSignature,
  verifySlackRequest,
  verifySlackSignature,
  type SlackSigningSecrets,
} from "../../../../functions/shared/slack/signature";

// Slack's own example ("Verifying requests from Slack", api.slack.com/authentication/verifying-requests-from-slack).
const EXAMPLE = {
  secret: "8f742231b10e8888abcd99yyyzzz85a5",
  timestamp: "1531420618",
  body: "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
  signature: "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
};
const SENT_AT = new Date(Number(EXAMPLE.timestamp) * 1000);

function verify(overrides: Partial<Parameters<typeof verifySlackSignature>[0]> = {}): void {
  verifySlackSignature({
    body: EXAMPLE.body,
    timestamp: EXAMPLE.timestamp,
    signature: EXAMPLE.signature,
    secrets: { current: EXAMPLE.secret },
    now: SENT_AT,
    maxAgeSeconds: FRONT_MAX_AGE_SECONDS,
    ...overrides,
  });
}

function reasonOf(action: () => void): string | undefined {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(SlackSignatureError);
    return (error as SlackSignatureError).reason;
  }
  return undefined;
}

describe("verifySlackSignature", () => {
  it("computes Slack's documented example signature", () => {
    expect(slackSignature(EXAMPLE.secret, EXAMPLE.timestamp, EXAMPLE.body)).toBe(EXAMPLE.signature);
  });

  it("accepts Slack's documented example", () => {
    expect(() => verify()).not.toThrow();
  });

  it("accepts a signature written in uppercase hex and headers with blanks around them", () => {
    expect(() => verify({ signature: ` v0=${EXAMPLE.signature.slice(3).toUpperCase()} `, timestamp: ` ${EXAMPLE.timestamp} ` })).not.toThrow();
  });

  it("accepts the previous secret during a rotation", () => {
    expect(() => verify({ secrets: { current: "the-new-secret", previous: EXAMPLE.secret } })).not.toThrow();
  });

  it("refuses a signature made with neither secret", () => {
    expect(reasonOf(() => verify({ secrets: { current: "the-new-secret", previous: "another-old-one" } }))).toBe("mismatch");
  });

  it("refuses a changed body or timestamp", () => {
    expect(reasonOf(() => verify({ body: `${EXAMPLE.body}&text=deploy` }))).toBe("mismatch");
    const later = String(Number(EXAMPLE.timestamp) + 1);
    expect(reasonOf(() => verify({ timestamp: later, now: new Date(Number(later) * 1000) }))).toBe("mismatch");
  });

  it("accepts the edges of the allowed clock difference and refuses beyond them, in both directions", () => {
    const at = (seconds: number) => new Date(SENT_AT.getTime() + seconds * 1000);
    expect(() => verify({ now: at(300) })).not.toThrow();
    expect(() => verify({ now: at(-300) })).not.toThrow();
    expect(reasonOf(() => verify({ now: at(301) }))).toBe("stale");
    expect(reasonOf(() => verify({ now: at(-301) }))).toBe("stale");
    expect(reasonOf(() => verify({ now: at(1800), maxAgeSeconds: 1800 }))).toBeUndefined();
  });

  it("says stale before checking the signature, so a replay is refused whatever it carries", () => {
    expect(reasonOf(() => verify({ now: new Date(), signature: `v0=${"0".repeat(64)}` }))).toBe("stale");
  });

  it.each([
    ["no timestamp", { timestamp: undefined }, "missing"],
    ["an empty timestamp", { timestamp: "  " }, "missing"],
    ["no signature", { signature: undefined }, "missing"],
    ["an empty signature", { signature: "" }, "missing"],
    ["a timestamp that is not an integer", { timestamp: "1531420618.5" }, "malformed"],
    ["a negative timestamp", { timestamp: "-1531420618" }, "malformed"],
    ["a date as timestamp", { timestamp: "2018-07-12T18:36:58Z" }, "malformed"],
    ["another version", { signature: `v1=${EXAMPLE.signature.slice(3)}` }, "malformed"],
    ["a short signature", { signature: EXAMPLE.signature.slice(0, -2) }, "malformed"],
    ["a signature that is not hex", { signature: `v0=${"z".repeat(64)}` }, "malformed"],
  ] as const)("refuses %s as %s", (_name, overrides, reason) => {
    expect(reasonOf(() => verify(overrides))).toBe(reason);
  });

  it("never puts the secret or the expected signature in its messages", () => {
    try {
      verify({ secrets: { current: "top-secret-value" } });
    } catch (error) {
      expect((error as Error).message).not.toMatch(/top-secret-value/);
      expect((error as Error).message).not.toContain(slackSignature("top-secret-value", EXAMPLE.timestamp, EXAMPLE.body));
    }
  });
});

describe("verifySlackRequest", () => {
  function source(...values: SlackSigningSecrets[]) {
    const calls: Array<boolean | undefined> = [];
    return {
      calls,
      getSecrets: async (options?: { forceRefresh?: boolean }) => {
        calls.push(options?.forceRefresh);
        return values[Math.min(calls.length - 1, values.length - 1)];
      },
    };
  }
  const input = { body: EXAMPLE.body, timestamp: EXAMPLE.timestamp, signature: EXAMPLE.signature, now: SENT_AT, maxAgeSeconds: 300 };

  it("reads the secrets once when the signature matches", async () => {
    const secrets = source({ current: EXAMPLE.secret });
    await verifySlackRequest(input, secrets);
    expect(secrets.calls).toEqual([undefined]);
  });

  it("refreshes the secrets once after a mismatch, for a secret rotated since it was cached", async () => {
    const secrets = source({ current: "cached-before-rotation" }, { current: EXAMPLE.secret });
    await verifySlackRequest(input, secrets);
    expect(secrets.calls).toEqual([undefined, true]);
  });

  it("refuses when the refreshed secrets do not match either", async () => {
    const secrets = source({ current: "wrong" });
    await expect(verifySlackRequest(input, secrets)).rejects.toMatchObject({ reason: "mismatch" });
    expect(secrets.calls).toEqual([undefined, true]);
  });

  it("refuses missing, malformed and stale headers without reading any secret", async () => {
    for (const overrides of [{ signature: undefined }, { timestamp: "soon" }, { now: new Date() }]) {
      const secrets = source({ current: EXAMPLE.secret });
      await expect(verifySlackRequest({ ...input, ...overrides }, secrets)).rejects.toBeInstanceOf(SlackSignatureError);
      expect(secrets.calls).toEqual([]);
    }
  });
});

describe("parseSlackSigningSecrets", () => {
  it("reads current and previous, and treats an empty previous as absent", () => {
    expect(parseSlackSigningSecrets(JSON.stringify({ current: "a", previous: "b" }), "arn:secret")).toEqual({ current: "a", previous: "b" });
    expect(parseSlackSigningSecrets(JSON.stringify({ current: "a", previous: "" }), "arn:secret")).toEqual({ current: "a" });
  });

  it.each([
    ["plain text", "just-the-secret"],
    ["no current", JSON.stringify({ previous: "just-the-secret" })],
    ["an empty current", JSON.stringify({ current: "" })],
  ])("refuses %s with the fix, without the value", (_name, value) => {
    let caught: unknown;
    try {
      parseSlackSigningSecrets(value, "pipewright/slack-signing-secret");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SlackSigningSecretUnavailableError);
    expect((caught as Error).message).toMatch(/pipewright\/slack-signing-secret.*Fix: store \{"current": "<Slack signing secret>"\}/);
    expect((caught as Error).message).not.toMatch(/just-the-secret/);
  });
});
