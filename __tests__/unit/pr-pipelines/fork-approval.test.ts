import {
  approvedDescription,
  awaitingDescription,
  FORK_APPROVAL_CONTEXT,
  GitHubForkApprovalNotices,
  MAX_STATUS_DESCRIPTION_LENGTH,
  showForkApproval,
  type ForkApprovalNotices,
} from "../../../functions/pr-pipelines/fork-approval";
import { planPullRequestEvent } from "../../../functions/pr-pipelines/plan";
import type { PullRequestEvent } from "../../../functions/shared/events";
import { createGitHubClient, type GitHubClient } from "../../../functions/shared/github/client";
import { GitHubCredentialsSecretError } from "../../../functions/shared/github/credentials";
import { FakeHttpServer, type FakeReply, type ReceivedRequest } from "../../support/fake-http";
import { config, HEAD_SHA, memoryLogger, pullRequest } from "./support/fixtures";

const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:pipewright/github-token-AbCdEf";
const PAGE = "https://github.com/example-org/shop/pull/7";
const fork = { fromFork: true, headRepository: "stranger/shop", htmlUrl: PAGE };
const STATUS_PATH = `/repos/example-org/shop/statuses/${HEAD_SHA}`;
const LABEL_PATH = "/repos/example-org/shop/issues/7/labels/safe-to-test";

describe("showForkApproval", () => {
  /** The notices shown for the event's plan and the outcome of applying it. */
  async function recorded(pr: PullRequestEvent, outcome: string): Promise<string[]> {
    const calls: string[] = [];
    const notices: ForkApprovalNotices = {
      async awaiting() {
        calls.push("awaiting");
      },
      async approved() {
        calls.push("approved");
      },
    };
    await showForkApproval(pr, planPullRequestEvent(pr, config), outcome, notices);
    return calls;
  }

  it("shows a fork's head waiting when it has no label, or is not the approved commit", async () => {
    expect(await recorded(pullRequest({ ...fork, action: "synchronize" }), "skipped")).toEqual(["awaiting"]);
    expect(await recorded(pullRequest({ ...fork, action: "synchronize", labels: ["safe-to-test"] }), "awaiting-approval")).toEqual(["awaiting"]);
  });

  it("shows the approval when the label ran the head", async () => {
    expect(await recorded(pullRequest({ ...fork, action: "labeled", label: "safe-to-test", labels: ["safe-to-test"] }), "ran")).toEqual(["approved"]);
  });

  it("shows nothing for stale deliveries, runs at an approved head, drafts and the repository's own pull requests", async () => {
    expect(await recorded(pullRequest({ ...fork, action: "labeled", label: "safe-to-test", labels: ["safe-to-test"] }), "stale")).toEqual([]);
    expect(await recorded(pullRequest({ ...fork, action: "synchronize", labels: ["safe-to-test"] }), "ran")).toEqual([]);
    expect(await recorded(pullRequest({ ...fork, action: "opened", draft: true }), "skipped")).toEqual([]);
    expect(await recorded(pullRequest({ action: "synchronize" }), "ran")).toEqual([]);
  });
});

describe("status descriptions", () => {
  it("name the commit and the label, within GitHub's limit", () => {
    expect(awaitingDescription(HEAD_SHA, "safe-to-test")).toBe('Waiting for a maintainer to review 0123456 and add the "safe-to-test" label');
    expect(approvedDescription(HEAD_SHA, "safe-to-test")).toBe('Approved for 0123456 by the "safe-to-test" label');
    const long = awaitingDescription(HEAD_SHA, "x".repeat(200));
    expect(long).toHaveLength(MAX_STATUS_DESCRIPTION_LENGTH);
    expect(long.endsWith("…")).toBe(true);
  });
});

describe("GitHubForkApprovalNotices against a stand-in for GitHub", () => {
  let github: FakeHttpServer;
  let client: GitHubClient;
  let logger: ReturnType<typeof memoryLogger>;

  beforeEach(async () => {
    github = await FakeHttpServer.start(() => ({ status: 201, body: {} }));
    client = createGitHubClient({
      credentials: { kind: "token", token: "github_pat_11TEST" },
      baseUrl: github.url,
      userAgent: "pipewright-pr-pipelines",
      policy: { retries: 1, retryBaseDelayMs: 1, timeoutMs: 500 },
      throttling: false,
    });
    logger = memoryLogger();
  });
  afterEach(() => github.stop());

  function notices(source: (repository: string) => Promise<GitHubClient | undefined> = async () => client) {
    return new GitHubForkApprovalNotices({ client: source, secretArn: SECRET_ARN, logger });
  }

  /** Answers label deletions with `label`, everything else with 201. */
  function answerLabel(label: FakeReply) {
    github.respond((request) => (request.method === "DELETE" ? label : { status: 201, body: {} }));
  }

  const calls = () => github.requests.map((request: ReceivedRequest) => `${request.method} ${request.path}`).sort();
  const warnings = () => logger.entries.filter((entry) => entry.level === "warn");

  it("sets the pending status on the head and takes the label off a head it did not approve", async () => {
    answerLabel({ status: 200, body: [] });
    await notices().awaiting(pullRequest({ ...fork, action: "synchronize", labels: ["safe-to-test", "bug"] }), "safe-to-test");
    expect(calls()).toEqual([`DELETE ${LABEL_PATH}`, `POST ${STATUS_PATH}`]);
    expect(github.requests.find((request) => request.method === "POST")?.json()).toEqual({
      state: "pending",
      context: FORK_APPROVAL_CONTEXT,
      description: 'Waiting for a maintainer to review 0123456 and add the "safe-to-test" label',
      target_url: PAGE,
    });
    expect(github.requests.every((request) => request.headers.authorization === "token github_pat_11TEST")).toBe(true);
    expect(warnings()).toEqual([]);
  });

  it("leaves the label alone when the event does not show it, and sends no link it does not have", async () => {
    await notices().awaiting(pullRequest({ ...fork, htmlUrl: undefined, action: "opened" }), "safe-to-test");
    expect(calls()).toEqual([`POST ${STATUS_PATH}`]);
    expect(github.requests[0]?.json()).not.toHaveProperty("target_url");
  });

  it("takes a 404 on the label as already removed", async () => {
    answerLabel({ status: 404, body: { message: "Label does not exist" } });
    await notices().awaiting(pullRequest({ ...fork, action: "synchronize", labels: ["safe-to-test"] }), "safe-to-test");
    expect(calls()).toEqual([`DELETE ${LABEL_PATH}`, `POST ${STATUS_PATH}`]);
    expect(warnings()).toEqual([]);
    expect(logger.entries).toContainEqual(expect.objectContaining({ level: "info", message: 'The "safe-to-test" label is already gone' }));
  });

  it("on a 403 for the label, logs one line naming the missing permission and keeps the status", async () => {
    answerLabel({ status: 403, body: { message: "Resource not accessible by personal access token" } });
    await expect(
      notices().awaiting(pullRequest({ ...fork, action: "synchronize", labels: ["safe-to-test"] }), "safe-to-test"),
    ).resolves.toBeUndefined();
    expect(calls()).toEqual([`DELETE ${LABEL_PATH}`, `POST ${STATUS_PATH}`]);
    expect(warnings()).toEqual([
      expect.objectContaining({
        message: 'Could not remove the "safe-to-test" label: the GitHub credentials lack "Pull requests: write" (or "Issues: write")',
        attributes: expect.objectContaining({
          error: expect.objectContaining({ status: 403 }),
          fix: expect.stringMatching(/give the token \(or the GitHub App\) "Pull requests: write" \(or "Issues: write"\) on example-org\/shop/),
        }),
      }),
    ]);
  });

  it("never throws on GitHub failures: logs the status and the fix after the bounded retries", async () => {
    github.respond(() => ({ status: 502, body: { message: "Bad Gateway" } }));
    await expect(notices().approved(pullRequest({ ...fork, action: "labeled", labels: ["safe-to-test"] }), "safe-to-test")).resolves.toBeUndefined();
    expect(github.requests).toHaveLength(2);
    expect(warnings()).toEqual([
      expect.objectContaining({
        message: `Could not set ${FORK_APPROVAL_CONTEXT} to success on commit 0123456`,
        attributes: expect.objectContaining({
          error: expect.objectContaining({ status: 502 }),
          fix: expect.stringContaining("GitHub may be unavailable"),
        }),
      }),
    ]);
  });

  it("names the missing permission when the status itself is refused", async () => {
    github.respond(() => ({ status: 403, body: { message: "Resource not accessible by integration" } }));
    await notices().approved(pullRequest({ ...fork, action: "labeled", labels: ["safe-to-test"] }), "safe-to-test");
    expect(warnings()[0]?.attributes.fix).toBe('give the token (or the GitHub App) "Commit statuses: write" on example-org/shop');
  });

  it("sets the success status on the approved head", async () => {
    await notices().approved(pullRequest({ ...fork, action: "labeled", labels: ["safe-to-test"] }), "safe-to-test");
    expect(calls()).toEqual([`POST ${STATUS_PATH}`]);
    expect(github.requests[0]?.json()).toEqual({
      state: "success",
      context: FORK_APPROVAL_CONTEXT,
      description: 'Approved for 0123456 by the "safe-to-test" label',
      target_url: PAGE,
    });
  });

  it("without credentials in the secret, logs what is not shown and how to configure it", async () => {
    await notices(async () => undefined).awaiting(pullRequest({ ...fork, action: "opened" }), "safe-to-test");
    expect(github.requests).toHaveLength(0);
    expect(warnings()).toEqual([
      {
        level: "warn",
        message: 'Not shown on GitHub: commit 0123456 of pull request #7 waits for a maintainer to add the "safe-to-test" label',
        attributes: expect.objectContaining({
          reason: `the GitHub token secret ${SECRET_ARN} holds no value`,
          fix: expect.stringContaining('"Commit statuses: write" and "Pull requests: write"'),
        }),
      },
    ]);
  });

  it("with unusable credentials, logs the secret's error without throwing", async () => {
    const broken = new GitHubCredentialsSecretError(SECRET_ARN, 'has no PEM "privateKey"');
    await expect(
      notices(() => Promise.reject(broken)).approved(pullRequest({ ...fork, action: "labeled" }), "safe-to-test"),
    ).resolves.toBeUndefined();
    expect(warnings()).toEqual([
      expect.objectContaining({
        message: 'Not shown on GitHub: the "safe-to-test" label approved commit 0123456 of pull request #7',
        attributes: expect.objectContaining({ error: expect.objectContaining({ name: "GitHubCredentialsSecretError" }) }),
      }),
    ]);
  });
});
