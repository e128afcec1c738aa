import { createVerify, generateKeyPairSync } from "node:crypto";
import { createGitHubClient, gitHubClientSource, type GitHubClientOptions } from "../../../../functions/shared/github/client";
import type { GitHubCredentials } from "../../../../functions/shared/github/credentials";
import { gitHubStatusOf } from "../../../../functions/shared/github/errors";
import type { RequestPolicy } from "../../../../functions/shared/retry-policy";
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

function options(credentials: GitHubCredentials, overrides: Partial<GitHubClientOptions> = {}): GitHubClientOptions {
  return { credentials, repository: REPOSITORY, baseUrl: github.url, userAgent: "pipewright-test", policy: FAST, ...overrides };
}

const token: GitHubCredentials = { kind: "token", token: "github_pat_11TEST" };
const getRepository = (client: Awaited<ReturnType<typeof createGitHubClient>>) =>
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
    const client = await createGitHubClient(options(token));
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
    const client = await createGitHubClient(options(token));
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
    const client = await createGitHubClient(options(token));
    const failure = await getRepository(client).catch((error: unknown) => error);
    expect(gitHubStatusOf(failure)).toBe(502);
    expect(github.requests).toHaveLength(3);
  });

  it("gets through when a retry succeeds", async () => {
    github.respond((_request, count) =>
      count === 0 ? { status: 503, body: { message: "busy" } } : { status: 200, body: { full_name: REPOSITORY } },
    );
    const client = await createGitHubClient(options(token));
    await expect(getRepository(client)).resolves.toMatchObject({ status: 200, data: { full_name: REPOSITORY } });
    expect(github.requests).toHaveLength(2);
  });

  it("gives up on a request that takes longer than the timeout, retrying it the same bounded number of times", async () => {
    github.respond(() => ({ status: 200, body: {}, delayMs: 2_000 }));
    const client = await createGitHubClient(options(token, { policy: { ...FAST, timeoutMs: 100, retries: 1 } }));
    const started = Date.now();
    const failure = await getRepository(client).catch((error: unknown) => error);
    expect(gitHubStatusOf(failure)).toBe(500);
    expect((failure as Error).message).toBe(`GitHub did not answer ${github.url}/repos/example-org/shop within 100 ms`);
    expect(github.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it.each([401, 403, 404, 422])("does not retry a %i, whose answer would not change", async (status) => {
    github.respond(() => ({ status, body: { message: "no" } }));
    const client = await createGitHubClient(options(token));
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
    const client = await createGitHubClient(options(token, { log: { warn: (message) => warnings.push(message) } }));
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
    const client = await createGitHubClient(options(token, { log: { warn: (message) => warnings.push(message) } }));
    await expect(getRepository(client)).resolves.toMatchObject({ status: 200 });
    expect(github.requests).toHaveLength(2);
    expect(warnings).toEqual([expect.stringMatching(/secondary rate limit .*: waiting once$/)]);
  });
});

describe("createGitHubClient as a GitHub App", () => {
  it("buys an installation token with a JWT signed by the App's key and uses it", async () => {
    github.respond(appGitHub);
    const client = await createGitHubClient(options({ kind: "app", appId: "42", privateKey, installationId: "77" }));
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

  it("without an installation id, looks up the App's installation on the repository first", async () => {
    github.respond(appGitHub);
    const client = await createGitHubClient(options({ kind: "app", appId: "42", privateKey }));
    await getRepository(client);
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /repos/${REPOSITORY}/installation`,
      "POST /app/installations/99/access_tokens",
      "GET /repos/example-org/shop",
    ]);
    expect(verifiedJwtClaims(github.requests[0] as ReceivedRequest).iss).toBe("42");
    expect(github.requests[2]?.headers.authorization).toBe("token ghs_installation");
  });
});

describe("gitHubClientSource", () => {
  it("is undefined while no credentials are configured", async () => {
    await expect(gitHubClientSource(async () => undefined, options(token))()).resolves.toBeUndefined();
    expect(github.requests).toHaveLength(0);
  });

  it("keeps one client while the credentials stay the same, so an App's installation token is reused", async () => {
    github.respond(appGitHub);
    let credentials: GitHubCredentials = { kind: "app", appId: "42", privateKey };
    const source = gitHubClientSource(async () => credentials, options(token));
    const first = await source();
    expect(await source()).toBe(first);
    await getRepository((await source())!);
    await getRepository((await source())!);
    expect(github.requests.filter((r) => r.path.endsWith("/access_tokens"))).toHaveLength(1);

    credentials = token;
    const second = await source();
    expect(second).not.toBe(first);
    await getRepository(second!);
    expect(github.requests.at(-1)?.headers.authorization).toBe("token github_pat_11TEST");
  });

  it("does not keep a client whose installation lookup failed", async () => {
    github.respond((request, count) =>
      request.path.endsWith("/installation") && count === 0 ? { status: 404, body: { message: "Not Found" } } : appGitHub(request),
    );
    const source = gitHubClientSource(async () => ({ kind: "app", appId: "42", privateKey }), options(token));
    expect(gitHubStatusOf(await source().catch((error: unknown) => error))).toBe(404);
    await expect(source()).resolves.toBeDefined();
    expect(github.requests.filter((r) => r.path.endsWith("/installation"))).toHaveLength(2);
  });
});
