import { generateKeyPairSync, verify } from "node:crypto";
import type { CommitStatus } from "../../../functions/notifier/commit-status";
import { HttpDeliveryError } from "../../../functions/notifier/errors";
import { gitHubAppJwt, GitHubCommitStatuses } from "../../../functions/notifier/github";
import type { GitHubCredentials } from "../../../functions/notifier/secrets";
import { FakeHttpServer, noSleep } from "../../support/fake-http";

const SHA = "3f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a";
const STATUS: CommitStatus = {
  sha: SHA,
  state: "failure",
  context: "pipewright/pipewright-orders",
  description: "Failed at Build/BuildAndPackage",
  targetUrl: "https://us-east-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/pipewright-orders/executions/e/timeline?region=us-east-1",
};
const STATUS_PATH = `/repos/acme-corp/shop/statuses/${SHA}`;

let github: FakeHttpServer;
beforeEach(async () => {
  github = await FakeHttpServer.start(() => ({ status: 201, body: { id: 1 } }));
});
afterEach(() => github.stop());

function statuses(credentials: GitHubCredentials | undefined, options: Partial<ConstructorParameters<typeof GitHubCommitStatuses>[0]> = {}) {
  return new GitHubCommitStatuses({
    repository: "acme-corp/shop",
    baseUrl: github.url,
    credentials: async () => credentials,
    http: { sleep: noSleep },
    ...options,
  });
}

describe("GitHubCommitStatuses with a token", () => {
  test("posts state, context, description and target URL for the commit", async () => {
    await expect(statuses({ kind: "token", token: "ghp_x" }).send(STATUS)).resolves.toEqual({ status: "delivered", detail: "failure on 3f1c2a9e8d7b" });
    const [request] = github.requests;
    expect(request).toMatchObject({ method: "POST", path: STATUS_PATH });
    expect(request!.headers.authorization).toBe("Bearer ghp_x");
    expect(request!.headers.accept).toBe("application/vnd.github+json");
    expect(request!.json()).toEqual({ state: "failure", context: STATUS.context, description: STATUS.description, target_url: STATUS.targetUrl });
  });

  test("without credentials it skips, calling nothing", async () => {
    await expect(statuses(undefined).send(STATUS)).resolves.toMatchObject({ status: "skipped", reason: expect.stringContaining("no GitHub credentials") });
    expect(github.requests).toHaveLength(0);
  });

  test("retries a 5xx and a timeout, then succeeds", async () => {
    github.respond((_, count) => (count === 0 ? { status: 502, body: "bad gateway" } : count === 1 ? { status: 201, delayMs: 2000 } : { status: 201, body: {} }));
    await expect(statuses({ kind: "token", token: "t" }, { http: { sleep: noSleep, timeoutMs: 100 } }).send(STATUS)).resolves.toMatchObject({
      status: "delivered",
    });
    expect(github.requests).toHaveLength(3);
  });

  test("a 401 is not retried and is reported with the fix", async () => {
    github.respond(() => ({ status: 401, body: { message: "Bad credentials" } }));
    const error = await statuses({ kind: "token", token: "t" }).send(STATUS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpDeliveryError);
    expect(error).toMatchObject({ status: 401, attempts: 1 });
    expect((error as Error).message).toMatch(/Bad credentials[\s\S]*Fix: the GitHub credentials in the GitHub token secret are invalid or expired/);
    expect(github.requests).toHaveLength(1);
  });

  test("keeps trying 5xx only a bounded number of times", async () => {
    github.respond(() => ({ status: 500, body: "oops" }));
    await expect(statuses({ kind: "token", token: "t" }, { http: { sleep: noSleep, maxAttempts: 4 } }).send(STATUS)).rejects.toMatchObject({
      status: 500,
      attempts: 4,
    });
    expect(github.requests).toHaveLength(4);
  });

  test("stops within its time budget", async () => {
    github.respond(() => ({ status: 201, delayMs: 5000 }));
    const started = Date.now();
    await expect(statuses({ kind: "token", token: "t" }, { budgetMs: 300, http: { sleep: noSleep, maxAttempts: 10, timeoutMs: 5000 } }).send(STATUS)).rejects.toThrow(
      HttpDeliveryError,
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe("GitHubCommitStatuses as a GitHub App", () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const now = Date.UTC(2024, 2, 26, 14, 0, 0);

  test("the JWT is RS256, signed with the App's key, issued by the App", () => {
    const jwt = gitHubAppJwt("42", pem, now);
    const [header, payload, signature] = jwt.split(".");
    expect(JSON.parse(Buffer.from(header!, "base64url").toString())).toEqual({ alg: "RS256", typ: "JWT" });
    expect(JSON.parse(Buffer.from(payload!, "base64url").toString())).toEqual({ iss: "42", iat: now / 1000 - 60, exp: now / 1000 + 540 });
    expect(verify("RSA-SHA256", Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature!, "base64url"))).toBe(true);
  });

  test("finds the installation, buys an installation token and reuses it until shortly before it expires", async () => {
    github.respond((request) => {
      if (request.path === "/repos/acme-corp/shop/installation") return { status: 200, body: { id: 99 } };
      if (request.path === "/app/installations/99/access_tokens") return { status: 201, body: { token: "ghs_installation", expires_at: new Date(now + 3600_000).toISOString() } };
      return { status: 201, body: {} };
    });
    let clock = now;
    const sender = statuses({ kind: "app", appId: "42", privateKey: pem }, { now: () => clock });
    await sender.send(STATUS);
    await sender.send(STATUS);
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /repos/acme-corp/shop/installation",
      "POST /app/installations/99/access_tokens",
      `POST ${STATUS_PATH}`,
      `POST ${STATUS_PATH}`,
    ]);
    expect(github.requests[0]!.headers.authorization).toMatch(/^Bearer ey/);
    expect(github.requests[2]!.headers.authorization).toBe("Bearer ghs_installation");

    clock = now + 56 * 60_000;
    await sender.send(STATUS);
    expect(github.requests.slice(4).map((r) => r.path)).toEqual(["/repos/acme-corp/shop/installation", "/app/installations/99/access_tokens", STATUS_PATH]);
  });

  test("uses a configured installation id directly", async () => {
    github.respond((request) =>
      request.path.startsWith("/app/") ? { status: 201, body: { token: "ghs_x", expires_at: new Date(now + 3600_000).toISOString() } } : { status: 201, body: {} },
    );
    await statuses({ kind: "app", appId: "42", privateKey: pem, installationId: "7" }, { now: () => now }).send(STATUS);
    expect(github.requests.map((r) => r.path)).toEqual(["/app/installations/7/access_tokens", STATUS_PATH]);
  });

  test("a rejected App is reported like any failed delivery", async () => {
    github.respond(() => ({ status: 401, body: { message: "'Expiration time' claim ('exp') is too far in the future" } }));
    await expect(statuses({ kind: "app", appId: "42", privateKey: pem, installationId: "7" }).send(STATUS)).rejects.toMatchObject({
      name: "HttpDeliveryError",
      status: 401,
    });
  });
});
