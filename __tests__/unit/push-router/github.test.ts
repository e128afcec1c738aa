import { COMPARE_FILE_LIMIT, GitHubChangedFiles } from "../../../functions/push-router/github";
import { GitHubCallError } from "../../../functions/shared/github/errors";
import { clientSourceFor, FakeGitHub, FAST_POLICY, fakeApp } from "../../support/fake-github";
import { AFTER, BEFORE } from "./fixtures";

const REPOSITORY = "acme/mono";
const TOKEN = "ghs_test";

/** n distinct paths under a folder. */
const manyFiles = (folder: string, n: number, offset = 0): string[] => Array.from({ length: n }, (_, i) => `${folder}/file-${i + offset}.ts`);

describe("GitHubChangedFiles against a fake GitHub", () => {
  let github: FakeGitHub;
  beforeEach(async () => {
    github = await FakeGitHub.start(REPOSITORY, { tokens: [TOKEN] });
  });
  afterEach(async () => {
    await github.stop();
  });

  const changes = (options: { budgetMs?: number; timeoutMs?: number } = {}) =>
    new GitHubChangedFiles({
      client: clientSourceFor(
        github,
        { kind: "token", token: TOKEN },
        { ...FAST_POLICY, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) },
      ),
      ...(options.budgetMs ? { budgetMs: options.budgetMs } : {}),
    });
  const compareCalls = () =>
    github.requests.filter((r) => r.path.includes("/compare/")).map((r) => `${r.path.split("/compare/")[1]} page=${r.query.get("page") ?? "1"}`);

  it("calls GET /repos/{owner}/{repo}/compare/{before}...{after} with the token", async () => {
    github.compare(BEFORE, AFTER, { status: "ahead", files: ["services/api/a.ts"] });
    await expect(changes().changedFiles(REPOSITORY, BEFORE, AFTER)).resolves.toEqual({ complete: true, files: ["services/api/a.ts"] });
    expect(github.requests).toHaveLength(1);
    const [request] = github.requests;
    expect(request).toMatchObject({ method: "GET", path: `/repos/acme/mono/compare/${BEFORE}...${AFTER}` });
    expect(request!.query.get("per_page")).toBe("100");
    expect(request!.headers.authorization).toBe(`token ${TOKEN}`);
    expect(request!.headers["user-agent"]).toMatch(/^pipewright-test /);
  });

  it("follows the Link header to the next page and stops at the first page that brings no new file", async () => {
    // GitHub pages the commits of a comparison and lists its files on the first page only.
    github.compare(BEFORE, AFTER, { status: "ahead", files: manyFiles("services/web", 150), commits: 450 });
    const files = await changes().changedFiles(REPOSITORY, BEFORE, AFTER);
    expect(compareCalls()).toEqual([`${BEFORE}...${AFTER} page=1`, `${BEFORE}...${AFTER} page=2`]);
    expect(files.complete && files.files).toHaveLength(150);
  });

  it(`reports an incomplete list when the files reach GitHub's limit of ${COMPARE_FILE_LIMIT}`, async () => {
    github.compare(BEFORE, AFTER, { status: "ahead", files: manyFiles("services/api", 400) });
    const files = await changes().changedFiles(REPOSITORY, BEFORE, AFTER);
    expect(files).toEqual({ complete: false, reason: expect.stringMatching(/at most 300 changed files/) });
  });

  it("counts a renamed file's previous path, which may belong to another service", async () => {
    github.compare(BEFORE, AFTER, { status: "ahead", files: ["services/api/util.ts->libs/shared/util.ts"] });
    const files = await changes().changedFiles(REPOSITORY, BEFORE, AFTER);
    expect(files.complete && [...files.files].sort()).toEqual(["libs/shared/util.ts", "services/api/util.ts"]);
  });

  it("adds the files of the replaced commits after a force push (diverged)", async () => {
    github.compare(BEFORE, AFTER, { status: "diverged", files: ["services/api/a.ts"] });
    github.compare(AFTER, BEFORE, { status: "diverged", files: ["services/web/removed-feature.ts"] });
    const files = await changes().changedFiles(REPOSITORY, BEFORE, AFTER);
    expect(compareCalls()).toEqual([`${BEFORE}...${AFTER} page=1`, `${AFTER}...${BEFORE} page=1`]);
    expect(files).toEqual({ complete: true, files: ["services/api/a.ts", "services/web/removed-feature.ts"] });
  });

  it("after a force push back to an older commit (behind), the replaced commits' files are the changes", async () => {
    github.compare(BEFORE, AFTER, { status: "behind", files: [] });
    github.compare(AFTER, BEFORE, { status: "ahead", files: ["services/web/bad-change.ts"] });
    await expect(changes().changedFiles(REPOSITORY, BEFORE, AFTER)).resolves.toEqual({ complete: true, files: ["services/web/bad-change.ts"] });
  });

  it("retries a 5xx and a timeout, then succeeds", async () => {
    github.compare(BEFORE, AFTER, { status: "ahead", files: ["services/api/a.ts"] });
    github.intercept((_request, count) =>
      count === 0 ? { status: 502, body: { message: "Bad Gateway" } } : count === 1 ? { status: 200, body: {}, delayMs: 2_000 } : undefined,
    );
    await expect(changes({ timeoutMs: 200 }).changedFiles(REPOSITORY, BEFORE, AFTER)).resolves.toEqual({
      complete: true,
      files: ["services/api/a.ts"],
    });
    expect(github.requests).toHaveLength(3);
  });

  it("gives up on 5xx after the policy's retries, naming the status", async () => {
    github.intercept(() => ({ status: 503, body: { message: "Service Unavailable" } }));
    const error = await changes()
      .changedFiles(REPOSITORY, BEFORE, AFTER)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubCallError);
    expect(error).toMatchObject({ status: 503, message: expect.stringMatching(/^Comparing .* failed: GitHub answered 503: Service Unavailable/) });
    expect(github.requests).toHaveLength(3);
  });

  it("does not retry a 401 and says what to fix", async () => {
    const error = await new GitHubChangedFiles({ client: clientSourceFor(github, { kind: "token", token: "ghs_revoked" }) })
      .changedFiles(REPOSITORY, BEFORE, AFTER)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "GitHubCallError", status: 401 });
    expect((error as Error).message).toMatch(/Bad credentials.*invalid or expired/);
    expect(github.requests).toHaveLength(1);
  });

  it("rejects a body that is not a comparison", async () => {
    github.intercept(() => ({ status: 200, body: { unexpected: true } }));
    await expect(changes().changedFiles(REPOSITORY, BEFORE, AFTER)).rejects.toMatchObject({ name: "UnexpectedComparisonError" });
  });

  it("gives up once the push's budget for GitHub is spent, however many retries are left", async () => {
    github.intercept(() => ({ status: 200, body: {}, delayMs: 5_000 }));
    const started = Date.now();
    const error = await changes({ budgetMs: 300, timeoutMs: 2_000 })
      .changedFiles(REPOSITORY, BEFORE, AFTER)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: "GitHubCallError",
      status: undefined,
      message: expect.stringMatching(/the 300 ms allowed for GitHub were spent/),
    });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(github.requests).toHaveLength(1);
  });

  it("a token secret without a value reports an incomplete list and calls nothing", async () => {
    const files = await new GitHubChangedFiles({ client: async () => undefined }).changedFiles(REPOSITORY, BEFORE, AFTER);
    expect(files).toEqual({ complete: false, reason: expect.stringMatching(/holds no value/) });
    expect(github.requests).toHaveLength(0);
  });

  it("compares in the repository asked for, with the client of that repository's App installation", async () => {
    await github.stop();
    github = await FakeGitHub.start(REPOSITORY, { moreRepositories: ["acme/shop"] });
    const app = fakeApp({ installationId: 5 });
    github.installApp(app, { [REPOSITORY]: 5, "acme/shop": 8 });
    github.compare(BEFORE, AFTER, { status: "ahead", files: ["cart/a.ts"] });
    const files = await new GitHubChangedFiles({
      client: clientSourceFor(github, { kind: "app", appId: app.appId, privateKey: app.privateKey }),
    }).changedFiles("acme/shop", BEFORE, AFTER);
    expect(files).toEqual({ complete: true, files: ["cart/a.ts"] });
    expect(github.calls()).toEqual([
      "GET /repos/acme/shop/installation",
      "POST /app/installations/8/access_tokens",
      `GET /repos/acme/shop/compare/${BEFORE}...${AFTER}`,
    ]);
    expect(github.requests.at(-1)?.headers.authorization).toBe(`token ${github.installationToken(8)}`);
  });

  it("without a token secret reports an incomplete list and calls nothing", async () => {
    const files = await new GitHubChangedFiles({}).changedFiles(REPOSITORY, BEFORE, AFTER);
    expect(files).toEqual({ complete: false, reason: expect.stringMatching(/no GitHub token/) });
    expect(github.requests).toHaveLength(0);
  });
});
