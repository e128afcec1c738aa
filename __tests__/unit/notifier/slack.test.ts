import { HttpDeliveryError } from "../../../functions/notifier/errors";
import { SlackWebhook } from "../../../functions/notifier/slack";
import { slackMessage } from "../../../functions/notifier/slack-message";
import type { RequestPolicy } from "../../../functions/shared/retry-policy";
import { FakeHttpServer } from "../../support/fake-http";
import { notification } from "./notifications";

let slack: FakeHttpServer;
beforeEach(async () => {
  slack = await FakeHttpServer.start();
});
afterEach(() => slack.stop());

const message = slackMessage(notification(), "FAILED: pipewright-orders");
const webhook = (policy: Partial<RequestPolicy> = {}) =>
  new SlackWebhook(async () => `${slack.url}/services/T000/B000/SECRETPATH`, { policy: { retryBaseDelayMs: 1, ...policy } });

describe("SlackWebhook", () => {
  test("posts the Block Kit message as JSON to the webhook", async () => {
    await expect(webhook().send(message)).resolves.toEqual({ status: "delivered" });
    expect(slack.requests).toHaveLength(1);
    const [request] = slack.requests;
    expect(request).toMatchObject({ method: "POST", path: "/services/T000/B000/SECRETPATH" });
    expect(request!.headers["content-type"]).toMatch(/^application\/json/);
    expect(request!.json()).toEqual(message);
  });

  test("without a configured URL it skips, calling nothing", async () => {
    await expect(new SlackWebhook(async () => undefined).send(message)).resolves.toMatchObject({ status: "skipped" });
    expect(slack.requests).toHaveLength(0);
  });

  test("retries a 5xx and succeeds", async () => {
    slack.respond((_, count) => (count < 2 ? { status: 503, body: "unavailable" } : { status: 200, body: "ok" }));
    await expect(webhook().send(message)).resolves.toEqual({ status: "delivered" });
    expect(slack.requests).toHaveLength(3);
  });

  test("retries a timeout and succeeds", async () => {
    slack.respond((_, count) => (count === 0 ? { status: 200, body: "ok", delayMs: 2000 } : { status: 200, body: "ok" }));
    await expect(webhook({ timeoutMs: 100 }).send(message)).resolves.toEqual({ status: "delivered" });
    expect(slack.requests).toHaveLength(2);
  });

  test("gives up after the policy's retries and reports the last status, never the secret URL", async () => {
    slack.respond(() => ({ status: 500, body: "rollup_error" }));
    const error = await webhook({ retries: 2 })
      .send(message)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpDeliveryError);
    expect(error).toMatchObject({ status: 500, attempts: 3 });
    expect((error as Error).message).toContain("rollup_error");
    expect((error as Error).message).not.toContain("SECRETPATH");
    expect(slack.requests).toHaveLength(3);
  });

  test("does not retry a 4xx: a revoked webhook is reported at once with the fix", async () => {
    slack.respond(() => ({ status: 404, body: "no_service" }));
    const error = await webhook()
      .send(message)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "HttpDeliveryError", status: 404, attempts: 1 });
    expect((error as Error).message).toMatch(/no_service[\s\S]*Fix: the webhook was revoked/);
    expect(slack.requests).toHaveLength(1);
  });

  test("does not retry a 429 either: Slack's client leaves rate limits to the next notification", async () => {
    slack.respond(() => ({ status: 429, body: "rate_limited", headers: { "retry-after": "1" } }));
    const error = await webhook()
      .send(message)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "HttpDeliveryError", status: 429, attempts: 1 });
    expect(slack.requests).toHaveLength(1);
  });

  test("retries a refused connection, then reports it without the secret URL", async () => {
    const url = slack.url;
    await slack.stop();
    slack = await FakeHttpServer.start();
    const error = await new SlackWebhook(async () => `${url}/services/T000/B000/SECRETPATH`, { policy: { retryBaseDelayMs: 1, retries: 1 } })
      .send(message)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "HttpDeliveryError", status: undefined, attempts: 2 });
    expect((error as Error).message).toMatch(/POST the Slack webhook on 127\.0\.0\.1:\d+ failed: .*\(attempt 2 of 2\)/);
    expect(JSON.stringify(error)).not.toContain("SECRETPATH");
  });

  test("times out on every attempt, then reports without a status", async () => {
    slack.respond(() => ({ status: 200, body: "ok", delayMs: 2000 }));
    const error = await webhook({ timeoutMs: 50, retries: 1 })
      .send(message)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "HttpDeliveryError", status: undefined, attempts: 2 });
    expect((error as Error).message).toMatch(/timed out after 50 ms \(attempt 2 of 2\)/);
  });
});
