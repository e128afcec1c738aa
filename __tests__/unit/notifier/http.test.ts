import { HttpDeliveryError } from "../../../functions/notifier/errors";
import { sendWithRetries } from "../../../functions/notifier/http";
import { FakeHttpServer } from "../../support/fake-http";

let server: FakeHttpServer;
beforeEach(async () => {
  server = await FakeHttpServer.start();
});
afterEach(() => server.stop());

const request = (url: string) => ({ method: "POST" as const, url, headers: {}, body: "{}", target: "the test server" });

describe("sendWithRetries", () => {
  test("waits as long as a 429's Retry-After asks, within its cap, then retries", async () => {
    server.respond((_, count) => (count === 0 ? { status: 429, body: "slow down", headers: { "retry-after": "2" } } : { status: 200, body: "ok" }));
    const waits: number[] = [];
    const response = await sendWithRetries(request(server.url), { sleep: async (ms) => void waits.push(ms), maxRetryAfterMs: 5000 });
    expect(response).toMatchObject({ status: 200, attempts: 2 });
    expect(waits).toEqual([2000]);
  });

  test("doubles the delay between attempts", async () => {
    server.respond(() => ({ status: 503 }));
    const waits: number[] = [];
    await expect(sendWithRetries(request(server.url), { sleep: async (ms) => void waits.push(ms), retryDelayMs: 100, maxAttempts: 4 })).rejects.toMatchObject({
      status: 503,
      attempts: 4,
    });
    expect(waits).toEqual([100, 200, 400]);
  });

  test("retries a refused connection, then reports it", async () => {
    const url = server.url;
    await server.stop();
    server = await FakeHttpServer.start();
    const error = await sendWithRetries(request(url), { sleep: async () => {}, maxAttempts: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpDeliveryError);
    expect(error).toMatchObject({ status: undefined, attempts: 2 });
    expect((error as Error).message).toMatch(/POST the test server failed: fetch failed[\s\S]*attempt 2 of 2/);
  });

  test("gives up before an attempt that would pass the deadline, saying so", async () => {
    server.respond(() => ({ status: 500, body: "down" }));
    let clock = 0;
    const error = await sendWithRetries(request(server.url), {
      now: () => clock,
      sleep: async (ms) => void (clock += ms),
      retryDelayMs: 600,
      deadlineMs: 1000,
      maxAttempts: 5,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "HttpDeliveryError", status: 500, attempts: 2 });
    expect((error as Error).message).toMatch(/gave up before attempt 3: the 1000 ms budget for the test server was spent/);
    expect(server.requests).toHaveLength(2);
  });
});
