import { GitHubPullRequests, InvalidPullRequestError, MAX_OPEN_PAGES, RUN_BUDGET_MS } from "../../../functions/reconciler/github";
import { GitHubBudget } from "../../../functions/shared/github/budget";
import { GitHubCallError } from "../../../functions/shared/github/errors";
import type { RequestPolicy } from "../../../functions/shared/retry-policy";
import { clientFor, FakeGitHub, FAST_POLICY } from "../../support/fake-github";
import { daysAgo, githubPull, REPOSITORY, restPull } from "./support/fixtures";

const TOKEN = "ghs_test";

describe("GitHubPullRequests against a fake GitHub", () => {
  let github: FakeGitHub;
  beforeEach(async () => {
    github = await FakeGitHub.start(REPOSITORY, { tokens: [TOKEN] });
  });
  afterEach(async () => {
    await github.stop();
  });

  async function source(options: { policy?: Partial<RequestPolicy>; budgetMs?: number; token?: string } = {}): Promise<GitHubPullRequests> {
    const client = await clientFor(github, { kind: "token", token: options.token ?? TOKEN }, { ...FAST_POLICY, ...options.policy })();
    return new GitHubPullRequests({
      repository: REPOSITORY,
      client: client!,
      budget: new GitHubBudget(options.budgetMs ?? RUN_BUDGET_MS),
    });
  }

  async function failure(promise: Promise<unknown>): Promise<GitHubCallError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (error instanceof GitHubCallError) return error;
    throw new Error(`expected a GitHubCallError, got ${String(error)}`);
  }

  it("gets a pull request with the token, in the bus contract's terms", async () => {
    github.addPull(restPull(7, { state: "closed", merged: true, labels: ["bug"], updatedAt: daysAgo(2) }));
    await expect((await source()).pullRequest(7)).resolves.toEqual({
      kind: "found",
      pullRequest: githubPull(7, { state: "closed", merged: true, labels: ["bug"], updatedAt: daysAgo(2) }),
    });
    const [request] = github.requestsTo("/pulls/7");
    expect(request?.headers.authorization).toBe(`token ${TOKEN}`);
    expect(request?.headers["user-agent"]).toMatch(/^pipewright-test /);
  });

  it("normalizes forks like the webhook: fork detection, deleted forks, missing draft and merged", async () => {
    github.addPull(restPull(8, { headRepository: "stranger/shop" }));
    github.addPull(restPull(9, { headRepository: null }));
    const bare = restPull(10);
    delete bare.draft;
    delete bare.merged;
    github.addPull(bare);
    const pulls = await source();
    await expect(pulls.pullRequest(8)).resolves.toMatchObject({ pullRequest: { fromFork: true, headRepository: "stranger/shop" } });
    await expect(pulls.pullRequest(9)).resolves.toMatchObject({ pullRequest: { fromFork: true, headRepository: "(deleted fork)" } });
    await expect(pulls.pullRequest(10)).resolves.toMatchObject({ pullRequest: { fromFork: false, draft: false, merged: false } });
  });

  it("answers 404 with not-found, without retrying", async () => {
    await expect((await source()).pullRequest(404)).resolves.toEqual({ kind: "not-found" });
    expect(github.requestsTo("/pulls/404")).toHaveLength(1);
  });

  it("retries 5xx and succeeds", async () => {
    github.addPull(restPull(7));
    github.intercept((request, count) =>
      request.path.endsWith("/pulls/7") && count < 2 ? { status: count === 0 ? 502 : 503, body: { message: "Server Error" } } : undefined,
    );
    await expect((await source()).pullRequest(7)).resolves.toMatchObject({ kind: "found" });
    expect(github.requestsTo("/pulls/7")).toHaveLength(3);
  });

  it("gives up after the policy's retries on 5xx, with the status", async () => {
    github.intercept(() => ({ status: 500, body: { message: "boom" } }));
    const error = await failure((await source({ policy: { retries: 1 } })).pullRequest(7));
    expect(error.status).toBe(500);
    expect(error.message).toMatch(/^Getting pull request #7 of .* failed: GitHub answered 500: boom/);
    expect(github.requestsTo("/pulls/7")).toHaveLength(2);
  });

  it("times out slow answers, retries them, and gives up", async () => {
    github.intercept(() => ({ status: 200, body: restPull(7), delayMs: 500 }));
    const error = await failure((await source({ policy: { timeoutMs: 50 } })).pullRequest(7));
    expect(error.message).toMatch(/GitHub did not answer .*\/pulls\/7 within 50 ms/);
    expect(github.requestsTo("/pulls/7")).toHaveLength(3);
  });

  it.each([401, 403, 422])("does not retry %i", async (status) => {
    github.intercept(() => ({ status, body: { message: "Bad credentials" } }));
    const error = await failure((await source()).pullRequest(7));
    expect(error.status).toBe(status);
    expect(github.requestsTo("/pulls/7")).toHaveLength(1);
    if (status === 401) expect(error.message).toMatch(/GitHub answered 401: Bad credentials.*invalid or expired/);
  });

  it("stops asking once the run's budget is spent, later calls included", async () => {
    github.addPull(restPull(8));
    github.intercept((request) => (request.path.endsWith("/pulls/7") ? { status: 200, body: restPull(7), delayMs: 2_000 } : undefined));
    const pulls = await source({ budgetMs: 200, policy: { timeoutMs: 1_500 } });
    const started = Date.now();
    const slow = await failure(pulls.pullRequest(7));
    expect(slow.message).toMatch(/the 200 ms allowed for GitHub were spent/);
    expect(slow.status).toBeUndefined();
    await expect(pulls.pullRequest(8)).rejects.toThrow(/the 200 ms allowed for GitHub were spent/);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(github.requestsTo("/pulls/8")).toHaveLength(0);
  });

  it("rejects a pull request that does not look like one", async () => {
    github.intercept(() => ({ status: 200, body: { number: 7, state: "open" } }));
    await expect((await source()).pullRequest(7)).rejects.toThrow(InvalidPullRequestError);
    await expect((await source()).pullRequest(7)).rejects.toThrow(/not valid at updated_at/);
  });

  it("lists every open pull request, following Link headers", async () => {
    for (let number = 1; number <= 205; number++) github.addPull(restPull(number, { state: number % 50 === 0 ? "closed" : "open" }));
    const open = await (await source()).openPullRequests();
    expect(open).toHaveLength(201);
    expect(new Set(open.map((pr) => pr.number)).size).toBe(201);
    const pages = github
      .requestsTo("/pulls")
      .map((request) => `${request.query.get("state")} ${request.query.get("per_page")} ${request.query.get("page") ?? "1"}`);
    expect(pages).toEqual(["open 100 1", "open 100 2", "open 100 3"]);
  });

  it("stops on the last page of the Link header even when it is full", async () => {
    for (let number = 1; number <= 200; number++) github.addPull(restPull(number));
    await expect((await source()).openPullRequests()).resolves.toHaveLength(200);
    expect(github.requestsTo("/pulls")).toHaveLength(2);
  });

  it("stops when a server repeats the same page", async () => {
    const page = Array.from({ length: 100 }, (_, index) => restPull(index + 1));
    github.intercept((request) =>
      request.path.endsWith("/pulls")
        ? { status: 200, body: page, headers: { link: `<${github.url}${request.path}?page=2>; rel="next"` } }
        : undefined,
    );
    await expect((await source()).openPullRequests()).resolves.toHaveLength(100);
    expect(github.requestsTo("/pulls")).toHaveLength(2);
    expect(MAX_OPEN_PAGES).toBeGreaterThan(2);
  });

  it("fails the list when a page fails after its retries", async () => {
    for (let number = 1; number <= 150; number++) github.addPull(restPull(number));
    github.intercept((request) => (request.query.get("page") === "2" ? { status: 502, body: { message: "Bad Gateway" } } : undefined));
    const error = await failure((await source()).openPullRequests());
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/^Listing the open pull requests of/);
  });

  it("tells whether the credentials can see the repository", async () => {
    await expect((await source()).repositoryVisible()).resolves.toBe(true);
    github.repositoryVisible = false;
    await expect((await source()).repositoryVisible()).resolves.toBe(false);
    await expect((await source({ token: "ghs_revoked" })).repositoryVisible()).rejects.toThrow(GitHubCallError);
  });
});
