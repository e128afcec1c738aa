import type { CommitStatus } from "../../../functions/notifier/commit-status";
import { GitHubCommitStatuses } from "../../../functions/notifier/github";
import { GitHubCallError } from "../../../functions/shared/github/errors";
import type { GitHubCredentials } from "../../../functions/shared/github/credentials";
import type { RequestPolicy } from "../../../functions/shared/retry-policy";
import { clientSourceFor, FakeGitHub, fakeApp, FAST_POLICY } from "../../support/fake-github";

const SHA = "3f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a";
const REPOSITORY = "acme-corp/shop";
const TOKEN = "ghp_x";
const STATUS: CommitStatus = {
  repository: REPOSITORY,
  sha: SHA,
  state: "failure",
  context: "pipewright/pipewright-orders",
  description: "Failed at Build/BuildAndPackage",
  targetUrl: "https://us-east-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/pipewright-orders/executions/e/timeline?region=us-east-1",
};
const STATUS_PATH = `/repos/${REPOSITORY}/statuses/${SHA}`;

let github: FakeGitHub;
beforeEach(async () => {
  github = await FakeGitHub.start(REPOSITORY, { tokens: [TOKEN] });
});
afterEach(() => github.stop());

function statuses(credentials: GitHubCredentials, options: { policy?: Partial<RequestPolicy>; budgetMs?: number } = {}) {
  return new GitHubCommitStatuses({
    client: clientSourceFor(github, credentials, { ...FAST_POLICY, ...options.policy }),
    ...(options.budgetMs === undefined ? {} : { budgetMs: options.budgetMs }),
  });
}

describe("GitHubCommitStatuses with a token", () => {
  test("posts state, context, description and target URL for the commit", async () => {
    await expect(statuses({ kind: "token", token: TOKEN }).send(STATUS)).resolves.toEqual({
      status: "delivered",
      detail: "failure on 3f1c2a9e8d7b in acme-corp/shop",
    });
    const [request] = github.requests;
    expect(request).toMatchObject({ method: "POST", path: STATUS_PATH });
    expect(request!.headers.authorization).toBe(`token ${TOKEN}`);
    expect(request!.json()).toEqual({ state: "failure", context: STATUS.context, description: STATUS.description, target_url: STATUS.targetUrl });
  });

  test("without credentials it skips, calling nothing", async () => {
    const sender = new GitHubCommitStatuses({ client: async () => undefined });
    await expect(sender.send(STATUS)).resolves.toMatchObject({ status: "skipped", reason: expect.stringContaining("no GitHub credentials") });
    expect(github.requests).toHaveLength(0);
  });

  test("retries a 5xx and a timeout, then succeeds", async () => {
    github.intercept((_, count) =>
      count === 0 ? { status: 502, body: "bad gateway" } : count === 1 ? { status: 201, body: {}, delayMs: 2000 } : undefined,
    );
    await expect(statuses({ kind: "token", token: TOKEN }, { policy: { timeoutMs: 100 } }).send(STATUS)).resolves.toMatchObject({
      status: "delivered",
    });
    expect(github.requests).toHaveLength(3);
  });

  test("a 401 is not retried and is reported with the fix", async () => {
    const error = await statuses({ kind: "token", token: "ghp_revoked" })
      .send(STATUS)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubCallError);
    expect(error).toMatchObject({ status: 401 });
    expect((error as Error).message).toMatch(
      /^Setting pipewright\/pipewright-orders to failure on commit 3f1c2a9e8d7b in acme-corp\/shop failed: GitHub answered 401: Bad credentials.*Fix: the credentials in the GitHub token secret are invalid or expired/,
    );
    expect(github.requests).toHaveLength(1);
  });

  test("a 422 says the commit may not be in the repository", async () => {
    github.intercept(() => ({ status: 422, body: { message: "No commit found for SHA" } }));
    await expect(statuses({ kind: "token", token: TOKEN }).send(STATUS)).rejects.toThrow(
      /No commit found for SHA.*the commit may not be in the repository/,
    );
    expect(github.requests).toHaveLength(1);
  });

  test("keeps trying 5xx only as often as the policy says", async () => {
    github.intercept(() => ({ status: 500, body: "oops" }));
    await expect(statuses({ kind: "token", token: TOKEN }, { policy: { retries: 3 } }).send(STATUS)).rejects.toMatchObject({ status: 500 });
    expect(github.requests).toHaveLength(4);
  });

  test("stops within its time budget", async () => {
    github.intercept(() => ({ status: 201, body: {}, delayMs: 5000 }));
    const started = Date.now();
    await expect(statuses({ kind: "token", token: TOKEN }, { budgetMs: 300, policy: { timeoutMs: 5000, retries: 10 } }).send(STATUS)).rejects.toThrow(
      /the 300 ms allowed for GitHub were spent/,
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe("GitHubCommitStatuses for many repositories", () => {
  test("posts each status to its own repository, with the client of that repository's App installation", async () => {
    await github.stop();
    github = await FakeGitHub.start(REPOSITORY, { moreRepositories: ["acme-corp/billing"] });
    const app = fakeApp({ installationId: 5 });
    github.installApp(app, { [REPOSITORY]: 5, "acme-corp/billing": 8 });
    const sender = statuses({ kind: "app", appId: app.appId, privateKey: app.privateKey });
    await sender.send({ ...STATUS, repository: "acme-corp/billing", context: "pipewright/pipewright-billing-invoices" });
    await sender.send(STATUS);
    expect(github.statuses("acme-corp/billing")).toEqual([expect.objectContaining({ sha: SHA, context: "pipewright/pipewright-billing-invoices" })]);
    expect(github.statuses(REPOSITORY)).toEqual([expect.objectContaining({ sha: SHA, context: "pipewright/pipewright-orders" })]);
    expect(github.requestsTo(`/statuses/${SHA}`, "acme-corp/billing")[0]?.headers.authorization).toBe(`token ${github.installationToken(8)}`);
    expect(github.requestsTo(`/statuses/${SHA}`)[0]?.headers.authorization).toBe(`token ${github.installationToken(5)}`);
  });
});

describe("GitHubCommitStatuses as a GitHub App", () => {
  test("finds the installation, buys an installation token once and posts with it", async () => {
    const app = fakeApp();
    github.installApp(app);
    const sender = statuses({ kind: "app", appId: app.appId, privateKey: app.privateKey });
    await sender.send(STATUS);
    await sender.send(STATUS);
    expect(github.calls()).toEqual([
      `GET /repos/${REPOSITORY}/installation`,
      `POST /app/installations/99/access_tokens`,
      `POST ${STATUS_PATH}`,
      `POST ${STATUS_PATH}`,
    ]);
    expect(github.requests[2]!.headers.authorization).toBe(`token ${app.token}`);
  });

  test("uses a configured installation id directly", async () => {
    const app = fakeApp({ installationId: 7 });
    github.installApp(app);
    await statuses({ kind: "app", appId: app.appId, privateKey: app.privateKey, installationId: "7" }).send(STATUS);
    expect(github.calls()).toEqual(["POST /app/installations/7/access_tokens", `POST ${STATUS_PATH}`]);
  });

  test("an App GitHub does not know is reported like any failed delivery", async () => {
    github.installApp(fakeApp());
    const stranger = fakeApp();
    const error = await statuses({ kind: "app", appId: stranger.appId, privateKey: stranger.privateKey, installationId: "99" })
      .send(STATUS)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "GitHubCallError", status: 401 });
    expect(github.calls()).toEqual(["POST /app/installations/99/access_tokens"]);
  });
});
