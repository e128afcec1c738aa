import { COMPARE_FILE_LIMIT, GitHubApiError, GitHubChangedFiles } from "../../../functions/push-router/github";
import { comparison, FakeGitHub, manyFiles } from "./fake-github";
import { AFTER, BEFORE } from "./fixtures";

describe("GitHubChangedFiles against a fake GitHub", () => {
  let github: FakeGitHub;
  beforeEach(async () => {
    github = await FakeGitHub.start();
  });
  afterEach(async () => {
    await github.stop();
  });

  const client = (options: Partial<ConstructorParameters<typeof GitHubChangedFiles>[0]> = {}) =>
    new GitHubChangedFiles({
      repository: "acme/mono",
      baseUrl: github.url,
      token: async () => "ghs_test",
      retryDelayMs: 1,
      ...options,
    });

  it("calls GET /repos/{owner}/{repo}/compare/{before}...{after} with the token and GitHub's headers", async () => {
    github.respond(() => ({ status: 200, body: comparison("ahead", ["services/api/a.ts"]) }));
    const files = await client().changedFiles(BEFORE, AFTER);
    expect(files).toEqual({ complete: true, files: ["services/api/a.ts"] });
    expect(github.requests).toHaveLength(1);
    const [request] = github.requests;
    expect(request!.method).toBe("GET");
    expect(request!.path).toBe(`/repos/acme/mono/compare/${BEFORE}...${AFTER}`);
    expect(request!.query.get("per_page")).toBe("100");
    expect(request!.query.get("page")).toBe("1");
    expect(request!.headers.authorization).toBe("Bearer ghs_test");
    expect(request!.headers.accept).toBe("application/vnd.github+json");
    expect(request!.headers["x-github-api-version"]).toBe("2022-11-28");
  });

  it("pages while pages come back full", async () => {
    github.respond((request) => {
      const page = Number(request.query.get("page"));
      const files = page === 1 ? manyFiles("services/api", 100) : page === 2 ? manyFiles("services/web", 100) : ["infra/main.tf"];
      return { status: 200, body: comparison("ahead", files) };
    });
    const files = await client().changedFiles(BEFORE, AFTER);
    expect(github.compareCalls()).toEqual([1, 2, 3].map((page) => `${BEFORE}...${AFTER} page=${page}`));
    expect(files.complete && files.files).toHaveLength(201);
    expect(files.complete && files.files).toContain("infra/main.tf");
  });

  it("stops when a later page has no files (GitHub lists every file on page 1)", async () => {
    github.respond((request) => ({
      status: 200,
      body: comparison("ahead", request.query.get("page") === "1" ? manyFiles("services/api", 150) : []),
    }));
    const files = await client().changedFiles(BEFORE, AFTER);
    expect(github.compareCalls()).toHaveLength(2);
    expect(files.complete && files.files).toHaveLength(150);
  });

  it("stops when a later page repeats files already seen", async () => {
    github.respond(() => ({ status: 200, body: comparison("ahead", manyFiles("services/api", 100)) }));
    const files = await client().changedFiles(BEFORE, AFTER);
    expect(github.compareCalls()).toHaveLength(2);
    expect(files).toMatchObject({ complete: true });
  });

  it(`reports an incomplete list when the files reach GitHub's limit of ${COMPARE_FILE_LIMIT}`, async () => {
    github.respond((request) => {
      const page = Number(request.query.get("page"));
      return { status: 200, body: comparison("ahead", manyFiles("services/api", 100, (page - 1) * 100)) };
    });
    const files = await client().changedFiles(BEFORE, AFTER);
    expect(github.compareCalls()).toHaveLength(3);
    expect(files.complete).toBe(false);
    expect(!files.complete && files.reason).toMatch(/at most 300 changed files/);
  });

  it("counts a renamed file's previous path, which may belong to another service", async () => {
    github.respond(() => ({ status: 200, body: comparison("ahead", ["services/api/util.ts->libs/shared/util.ts"]) }));
    const files = await client().changedFiles(BEFORE, AFTER);
    expect(files.complete && [...files.files].sort()).toEqual(["libs/shared/util.ts", "services/api/util.ts"]);
  });

  it("adds the files of the replaced commits after a force push (diverged)", async () => {
    github.respond((request) =>
      request.path.endsWith(`${BEFORE}...${AFTER}`)
        ? { status: 200, body: comparison("diverged", ["services/api/a.ts"]) }
        : { status: 200, body: comparison("diverged", ["services/web/removed-feature.ts"]) },
    );
    const files = await client().changedFiles(BEFORE, AFTER);
    expect(github.compareCalls()).toEqual([`${BEFORE}...${AFTER} page=1`, `${AFTER}...${BEFORE} page=1`]);
    expect(files).toEqual({ complete: true, files: ["services/api/a.ts", "services/web/removed-feature.ts"] });
  });

  it("after a force push back to an older commit (behind), the replaced commits' files are the changes", async () => {
    github.respond((request) =>
      request.path.endsWith(`${BEFORE}...${AFTER}`)
        ? { status: 200, body: comparison("behind", []) }
        : { status: 200, body: comparison("ahead", ["services/web/bad-change.ts"]) },
    );
    expect(await client().changedFiles(BEFORE, AFTER)).toEqual({ complete: true, files: ["services/web/bad-change.ts"] });
  });

  it("retries a 5xx and then succeeds", async () => {
    github.respond((_request, count) =>
      count === 0 ? { status: 502, body: { message: "Bad Gateway" } } : { status: 200, body: comparison("ahead", ["services/api/a.ts"]) },
    );
    expect(await client().changedFiles(BEFORE, AFTER)).toEqual({ complete: true, files: ["services/api/a.ts"] });
    expect(github.requests).toHaveLength(2);
  });

  it("retries a timeout and then succeeds", async () => {
    github.respond((_request, count) => ({ status: 200, body: comparison("ahead", ["services/api/a.ts"]), delayMs: count === 0 ? 1000 : 0 }));
    expect(await client({ timeoutMs: 200 }).changedFiles(BEFORE, AFTER)).toEqual({ complete: true, files: ["services/api/a.ts"] });
    expect(github.requests).toHaveLength(2);
  });

  it("gives up on 5xx after a bounded number of attempts, with the status", async () => {
    github.respond(() => ({ status: 503, body: { message: "Service Unavailable" } }));
    const error = await client({ maxAttempts: 3 }).changedFiles(BEFORE, AFTER).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubApiError);
    expect(error).toMatchObject({ name: "GitHubApiError", status: 503 });
    expect(github.requests).toHaveLength(3);
  });

  it("does not retry a 401 and says what to fix", async () => {
    github.respond(() => ({ status: 401, body: { message: "Bad credentials" } }));
    const error = await client().changedFiles(BEFORE, AFTER).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "GitHubApiError", status: 401 });
    expect((error as Error).message).toMatch(/Bad credentials.*token .* invalid or expired/);
    expect(github.requests).toHaveLength(1);
  });

  it("rejects a body that is not a comparison", async () => {
    github.respond(() => ({ status: 200, body: { unexpected: true } }));
    await expect(client().changedFiles(BEFORE, AFTER)).rejects.toMatchObject({ name: "GitHubApiError" });
  });

  it("gives up when the whole lookup exceeds its deadline, however many attempts are left", async () => {
    github.respond(() => ({ status: 200, body: comparison("ahead", []), delayMs: 2000 }));
    const started = Date.now();
    const error = await client({ timeoutMs: 150, deadlineMs: 400, maxAttempts: 50 }).changedFiles(BEFORE, AFTER).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "GitHubApiError", message: expect.stringMatching(/Gave up on GitHub after 400 ms/) });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(github.requests.length).toBeLessThan(6);
  });

  it("a token secret without a value reports an incomplete list and calls nothing", async () => {
    const files = await client({ token: async () => undefined }).changedFiles(BEFORE, AFTER);
    expect(files).toEqual({ complete: false, reason: expect.stringMatching(/holds no value/) });
    expect(github.requests).toHaveLength(0);
  });

  it("without a token reports an incomplete list and calls nothing", async () => {
    const files = await client({ token: undefined }).changedFiles(BEFORE, AFTER);
    expect(files).toEqual({ complete: false, reason: expect.stringMatching(/no GitHub token/) });
    expect(github.requests).toHaveLength(0);
  });
});
