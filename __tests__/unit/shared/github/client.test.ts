import { createVerify, generateKeyPairSync } from "node:crypto";
import {
  createGitHubClient,
  type GitHubClientCredentials,
  type GitHubClientOptions,
  type GitHubClientSettings,
  gitHubClientSource,
} from "../../../../functions/shared/github/client";
import type { GitHubCredentials } from "../../../../functions/shared/github/credentials";
import { GitHubCallError, gitHubStatusOf } from "../../../../functions/shared/github/errors";
import type { RequestPolicy } from "../../../../functions/shared/retry-policy";
import { clientSourceFor, FakeGitHub, fakeApp } from "../../../support/fake-github";
import { FakeHttpServer, type ReceivedRequest } from "../../../support/fake-http";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const REPOSITORY = "example-org/shop";
const FAST: Partial<RequestPolicy> = { timeoutMs: 200, retries: 2, retryBaseDelayMs: 1 };
const { privateKey, publicKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  // The format GitHub hands out App keys in.
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
});

let github: FakeHttpServer;
beforeEach(async () => {
  github = await FakeHttpServer.start();
});
afterEach(() => github.stop());

function settings(): GitHubClientSettings {
  return { baseUrl: github.url, userAgent: "pipewright-test", policy: FAST };
}

function options(credentials: GitHubClientCredentials, overrides: Partial<GitHubClientOptions> = {}): GitHubClientOptions {
  return { credentials, ...settings(), ...overrides };
}

const token: GitHubClientCredentials = { kind: "token", token: "github_pat_11TEST" };
const getRepository = (client: ReturnType<typeof createGitHubClient>) =>
  client.request("GET /repos/{owner}/{repo}", { owner: "example-org", repo: "shop" });

/** The claims of a JWT the fake received, after checking its RS256 signature with the App's public key. */
function verifiedJwtClaims(request: ReceivedRequest): Record<string, unknown> {
  const [scheme, jwt = ""] = String(request.headers.authorization).split(" ");
  expect(scheme?.toLowerCase()).toBe("bearer");
  const [header = "", payload = "", signature = ""] = jwt.split(".");
  expect(JSON.parse(Buffer.from(header, "base64url").toString())).toMatchObject({ alg: "RS256" });
  const verifier = createVerify("RSA-SHA256");
  verifier.update(`${header}.${payload}`);
  expect(verifier.verify(publicKey, signature, "base64url")).toBe(true);
  return JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
}

/** GitHub's answers for an App: its installation on the repository and installation tokens. */
function appGitHub(request: ReceivedRequest) {
  if (request.method === "GET" && request.path === `/repos/${REPOSITORY}/installation`) return { status: 200, body: { id: 99 } };
  if (request.method === "POST" && /^\/app\/installations\/\d+\/access_tokens$/.test(request.path)) {
    return { status: 201, body: { token: "ghs_installation", expires_at: new Date(Date.now() + 3_600_000).toISOString() } };
  }
  return { status: 201, body: { id: 1 } };
}

describe("createGitHubClient with a token", () => {
  it("sends the exact request: method, path, JSON body, the token and the function's user agent", async () => {
    github.respond(() => ({ status: 201, body: { id: 1 } }));
    const client = createGitHubClient(options(token));
    await client.request("POST /repos/{owner}/{repo}/statuses/{sha}", {
      owner: "example-org",
      repo: "shop",
      sha: SHA,
      state: "pending",
      context: "pipewright/fork-approval",
      description: "waiting",
      target_url: "https://github.com/example-org/shop/pull/7",
    });
    expect(github.requests).toHaveLength(1);
    const [request] = github.requests as [ReceivedRequest];
    expect(request).toMatchObject({ method: "POST", path: `/repos/example-org/shop/statuses/${SHA}` });
    expect(request.json()).toEqual({
      state: "pending",
      context: "pipewright/fork-approval",
      description: "waiting",
      target_url: "https://github.com/example-org/shop/pull/7",
    });
    expect(request.headers.authorization).toBe("token github_pat_11TEST");
    expect(request.headers["user-agent"]).toMatch(/^pipewright-test octokit-core\.js\//);
    expect(request.headers.accept).toBe("application/vnd.github.v3+json");
  });

  it("escapes path parameters such as label names", async () => {
    github.respond(() => ({ status: 200, body: [] }));
    const client = createGitHubClient(options(token));
    await client.request("DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", {
      owner: "example-org",
      repo: "shop",
      issue_number: 7,
      name: "ok to test/ci",
    });
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["DELETE /repos/example-org/shop/issues/7/labels/ok%20to%20test%2Fci"]);
  });

  it("retries a 5xx a bounded number of times, then fails with GitHub's status", async () => {
    github.respond(() => ({ status: 502, body: { message: "Bad Gateway" } }));
    const client = createGitHubClient(options(token));
    const failure = await getRepository(client).catch((error: unknown) => error);
    expect(gitHubStatusOf(failure)).toBe(502);
    expect(github.requests).toHaveLength(3);
  });

  it("gets through when a retry succeeds", async () => {
    github.respond((_request, count) =>
      count === 0 ? { status: 503, body: { message: "busy" } } : { status: 200, body: { full_name: REPOSITORY } },
    );
    const client = createGitHubClient(options(token));
    await expect(getRepository(client)).resolves.toMatchObject({ status: 200, data: { full_name: REPOSITORY } });
    expect(github.requests).toHaveLength(2);
  });

  it("gives up on a request that takes longer than the timeout, retrying it the same bounded number of times", async () => {
    github.respond(() => ({ status: 200, body: {}, delayMs: 2_000 }));
    const client = createGitHubClient(options(token, { policy: { ...FAST, timeoutMs: 100, retries: 1 } }));
    const started = Date.now();
    const failure = await getRepository(client).catch((error: unknown) => error);
    expect(gitHubStatusOf(failure)).toBe(500);
    expect((failure as Error).message).toBe(`GitHub did not answer ${github.url}/repos/example-org/shop within 100 ms`);
    expect(github.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it.each([401, 403, 404, 422])("does not retry a %i, whose answer would not change", async (status) => {
    github.respond(() => ({ status, body: { message: "no" } }));
    const client = createGitHubClient(options(token));
    const failure = await getRepository(client).catch((error: unknown) => error);
    expect(gitHubStatusOf(failure)).toBe(status);
    expect(github.requests).toHaveLength(1);
  });

  it("does not wait out a rate limit longer than the policy allows, and says so", async () => {
    const reset = Math.floor(Date.now() / 1000) + 3_600;
    github.respond(() => ({
      status: 403,
      body: { message: "API rate limit exceeded for installation." },
      headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
    }));
    const warnings: string[] = [];
    const client = createGitHubClient(options(token, { log: { warn: (message) => warnings.push(message) } }));
    const started = Date.now();
    const failure = await getRepository(client).catch((error: unknown) => error);
    expect(gitHubStatusOf(failure)).toBe(403);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(github.requests).toHaveLength(1);
    expect(warnings).toEqual([expect.stringMatching(/^GitHub primary rate limit on GET \/repos\/\{owner\}\/\{repo\}: giving up$/)]);
  });

  it("waits out a short secondary rate limit once", async () => {
    github.respond((_request, count) =>
      count === 0
        ? { status: 403, body: { message: "You have exceeded a secondary rate limit." }, headers: { "retry-after": "1" } }
        : { status: 200, body: { full_name: REPOSITORY } },
    );
    const warnings: string[] = [];
    const client = createGitHubClient(options(token, { log: { warn: (message) => warnings.push(message) } }));
    await expect(getRepository(client)).resolves.toMatchObject({ status: 200 });
    expect(github.requests).toHaveLength(2);
    expect(warnings).toEqual([expect.stringMatching(/secondary rate limit .*: waiting once$/)]);
  });
});

describe("createGitHubClient as a GitHub App", () => {
  it("buys an installation token with a JWT signed by the App's key and uses it", async () => {
    github.respond(appGitHub);
    const client = createGitHubClient(options({ kind: "app", appId: "42", privateKey, installationId: "77" }));
    await getRepository(client);
    await getRepository(client);
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /app/installations/77/access_tokens",
      "GET /repos/example-org/shop",
      "GET /repos/example-org/shop",
    ]);
    const claims = verifiedJwtClaims(github.requests[0] as ReceivedRequest);
    expect(claims.iss).toBe("42");
    expect(Number(claims.exp) - Number(claims.iat)).toBeLessThanOrEqual(600);
    expect(github.requests[1]?.headers.authorization).toBe("token ghs_installation");
  });
});

describe("gitHubClientSource", () => {
  it("without an installation id, looks up the App's installation on the repository first", async () => {
    github.respond(appGitHub);
    const client = await gitHubClientSource(async () => ({ kind: "app", appId: "42", privateKey }), settings())(REPOSITORY);
    await getRepository(client!);
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /repos/${REPOSITORY}/installation`,
      "POST /app/installations/99/access_tokens",
      "GET /repos/example-org/shop",
    ]);
    expect(verifiedJwtClaims(github.requests[0] as ReceivedRequest).iss).toBe("42");
    expect(github.requests[2]?.headers.authorization).toBe("token ghs_installation");
  });

  it("gives one token client for every repository", async () => {
    github.respond(() => ({ status: 200, body: {} }));
    const source = gitHubClientSource(async () => token, settings());
    expect(await source("example-org/shop")).toBe(await source("other-org/billing"));
    expect(github.requests).toHaveLength(0);
  });

  it("gives every repository the installation the App's credentials name, without looking it up", async () => {
    github.respond(appGitHub);
    const source = gitHubClientSource(async () => ({ kind: "app", appId: "42", privateKey, installationId: "77" }), settings());
    expect(await source("example-org/shop")).toBe(await source("example-org/billing"));
    expect(github.requests).toHaveLength(0);
  });
  it("is undefined while no credentials are configured", async () => {
    await expect(gitHubClientSource(async () => undefined, settings())(REPOSITORY)).resolves.toBeUndefined();
    expect(github.requests).toHaveLength(0);
  });

  it("keeps one client while the credentials stay the same, so an App's installation token is reused", async () => {
    github.respond(appGitHub);
    let credentials: GitHubCredentials = { kind: "app", appId: "42", privateKey };
    const source = gitHubClientSource(async () => credentials, settings());
    const first = await source(REPOSITORY);
    expect(await source(REPOSITORY)).toBe(first);
    await getRepository((await source(REPOSITORY))!);
    await getRepository((await source(REPOSITORY))!);
    expect(github.requests.filter((r) => r.path.endsWith("/access_tokens"))).toHaveLength(1);

    credentials = token;
    const second = await source(REPOSITORY);
    expect(second).not.toBe(first);
    await getRepository(second!);
    expect(github.requests.at(-1)?.headers.authorization).toBe("token github_pat_11TEST");
  });

  it("does not keep a client whose installation lookup failed", async () => {
    github.respond((request, count) =>
      request.path.endsWith("/installation") && count === 0 ? { status: 404, body: { message: "Not Found" } } : appGitHub(request),
    );
    const source = gitHubClientSource(async () => ({ kind: "app", appId: "42", privateKey }), settings());
    expect(gitHubStatusOf(await source(REPOSITORY).catch((error: unknown) => error))).toBe(404);
    await expect(source(REPOSITORY)).resolves.toBeDefined();
    expect(github.requests.filter((r) => r.path.endsWith("/installation"))).toHaveLength(2);
  });
});

describe("gitHubClientSource for many repositories of a GitHub App", () => {
  const SHOP = "example-org/shop";
  const BILLING = "example-org/billing";
  const PARTNER = "partner-org/portal";
  let fake: FakeGitHub;
  beforeEach(async () => {
    fake = await FakeGitHub.start(SHOP, { moreRepositories: [BILLING, PARTNER] });
  });
  afterEach(() => fake.stop());

  const readRepository = async (source: ReturnType<typeof clientSourceFor>, repository: string) => {
    const [owner = "", repo = ""] = repository.split("/");
    return (await source(repository))!.request("GET /repos/{owner}/{repo}", { owner, repo });
  };
  const tokenRequests = () => fake.calls().filter((call) => call.endsWith("/access_tokens"));

  it("looks up each repository's installation once, and two repositories of one installation share one client and one token", async () => {
    const app = fakeApp({ installationId: 5 });
    fake.installApp(app, { [SHOP]: 5, [BILLING]: 5 });
    const source = clientSourceFor(fake, { kind: "app", appId: app.appId, privateKey: app.privateKey });
    await readRepository(source, SHOP);
    await readRepository(source, BILLING);
    expect(await source(SHOP)).toBe(await source(BILLING));
    expect(await source(SHOP.toUpperCase())).toBe(await source(SHOP));
    expect(tokenRequests()).toEqual(["POST /app/installations/5/access_tokens"]);
    expect(fake.calls().filter((call) => call.endsWith("/installation"))).toEqual([
      `GET /repos/${SHOP}/installation`,
      `GET /repos/${BILLING}/installation`,
    ]);
    expect(fake.requestsTo("", BILLING)[0]?.headers.authorization).toBe(`token ${fake.installationToken(5)}`);
  });

  it("gives repositories under two installations two clients, each with its installation's token", async () => {
    const app = fakeApp({ installationId: 5 });
    fake.installApp(app, { [SHOP]: 5, [PARTNER]: 8 });
    const source = clientSourceFor(fake, { kind: "app", appId: app.appId, privateKey: app.privateKey });
    await readRepository(source, SHOP);
    await readRepository(source, PARTNER);
    expect(await source(SHOP)).not.toBe(await source(PARTNER));
    expect(tokenRequests()).toEqual(["POST /app/installations/5/access_tokens", "POST /app/installations/8/access_tokens"]);
    expect(fake.requestsTo("", SHOP)[0]?.headers.authorization).toBe(`token ${fake.installationToken(5)}`);
    expect(fake.requestsTo("", PARTNER)[0]?.headers.authorization).toBe(`token ${fake.installationToken(8)}`);
  });

  it("says to install the App on a repository it is not installed on, and still serves the others", async () => {
    const app = fakeApp({ installationId: 5 });
    fake.installApp(app, { [SHOP]: 5 });
    const source = clientSourceFor(fake, { kind: "app", appId: app.appId, privateKey: app.privateKey });
    const failure = await source(PARTNER).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GitHubCallError);
    expect((failure as GitHubCallError).status).toBe(404);
    expect((failure as Error).message).toMatch(
      new RegExp(`^Looking up the GitHub App's installation on ${PARTNER} failed: GitHub answered 404: .*Fix: install the GitHub App on ${PARTNER} `),
    );
    await expect(readRepository(source, SHOP)).resolves.toMatchObject({ status: 200 });
  });
});
