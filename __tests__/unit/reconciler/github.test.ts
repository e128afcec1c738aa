import { GitHubApiError, GitHubPullRequests, hasNextPage, MAX_OPEN_PAGES, type GitHubPullRequestsOptions } from "../../../functions/reconciler/github";
import { FakeGitHub } from "./support/fake-github";
import { daysAgo, githubPull, REPOSITORY, restPull } from "./support/fixtures";

describe("GitHubPullRequests against a fake GitHub", () => {
  let github: FakeGitHub;
  beforeEach(async () => {
    github = await FakeGitHub.start(REPOSITORY);
  });
  afterEach(async () => {
    await github.stop();
  });

  const client = (options: Partial<GitHubPullRequestsOptions> = {}) =>
    new GitHubPullRequests({ repository: REPOSITORY, baseUrl: github.url, token: "ghs_test", retryDelayMs: 1, timeoutMs: 1000, ...options });

  async function failure(promise: Promise<unknown>): Promise<GitHubApiError> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof GitHubApiError) return error;
      throw error;
    }
    throw new Error("expected a GitHubApiError");
  }

  it("gets a pull request with the token and GitHub's headers, in the bus contract's terms", async () => {
    github.addPull(restPull(7, { state: "closed", merged: true, labels: ["bug"], updatedAt: daysAgo(2) }));
    await expect(client().pullRequest(7)).resolves.toEqual({
      kind: "found",
      pullRequest: githubPull(7, { state: "closed", merged: true, labels: ["bug"], updatedAt: daysAgo(2) }),
    });
    const [request] = github.requestsTo("/pulls/7");
    expect(request?.headers.authorization).toBe("Bearer ghs_test");
    expect(request?.headers.accept).toBe("application/vnd.github+json");
    expect(request?.headers["x-github-api-version"]).toBe("2022-11-28");
    expect(request?.headers["user-agent"]).toBe("pipewright-reconciler");
  });

  it("normalizes forks like the webhook: fork detection, deleted forks, missing draft and merged", async () => {
    github.addPull(restPull(8, { headRepository: "stranger/shop" }));
    github.addPull(restPull(9, { headRepository: null }));
    const bare = restPull(10);
    delete bare.draft;
    delete bare.merged;
    github.addPull(bare);
    await expect(client().pullRequest(8)).resolves.toMatchObject({ pullRequest: { fromFork: true, headRepository: "stranger/shop" } });
    await expect(client().pullRequest(9)).resolves.toMatchObject({ pullRequest: { fromFork: true, headRepository: "(deleted fork)" } });
    await expect(client().pullRequest(10)).resolves.toMatchObject({ pullRequest: { fromFork: false, draft: false, merged: false } });
  });

  it("answers 404 with not-found, without retrying", async () => {
    await expect(client().pullRequest(404)).resolves.toEqual({ kind: "not-found" });
    expect(github.requestsTo("/pulls/404")).toHaveLength(1);
  });

  it("retries 5xx and succeeds", async () => {
    github.addPull(restPull(7));
    github.intercept((request, count) => (request.path.endsWith("/pulls/7") && count < 2 ? { status: count === 0 ? 502 : 503, body: { message: "Server Error" } } : undefined));
    await expect(client().pullRequest(7)).resolves.toMatchObject({ kind: "found" });
    expect(github.requestsTo("/pulls/7")).toHaveLength(3);
  });

  it("gives up after a bounded number of attempts on 5xx, with the status", async () => {
    github.intercept(() => ({ status: 500, body: { message: "boom" } }));
    const error = await failure(client({ maxAttempts: 2 }).pullRequest(7));
    expect(error.status).toBe(500);
    expect(error.message).toMatch(/answered 500 .*attempt 2 of 2/);
    expect(github.requestsTo("/pulls/7")).toHaveLength(2);
  });

  it("times out slow answers, retries them, and gives up", async () => {
    github.intercept(() => ({ status: 200, body: restPull(7), delayMs: 500 }));
    const error = await failure(client({ timeoutMs: 50 }).pullRequest(7));
    expect(error.status).toBeUndefined();
    expect(error.message).toMatch(/timed out after 50 ms \(attempt 3 of 3\)/);
    expect(github.requestsTo("/pulls/7")).toHaveLength(3);
  });

  it.each([401, 403, 422])("does not retry %i", async (status) => {
    github.intercept(() => ({ status, body: { message: "Bad credentials" } }));
    const error = await failure(client().pullRequest(7));
    expect(error.status).toBe(status);
    expect(github.requestsTo("/pulls/7")).toHaveLength(1);
    if (status === 401) expect(error.message).toMatch(/token .* is invalid or expired/);
  });

  it("stops retrying when the run's budget is spent", async () => {
    let clock = 0;
    github.intercept(() => ({ status: 503 }));
    const error = await failure(
      client({
        deadlineMs: 1000,
        maxAttempts: 5,
        now: () => clock,
        sleep: async () => {
          clock += 600;
        },
      }).pullRequest(7),
    );
    expect(error.message).toMatch(/budget of 1000 ms is spent/);
    expect(github.requestsTo("/pulls/7")).toHaveLength(2);
  });

  it("rejects a pull request that does not look like one", async () => {
    github.intercept(() => ({ status: 200, body: { number: 7, state: "open" } }));
    const error = await failure(client().pullRequest(7));
    expect(error.message).toMatch(/not valid at updated_at/);
  });

  it("lists every open pull request, following Link headers", async () => {
    for (let number = 1; number <= 205; number++) github.addPull(restPull(number, { state: number % 50 === 0 ? "closed" : "open" }));
    const open = await client().openPullRequests();
    expect(open).toHaveLength(201);
    expect(new Set(open.map((pr) => pr.number)).size).toBe(201);
    const pages = github.requestsTo("/pulls").map((request) => `${request.query.get("state")} ${request.query.get("per_page")} ${request.query.get("page")}`);
    expect(pages).toEqual(["open 100 1", "open 100 2", "open 100 3"]);
  });

  it("stops on the last page of the Link header even when it is full", async () => {
    for (let number = 1; number <= 200; number++) github.addPull(restPull(number));
    await expect(client().openPullRequests()).resolves.toHaveLength(200);
    // Page 2 is full, but its Link header has no rel="next".
    expect(github.requestsTo("/pulls")).toHaveLength(2);
  });

  it("pages on full pages when a proxy drops the Link header", async () => {
    github.linkHeaders = false;
    for (let number = 1; number <= 200; number++) github.addPull(restPull(number));
    await expect(client().openPullRequests()).resolves.toHaveLength(200);
    expect(github.requestsTo("/pulls")).toHaveLength(3);
  });

  it("stops when a server repeats the same page", async () => {
    const page = Array.from({ length: 100 }, (_, index) => restPull(index + 1));
    github.intercept((request) => (request.path.endsWith("/pulls") ? { status: 200, body: page, headers: { link: '<x>; rel="next"' } } : undefined));
    await expect(client().openPullRequests()).resolves.toHaveLength(100);
    expect(github.requestsTo("/pulls")).toHaveLength(2);
    expect(MAX_OPEN_PAGES).toBeGreaterThan(2);
  });

  it("fails the list when a page fails after its retries", async () => {
    for (let number = 1; number <= 150; number++) github.addPull(restPull(number));
    github.intercept((request) => (request.query.get("page") === "2" ? { status: 502 } : undefined));
    const error = await failure(client().openPullRequests());
    expect(error.status).toBe(502);
  });

  it("tells whether the token can see the repository", async () => {
    await expect(client().repositoryVisible()).resolves.toBe(true);
    github.repositoryVisible = false;
    await expect(client().repositoryVisible()).resolves.toBe(false);
    github.intercept(() => ({ status: 401 }));
    await expect(client().repositoryVisible()).rejects.toThrow(GitHubApiError);
  });
});

describe("hasNextPage", () => {
  it("reads rel=next from a Link header", () => {
    expect(hasNextPage('<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=3>; rel="last"')).toBe(true);
    expect(hasNextPage('<https://api.github.com/x?page=1>; rel="first", <https://api.github.com/x?page=2>; rel="prev"')).toBe(false);
    expect(hasNextPage(null)).toBe(false);
  });
});
