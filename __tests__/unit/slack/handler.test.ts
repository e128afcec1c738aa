import { APPROVE_ACTION_ID, type ApprovalTarget } from "../../../functions/shared/slack/approval";
import { type SlackRequestDetail, slackRequestDetailSchema } from "../../../functions/shared/slack/bus-event";
import type { SlackResponse } from "../../../functions/shared/slack/response-url";
import { SlackSigningSecretUnavailableError, type SlackSigningSecrets } from "../../../functions/shared/slack/signature";
import { SlackBusUnavailableError, type SlackRequestBus } from "../../../functions/slack/aws";
import { makeHandler } from "../../../functions/slack/handler";
import { MAX_BODY_BYTES } from "../../../functions/slack/request";
import { clickPayload, commandBody, interactionBody, recordingLogger, SIGNING_SECRET, signedEvent, STRANGER } from "../../fixtures/slack/requests";

const NOW = new Date("2025-05-01T10:00:00.000Z");
const TARGET: ApprovalTarget = { pipeline: "pw-shop-orders", stage: "Prod", action: "Approve", executionId: "0b5c1e0e-1f4e-4f7a-9a53-3c1d2a4b5e6f" };

class FakeBus implements SlackRequestBus {
  readonly published: Array<{ detail: SlackRequestDetail; time: Date }> = [];
  failure: Error | undefined;
  async publish(detail: SlackRequestDetail, time: Date): Promise<void> {
    if (this.failure) throw this.failure;
    this.published.push({ detail, time });
  }
}

function front(options: { secrets?: SlackSigningSecrets | Error } = {}) {
  const bus = new FakeBus();
  const { logger, lines } = recordingLogger();
  const reads: Array<boolean | undefined> = [];
  const responses: Array<{ url: string; message: SlackResponse }> = [];
  const handle = makeHandler({
    secrets: {
      getSecrets: async (request) => {
        reads.push(request?.forceRefresh);
        if (options.secrets instanceof Error) throw options.secrets;
        return options.secrets ?? { current: SIGNING_SECRET };
      },
    },
    bus,
    respond: async (url, message) => {
      responses.push({ url, message });
    },
    logger,
    now: () => NOW,
  });
  return { handle, bus, lines, reads, responses };
}

const command = (text: string, options: Parameters<typeof signedEvent>[2] = { at: NOW }) =>
  signedEvent("/slack/commands", commandBody(text), options);
const body = (result: { body?: string }) => JSON.parse(result.body ?? "null");

describe("Slack front: signatures", () => {
  it.each([
    ["no signature", { headers: { "x-slack-signature": undefined } }, /X-Slack-Signature header is missing/],
    ["no timestamp", { headers: { "x-slack-request-timestamp": undefined } }, /X-Slack-Request-Timestamp header is missing/],
    ["a malformed signature", { headers: { "x-slack-signature": "sha256=abc" } }, /not v0=<64 hex digits>/],
    ["another secret's signature", { secret: "someone-elses-secret" }, /does not match/],
    ["a request signed six minutes ago", { at: new Date(NOW.getTime() - 360_000) }, /at most 300 s/],
    ["a request signed six minutes ahead", { at: new Date(NOW.getTime() + 360_000) }, /at most 300 s/],
  ])("refuses %s with 401 and a JSON message, before parsing and publishing", async (_name, overrides, message) => {
    const { handle, bus, lines } = front();
    const result = await handle(command("deploy orders", { at: NOW, ...overrides }));
    expect(result.statusCode).toBe(401);
    expect(result.headers).toEqual({ "content-type": "application/json" });
    expect(body(result).message).toMatch(message);
    expect(bus.published).toHaveLength(0);
    expect(lines).toEqual([expect.objectContaining({ level: "warn", fields: expect.objectContaining({ outcome: "refused", status: 401 }) })]);
  });

  it("accepts a request signed four minutes ago", async () => {
    const { handle } = front();
    expect((await handle(command("help", { at: new Date(NOW.getTime() - 240_000) }))).statusCode).toBe(200);
  });

  it("verifies a base64-encoded body on its decoded bytes", async () => {
    const { handle, bus } = front();
    const result = await handle(signedEvent("/slack/commands", commandBody("status orders"), { at: NOW, base64: true }));
    expect(result.statusCode).toBe(200);
    expect(bus.published[0]?.detail.request.body).toBe(commandBody("status orders"));
  });

  it("accepts the previous secret during a rotation", async () => {
    const { handle } = front({ secrets: { current: "new-secret", previous: SIGNING_SECRET } });
    expect((await handle(command("help"))).statusCode).toBe(200);
  });

  it("refuses a body larger than a Slack request before reading the secret", async () => {
    const { handle, reads } = front();
    const result = await handle(signedEvent("/slack/commands", "x".repeat(MAX_BODY_BYTES + 1), { at: NOW }));
    expect(result.statusCode).toBe(413);
    expect(reads).toEqual([]);
  });

  it("answers 404 for another path", async () => {
    const { handle } = front();
    const result = await handle({ ...command("help"), routeKey: "$default", rawPath: "/slack/events" });
    expect(result.statusCode).toBe(404);
  });

  it("tells the user to try again when the signing secret cannot be read, and logs an error", async () => {
    const { handle, lines } = front({ secrets: new SlackSigningSecretUnavailableError("cannot read") });
    const result = await handle(command("status"));
    expect(result.statusCode).toBe(200);
    expect(body(result)).toEqual({ response_type: "ephemeral", text: expect.stringMatching(/try again/) });
    expect(lines[0]).toMatchObject({ level: "error", fields: { outcome: "unavailable" } });
  });
});

describe("Slack front: commands", () => {
  it.each(["", "help", "  HELP  "])("answers %j with the help text, ephemeral, without the bus", async (text) => {
    const { handle, bus } = front();
    const result = await handle(command(text));
    expect(result.statusCode).toBe(200);
    const answer = body(result);
    expect(answer.response_type).toBe("ephemeral");
    expect(answer.text).toContain("/pipewright status [service]");
    expect(answer.text).toContain("/pipewright deploy <service> [commit]");
    expect(answer.text).toContain("/pipewright help");
    expect(bus.published).toHaveLength(0);
  });

  it.each([
    ["launch rockets", /"launch" is not a subcommand/],
    ["deploy", /deploy needs a service/],
    ["deploy orders main", /"main" is not a commit: give its full 40-character SHA/],
    ["status a b", /at most one argument/],
  ])("answers the invalid %j with the reason and the help, without the bus", async (text, reason) => {
    const { handle, bus } = front();
    const answer = body(await handle(command(text)));
    expect(answer.response_type).toBe("ephemeral");
    expect(answer.text).toMatch(reason);
    expect(answer.text).toContain("/pipewright deploy <service> [commit]");
    expect(bus.published).toHaveLength(0);
  });

  it.each(["status", "status orders", `deploy orders ${"a".repeat(40)}`])(
    "puts %j on the bus as the signed request and says it is working on it",
    async (text) => {
      const { handle, bus, lines } = front();
      const event = command(text);
      const result = await handle(event);
      expect(body(result)).toEqual({ response_type: "ephemeral", text: `Working on it: \`/pipewright ${text}\`` });
      expect(bus.published).toHaveLength(1);
      const { detail, time } = bus.published[0]!;
      expect(slackRequestDetailSchema.parse(detail)).toEqual({
        kind: "command",
        requestId: "Ab3dEfGhIjKLmNo=",
        receivedAt: NOW.toISOString(),
        request: { body: event.body, timestamp: event.headers["x-slack-request-timestamp"], signature: event.headers["x-slack-signature"] },
      });
      expect(time).toEqual(NOW);
      expect(lines[0]).toMatchObject({ level: "info", fields: { outcome: "accepted", command: text.split(" ")[0], user: "U0APPROVER1" } });
    },
  );

  it("answers 200 with an ephemeral 'try again' when the bus is unavailable, and logs an error", async () => {
    const { handle, bus, lines } = front();
    bus.failure = new SlackBusUnavailableError("PutEvents failed");
    const result = await handle(command("deploy orders"));
    expect(result.statusCode).toBe(200);
    expect(body(result).text).toMatch(/could not accept this request right now; try again/);
    expect(lines[0]).toMatchObject({ level: "error", fields: { outcome: "unavailable", error: bus.failure } });
  });

  it("refuses a signed form without the fields of a slash command with 400", async () => {
    const { handle } = front();
    const result = await handle(signedEvent("/slack/commands", "text=status", { at: NOW }));
    expect(result.statusCode).toBe(400);
    expect(body(result).message).toMatch(/problem in: command, user_id, response_url/);
  });
});

describe("Slack front: interactions", () => {
  it("puts an approval click on the bus and answers an empty 200", async () => {
    const { handle, bus } = front();
    const event = signedEvent("/slack/interactions", interactionBody(clickPayload(TARGET)), { at: NOW });
    const result = await handle(event);
    expect(result).toEqual({ statusCode: 200, body: "" });
    expect(bus.published.map(({ detail }) => [detail.kind, detail.request.body])).toEqual([["interaction", event.body]]);
  });

  it("publishes a stranger's click too: the worker decides, after verifying it again", async () => {
    const { handle, bus } = front();
    await handle(signedEvent("/slack/interactions", interactionBody(clickPayload(TARGET, { user: STRANGER })), { at: NOW }));
    expect(bus.published).toHaveLength(1);
  });

  it.each([
    ["a link button's click", interactionBody(clickPayload(TARGET, { actionId: "pipewright_execution" }))],
    ["a shortcut", interactionBody({ type: "shortcut", callback_id: "x", user: { id: "U0APPROVER1" } })],
  ])("ignores %s with an empty 200 and logs it", async (_name, interaction) => {
    const { handle, bus, lines } = front();
    expect(await handle(signedEvent("/slack/interactions", interaction, { at: NOW }))).toEqual({ statusCode: 200, body: "" });
    expect(bus.published).toHaveLength(0);
    expect(lines[0]).toMatchObject({ level: "info", fields: { outcome: "ignored" } });
  });

  it("tells the clicker through response_url when the bus is unavailable", async () => {
    const { handle, bus, responses, lines } = front();
    bus.failure = new SlackBusUnavailableError("PutEvents failed");
    const result = await handle(signedEvent("/slack/interactions", interactionBody(clickPayload(TARGET)), { at: NOW }));
    expect(result).toEqual({ statusCode: 200, body: "" });
    expect(responses).toEqual([
      { url: "https://hooks.slack.com/actions/T0SANDBOX01/1/abc", message: { text: expect.stringMatching(/try again/), replace_original: false } },
    ]);
    expect(lines[0]?.level).toBe("error");
  });

  it.each([
    ["no payload field", "foo=bar", /no payload field/],
    ["a payload that is not JSON", "payload=%7Bnot-json", /not JSON/],
    ["a click without its user", interactionBody({ type: "block_actions", actions: [{ action_id: APPROVE_ACTION_ID }] }), /problem in: user/],
  ])("refuses %s with 400", async (_name, interaction, message) => {
    const { handle } = front();
    const result = await handle(signedEvent("/slack/interactions", interaction, { at: NOW }));
    expect(result.statusCode).toBe(400);
    expect(body(result).message).toMatch(message);
  });
});
