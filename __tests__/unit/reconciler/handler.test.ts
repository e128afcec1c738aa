import { ListPipelineExecutionsCommand, ListPipelinesCommand, ListTagsForResourceCommand } from "@aws-sdk/client-codepipeline";
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { CAPACITY_LEDGER_KEY } from "../../../functions/pr-pipelines/capacity-ledger";
import { PR_TAG_KEYS } from "../../../functions/pr-pipelines/clone";
import { planPullRequestEvent } from "../../../functions/pr-pipelines/plan";
import { PipelineInventoryError, ReconciliationIncompleteError } from "../../../functions/reconciler/errors";
import type { ReconcilerResult } from "../../../functions/reconciler/handler";
import { EVENT_SOURCE, pullRequestEventSchema } from "../../../functions/shared/events";
import { ACCOUNT, REGION } from "../pr-pipelines/support/fake-aws";
import { BUS, CLEANUP_ROLE, config, daysAgo, FORK_LABEL, HEAD_SHA, iso, NOW, REPOSITORY, restPull } from "./support/fixtures";
import { appSecretString, fakeApp } from "../../support/fake-github";
import { SECRET_ARN, TOKEN, World } from "./support/world";

const OTHER_SHA = "fedcba9876543210fedcba9876543210fedcba98";
const epoch = (date: Date) => Math.floor(date.getTime() / 1000);
const CLOSED_AT = daysAgo(2);
const MERGED_AT = daysAgo(3);
const OPENED_AT = daysAgo(1);

let world: World;
beforeEach(async () => {
  world = await World.start();
});
afterEach(async () => {
  await world.stop();
});

/**
 * The repository as the tests find it:
 * - #1 closed, pipelines left behind (its closed webhook was lost);
 * - #2 merged, its orders pipeline left behind;
 * - #3 open, ran yesterday;
 * - #4 open, last ran and last updated 20 days ago: idle, with artifacts and preview stacks;
 * - #40 open, ran yesterday; its artifact keys share #4's 20-character prefix;
 * - #5 open, no pipelines (its opened webhook was lost);
 * - #6 open from a fork without the label, #7 a draft: no pipelines, and none wanted;
 * - pipewright-orders-pr-9 is tagged for another repository; other-app-pr-3 is not a PR pipeline of ours.
 */
function seed(): void {
  world.addPrPipeline("orders", 1, { lastRun: daysAgo(3), artifacts: ["pipewright-orders-pr/BuildArtif/one"] });
  world.addPrPipeline("payments", 1, { lastRun: daysAgo(3) });
  world.addPrPipeline("orders", 2, { lastRun: daysAgo(4), headSha: OTHER_SHA });
  world.addPrPipeline("orders", 3, { lastRun: daysAgo(1) });
  world.addPrPipeline("payments", 3, { lastRun: daysAgo(1) });
  world.addPrPipeline("orders", 4, {
    lastRun: daysAgo(20),
    artifacts: ["pipewright-orders-pr/SourceArti/aaa4", "pipewright-orders-pr/BuildArtif/bbb4"],
  });
  world.addPrPipeline("payments", 4, { lastRun: daysAgo(20), artifacts: ["pipewright-payments-p/BuildArtif/ccc4"] });
  world.addPrPipeline("orders", 40, { lastRun: daysAgo(1), artifacts: ["pipewright-orders-pr/BuildArtif/ddd40"] });
  world.addPrPipeline("payments", 40, { lastRun: daysAgo(1) });
  world.addPrPipeline("orders", 9, {
    lastRun: daysAgo(90),
    tags: [
      { key: PR_TAG_KEYS.repository, value: "someone/else" },
      { key: PR_TAG_KEYS.pullRequest, value: "9" },
    ],
  });
  world.aws.addPipeline({ name: "other-app-pr-3", roleArn: "arn:aws:iam::111111111111:role/x", stages: [] });

  world.github.addPull(restPull(1, { state: "closed", updatedAt: CLOSED_AT }));
  world.github.addPull(restPull(2, { state: "closed", merged: true, updatedAt: MERGED_AT, headSha: OTHER_SHA }));
  for (const number of [3, 40]) world.github.addPull(restPull(number, { updatedAt: OPENED_AT }));
  world.github.addPull(restPull(4, { updatedAt: daysAgo(20) }));
  world.github.addPull(restPull(5, { updatedAt: OPENED_AT }));
  world.github.addPull(restPull(6, { headRepository: "stranger/shop", updatedAt: OPENED_AT }));
  world.github.addPull(restPull(7, { draft: true, updatedAt: OPENED_AT }));
}

const IDLE = ["pipewright-orders-pr-4", "pipewright-payments-pr-4"];
const ALL_KEYS = [
  "pipewright-orders-pr/BuildArtif/bbb4",
  "pipewright-orders-pr/BuildArtif/ddd40",
  "pipewright-orders-pr/BuildArtif/one",
  "pipewright-orders-pr/SourceArti/aaa4",
  "pipewright-payments-p/BuildArtif/ccc4",
];

const kinds = (result: ReconcilerResult) => result.decisions.map((decision) => `${decision.kind} #${decision.number}`);

async function incomplete(promise: Promise<unknown>): Promise<ReconciliationIncompleteError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ReconciliationIncompleteError) return error;
    throw error;
  }
  throw new Error("expected a ReconciliationIncompleteError");
}

function summaryLine() {
  const lines = world.logger.entries.filter((entry) => entry.message === "Reconciler summary");
  expect(lines).toHaveLength(1);
  return lines[0]!.attributes;
}

describe("the reconciler handler", () => {
  it("closes through the bus, asks for missing pipelines, removes idle ones, and reports it", async () => {
    seed();
    const result = await world.handler()({ version: "0", source: "aws.events", "detail-type": "Scheduled Event", detail: {} });

    expect(kinds(result)).toEqual([
      "close #1",
      "close #2",
      "keep #3",
      "remove-idle #4",
      "remove-idle #4",
      "create #5",
      "keep #6",
      "keep #7",
      "keep #40",
    ]);

    // Closes and creations are pr-pipelines' work: normalized events on the GitHub bus.
    expect(world.entries().map((entry) => ({ source: entry.Source, type: entry.DetailType, bus: entry.EventBusName }))).toEqual(
      Array.from({ length: 3 }, () => ({ source: EVENT_SOURCE, type: "pull_request", bus: BUS })),
    );
    const published = world.published();
    expect(published.map((event) => [event.action, event.number, event.deliveryId])).toEqual([
      ["closed", 1, `reconciler-${REPOSITORY}-1-${epoch(CLOSED_AT)}`],
      ["closed", 2, `reconciler-${REPOSITORY}-2-${epoch(MERGED_AT)}`],
      ["reopened", 5, `reconciler-${REPOSITORY}-5-${epoch(OPENED_AT)}`],
    ]);
    expect(published[1]).toMatchObject({ merged: true, headSha: OTHER_SHA, updatedAt: iso(MERGED_AT) });
    for (const event of published) {
      expect(pullRequestEventSchema.safeParse(event).success).toBe(true);
      expect(planPullRequestEvent(event, config).kind).toBe(event.action === "closed" ? "delete" : "create");
    }

    // Idle pipelines go directly: exactly their artifacts, their preview stacks, the pipelines; nothing else.
    expect(world.deletedPipelines().sort()).toEqual(IDLE);
    expect([...world.aws.pipelines.keys()]).not.toEqual(expect.arrayContaining(IDLE));
    expect(world.keysLeft()).toEqual(["pipewright-orders-pr/BuildArtif/ddd40", "pipewright-orders-pr/BuildArtif/one"]);
    expect(world.deletedStacks()).toEqual(["pipewright-orders-pr-4", "pipewright-payments-pr-4"]);
    expect(world.sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input.RoleArn)).toEqual([CLEANUP_ROLE, CLEANUP_ROLE]);
    // pr-pipelines' state is left as is: the capacity ledger is only read (it is empty).
    expect(world.aws.dynamodb.calls().map((call) => call.args[0].constructor.name)).toEqual(["GetItemCommand"]);

    // Only pipelines named like ours had their tags read, and #9 (another repository's) was left alone.
    expect(world.taggedArns().sort()).toEqual(
      [
        "orders-pr-1",
        "payments-pr-1",
        "orders-pr-2",
        "orders-pr-3",
        "payments-pr-3",
        "orders-pr-4",
        "payments-pr-4",
        "orders-pr-40",
        "payments-pr-40",
        "orders-pr-9",
      ]
        .map((name) => `arn:aws:codepipeline:${REGION}:${ACCOUNT}:pipewright-${name}`)
        .sort(),
    );
    expect(world.logger.entries.find((entry) => entry.message.includes("tags disagree"))?.attributes).toEqual({
      ignored: [{ name: "pipewright-orders-pr-9", reason: expect.stringMatching(/someone\/else/) }],
    });

    // GitHub: the open list, then only the pull requests not in it.
    expect(world.github.requests.map((request) => request.path.replace(`/repos/${REPOSITORY}`, ""))).toEqual(["/pulls", "/pulls/1", "/pulls/2"]);
    expect(world.github.requests[0]?.headers.authorization).toBe(`token ${TOKEN}`);
    expect(world.secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input.SecretId).toBe(
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:pipewright/github-token-AbCdEf`,
    );

    const expected = {
      prPipelines: 9,
      prsChecked: 8,
      closedRequested: 2,
      created: 1,
      pickedUp: 0,
      waiting: 0,
      idleRemoved: 2,
      unknown: 0,
      githubFailures: 0,
      awsFailures: 0,
      dryRun: false,
    };
    expect(result.summary).toEqual(expected);
    expect(result.failures).toEqual([]);
    expect(result.outcomes.map((outcome) => outcome.result)).toEqual(["published", "published", "removed", "removed", "published"]);
    expect(summaryLine()).toEqual({
      ...expected,
      _aws: {
        Timestamp: NOW.getTime(),
        CloudWatchMetrics: [
          {
            Namespace: "pipewright",
            Dimensions: [["Repository"]],
            Metrics: [
              "ReconcilerClosed",
              "ReconcilerCreated",
              "ReconcilerIdleRemoved",
              "ReconcilerPickedUp",
              "PullRequestsWaitingForCapacity",
              "ReconcilerGitHubFailures",
            ].map((Name) => ({
              Name,
              Unit: "Count",
            })),
          },
        ],
      },
      Repository: "all",
      ReconcilerClosed: 2,
      ReconcilerCreated: 1,
      ReconcilerIdleRemoved: 2,
      ReconcilerPickedUp: 0,
      PullRequestsWaitingForCapacity: 0,
      ReconcilerGitHubFailures: 0,
    });
  });

  it("hands free room to the pull requests waiting for capacity, and forgets the ones that closed", async () => {
    seed();
    // #5 (open, no pipelines) and #1 (closed since) wait; #3 and #40 hold their two pipelines each.
    world.aws.table.items.set(CAPACITY_LEDGER_KEY, {
      pk: { S: CAPACITY_LEDGER_KEY },
      version: { N: "7" },
      used: { N: "4" },
      [`held:${REPOSITORY}#3`]: { M: { pipelines: { N: "2" }, updatedAt: { N: String(OPENED_AT.getTime()) } } },
      [`held:${REPOSITORY}#40`]: { M: { pipelines: { N: "2" }, updatedAt: { N: String(OPENED_AT.getTime()) } } },
      [`waiting:${REPOSITORY}#5`]: { N: String(daysAgo(1).getTime()) },
      [`waiting:${REPOSITORY}#1`]: { N: String(daysAgo(2).getTime()) },
    });
    const result = await world.handler({ MAX_PR_PIPELINES: "6" })();
    expect(kinds(result).filter((kind) => kind.endsWith("#5") || kind.startsWith("forget"))).toEqual(["forget #1", "pick-up #5"]);
    expect(world.published().filter((event) => event.number === 5)).toEqual([
      expect.objectContaining({ action: "reopened", deliveryId: `reconciler-${REPOSITORY}-5-${epoch(OPENED_AT)}` }),
    ]);
    const stored = world.aws.table.get(CAPACITY_LEDGER_KEY) ?? {};
    expect(Object.keys(stored).filter((name) => name.startsWith("waiting:"))).toEqual([`waiting:${REPOSITORY}#5`]);
    expect(stored.version).toEqual({ N: "8" });
    expect(result.summary).toMatchObject({ pickedUp: 1, created: 0, waiting: 0 });
  });

  it("repeats the same delivery ids on the next run, and does not remove an idle pipeline twice", async () => {
    seed();
    const handle = world.handler();
    await handle();
    const first = world.published().map((event) => event.deliveryId);
    await handle();
    const second = world
      .published()
      .map((event) => event.deliveryId)
      .slice(first.length);
    expect(second).toEqual(first);
    expect(world.deletedPipelines().sort()).toEqual(IDLE);
  });

  it.each([
    ["DRY_RUN=true", { DRY_RUN: "true" }, undefined],
    ['an invocation with {"dryRun": true}', {}, { dryRun: true }],
  ])("changes nothing in a dry run (%s) but reports the plan", async (_how, env, event) => {
    seed();
    const result = await world.handler(env)(event);

    expect(world.events.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(world.deletedPipelines()).toEqual([]);
    expect(world.deleteObjectsCalls()).toBe(0);
    expect(world.sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    expect(world.deletedStacks()).toEqual([]);
    expect(world.keysLeft()).toEqual(ALL_KEYS);

    expect(kinds(result)).toEqual([
      "close #1",
      "close #2",
      "keep #3",
      "remove-idle #4",
      "remove-idle #4",
      "create #5",
      "keep #6",
      "keep #7",
      "keep #40",
    ]);
    expect(result.outcomes).toEqual([]);
    expect(result.summary).toMatchObject({ closedRequested: 2, created: 1, idleRemoved: 2, dryRun: true });
    const plan = world.logger.entries.find((entry) => entry.message.startsWith("Reconciler plan (dry run"));
    expect(plan?.attributes).toMatchObject({
      dryRun: true,
      actions: 5,
      decisions: expect.arrayContaining([
        expect.objectContaining({ kind: "close", pullRequest: 1, deliveryId: `reconciler-${REPOSITORY}-1-${epoch(CLOSED_AT)}` }),
        expect.objectContaining({ kind: "remove-idle", pullRequest: 4, pipeline: "pipewright-orders-pr-4" }),
      ]),
    });
    // Nothing was done, so the action metrics are 0.
    expect(summaryLine()).toMatchObject({ dryRun: true, closedRequested: 2, ReconcilerClosed: 0, ReconcilerCreated: 0, ReconcilerIdleRemoved: 0 });
  });

  it("retries GitHub's 5xx and uses the answer", async () => {
    seed();
    world.github.intercept((request, count) => (request.path.endsWith("/pulls/1") && count < 2 ? { status: count === 0 ? 502 : 503 } : undefined));
    const result = await world.handler()();
    expect(world.github.requestsTo("/pulls/1")).toHaveLength(3);
    expect(world.published().map((event) => `${event.action} #${event.number}`)).toContain("closed #1");
    expect(result.summary.githubFailures).toBe(0);
  });

  it("reports a pull request GitHub keeps timing out on as unknown, applies the rest, then fails", async () => {
    seed();
    world.github.intercept((request) =>
      request.path.endsWith("/pulls/1") ? { status: 200, body: restPull(1, { state: "closed" }), delayMs: 2000 } : undefined,
    );
    const error = await incomplete(world.handler({}, { timeoutMs: 100 })());

    expect(world.github.requestsTo("/pulls/1")).toHaveLength(3);
    expect(world.published().map((event) => `${event.action} #${event.number}`)).toEqual(["closed #2", "reopened #5"]);
    expect(world.deletedPipelines().sort()).toEqual(IDLE);
    expect(error.summary).toMatchObject({ unknown: 1, githubFailures: 1, closedRequested: 1, created: 1, idleRemoved: 2 });
    expect(error.failures).toEqual([
      {
        source: "github",
        operation: "get pull request",
        repository: REPOSITORY,
        pullRequest: 1,
        message: expect.stringMatching(/GitHub did not answer .*\/pulls\/1 within 100 ms/),
      },
    ]);
    expect(error.message).toMatch(/1 GitHub failure/);
    expect(summaryLine()).toMatchObject({ unknown: 1, ReconcilerGitHubFailures: 1 });
  });

  it("does not retry a 401, leaves that pull request alone, applies the rest, then fails with a named error", async () => {
    seed();
    world.github.intercept((request) => (request.path.endsWith("/pulls/2") ? { status: 401, body: { message: "Bad credentials" } } : undefined));
    const error = await incomplete(world.handler()());

    expect(error.name).toBe("ReconciliationIncompleteError");
    expect(world.github.requestsTo("/pulls/2")).toHaveLength(1);
    expect(world.published().map((event) => `${event.action} #${event.number}`)).toEqual(["closed #1", "reopened #5"]);
    expect(world.deletedPipelines().sort()).toEqual(IDLE);
    expect(error.failures).toEqual([
      {
        source: "github",
        operation: "get pull request",
        repository: REPOSITORY,
        pullRequest: 2,
        message: expect.stringMatching(/GitHub answered 401: Bad credentials.*invalid or expired/),
      },
    ]);
    expect(world.logger.entries.filter((entry) => entry.level === "error").map((entry) => entry.message)).toEqual([
      "Reconciler: get pull request failed",
    ]);
  });

  it("treats a pull request GitHub answers 404 for as closed, once the repository is visible", async () => {
    seed();
    world.github.pulls.delete(1);
    const result = await world.handler()();
    expect(world.github.requestsTo("")).toHaveLength(1);
    const closed = world.published().find((event) => event.number === 1);
    expect(closed).toMatchObject({
      action: "closed",
      updatedAt: NOW.toISOString(),
      headSha: HEAD_SHA,
      deliveryId: `reconciler-${REPOSITORY}-1-${epoch(NOW)}`,
    });
    expect(result.summary).toMatchObject({ closedRequested: 2, githubFailures: 0 });
  });

  it("closes nothing on 404 when the token cannot see the repository either", async () => {
    seed();
    world.github.pulls.delete(1);
    world.github.repositoryVisible = false;
    const error = await incomplete(world.handler()());
    expect(world.published().map((event) => event.number)).toEqual([2, 5]);
    expect(error.summary.unknown).toBe(1);
    expect(error.failures).toEqual([
      expect.objectContaining({ source: "github", operation: "get repository", message: expect.stringMatching(/cannot see it/) }),
    ]);
  });

  it("reads every page of ListPipelines", async () => {
    seed();
    world.pipelinesPageSize = 3;
    const result = await world.handler()();
    const tokens = world.aws.codepipeline.commandCalls(ListPipelinesCommand).map((call) => call.args[0].input.nextToken);
    // 13 pipelines, 3 a page.
    expect(tokens).toEqual([undefined, "3", "6", "9", "12"]);
    expect(result.summary.prPipelines).toBe(9);
  });

  it("reads every page of open pull requests", async () => {
    seed();
    for (let number = 100; number < 250; number++) world.github.addPull(restPull(number, { draft: true, updatedAt: OPENED_AT }));
    const result = await world.handler()();
    expect(world.github.requestsTo("/pulls").map((request) => request.query.get("page") ?? "1")).toEqual(["1", "2"]);
    expect(result.decisions.filter((decision) => decision.kind === "create").map((decision) => decision.number)).toEqual([5]);
    expect(result.decisions.filter((decision) => decision.kind === "keep" && decision.number >= 100)).toHaveLength(150);
  });

  it("without a GitHub token asks nothing, logs it once, and only removes idle pipelines", async () => {
    seed();
    const result = await world.handler({ GITHUB_TOKEN_SECRET_ARN: undefined })();
    expect(world.github.requests).toHaveLength(0);
    expect(world.secrets.calls()).toHaveLength(0);
    expect(world.events.commandCalls(PutEventsCommand)).toHaveLength(0);
    // #9 is another repository's: idle for 90 days, but not ours.
    expect(world.deletedPipelines().sort()).toEqual(IDLE);
    expect(world.logger.entries.filter((entry) => entry.level === "warn")).toEqual([
      {
        level: "warn",
        message: "Reconciler: GitHub is not asked about a repository, so only its idle pull request pipelines are removed",
        attributes: { repository: REPOSITORY, reason: expect.stringMatching(/GITHUB_TOKEN_SECRET_ARN is not set/) },
      },
    ]);
    expect(result.summary).toMatchObject({ prsChecked: 0, idleRemoved: 2, closedRequested: 0, githubFailures: 0 });
  });

  it.each([
    ["with its installation id", { installationId: true }, ["POST /app/installations/99/access_tokens"]],
    [
      "without an installation id, which it looks up",
      { installationId: false },
      [`GET /repos/${REPOSITORY}/installation`, "POST /app/installations/99/access_tokens"],
    ],
  ])("works with GitHub App credentials in the token secret %s", async (_name, options, tokenCalls) => {
    seed();
    const app = fakeApp();
    world.github.installApp(app);
    world.secrets.on(GetSecretValueCommand).resolves({ ARN: SECRET_ARN, SecretString: appSecretString(app, options) });
    const result = await world.handler()();
    expect(world.github.calls()).toEqual([...tokenCalls, ...["/pulls", "/pulls/1", "/pulls/2"].map((path) => `GET /repos/${REPOSITORY}${path}`)]);
    expect(world.github.requests.slice(tokenCalls.length).map((request) => request.headers.authorization)).toEqual(
      Array(3).fill(`token ${app.token}`),
    );
    expect(result.summary).toMatchObject({ prsChecked: 8, closedRequested: 2, created: 1, idleRemoved: 2, githubFailures: 0 });
  });

  it("fails the run, after the idle removals, when the App's credentials cannot be used", async () => {
    seed();
    const app = fakeApp();
    world.github.installApp(app);
    const stranger = fakeApp();
    world.secrets.on(GetSecretValueCommand).resolves({ ARN: SECRET_ARN, SecretString: appSecretString(stranger) });
    const error = await incomplete(world.handler()());
    expect(world.deletedPipelines().sort()).toEqual(IDLE);
    expect(error.failures).toEqual([
      {
        source: "github",
        operation: "connect to GitHub",
        repository: REPOSITORY,
        message: expect.stringMatching(/GitHub App's installation on example-org\/shop failed: GitHub answered 401/),
      },
    ]);
  });

  it("treats a token secret without a value like no token", async () => {
    seed();
    const missing = new Error("Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");
    missing.name = "ResourceNotFoundException";
    world.secrets.on(GetSecretValueCommand).rejects(missing);
    const result = await world.handler()();
    expect(world.github.requests).toHaveLength(0);
    expect(result.summary).toMatchObject({ idleRemoved: 2, githubFailures: 0 });
  });

  it("removes an idle pipeline of a service without previews with its artifacts, and assumes no role for a stack it never deployed", async () => {
    const name = world.addPrPipeline("orders", 8, {
      lastRun: daysAgo(30),
      artifacts: ["pipewright-orders-pr/BuildArtif/eee8"],
      deployPreview: false,
    });
    world.github.addPull(restPull(8, { updatedAt: daysAgo(30) }));
    const result = await world.handler()();

    expect(kinds(result)).toEqual(["remove-idle #8"]);
    expect(result.outcomes).toEqual([expect.objectContaining({ result: "removed", deletedArtifactVersions: 2, previewStacks: [] })]);
    expect(world.deletedPipelines()).toEqual([name]);
    expect(world.keysLeft()).toEqual([]);
    expect(world.sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    expect(world.deletedStacks()).toEqual([]);
  });

  it("leaves idle pipelines of closed pull requests to the close", async () => {
    world.addPrPipeline("orders", 11, { lastRun: daysAgo(30) });
    world.github.addPull(restPull(11, { state: "closed", updatedAt: daysAgo(25) }));
    const result = await world.handler()();
    expect(kinds(result)).toEqual(["close #11"]);
    expect(world.deletedPipelines()).toEqual([]);
  });

  it("counts an event the bus rejects as a failure and still does the rest", async () => {
    seed();
    world.events.on(PutEventsCommand).callsFake(async ({ Entries }) => {
      const detail = JSON.parse(Entries?.[0]?.Detail ?? "{}") as { number: number };
      return detail.number === 1
        ? { FailedEntryCount: 1, Entries: [{ ErrorCode: "InternalFailure", ErrorMessage: "try again" }] }
        : { FailedEntryCount: 0, Entries: [{ EventId: "ok" }] };
    });
    const error = await incomplete(world.handler()());
    expect(error.summary).toMatchObject({ closedRequested: 1, created: 1, idleRemoved: 2, awsFailures: 1, githubFailures: 0 });
    expect(error.failures).toEqual([
      expect.objectContaining({
        source: "aws",
        operation: `put closed event on ${BUS}`,
        pullRequest: 1,
        message: expect.stringMatching(/InternalFailure/),
      }),
    ]);
  });

  it("fails without changing anything when ListPipelines fails", async () => {
    seed();
    world.aws.codepipeline.on(ListPipelinesCommand).rejects(Object.assign(new Error("User is not authorized"), { name: "AccessDeniedException" }));
    await expect(world.handler()()).rejects.toThrow(PipelineInventoryError);
    expect(world.github.requests).toHaveLength(0);
    expect(world.events.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it("leaves alone a pipeline whose tags cannot be read, and says so", async () => {
    seed();
    world.aws.codepipeline.on(ListTagsForResourceCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));
    const error = await incomplete(world.handler()());
    expect(error.summary.prPipelines).toBe(0);
    expect(world.deletedPipelines()).toEqual([]);
    // Pipelines it could not check are not "missing": only #5, which has none, is repaired.
    expect(world.published().map((event) => `${event.action} #${event.number}`)).toEqual(["reopened #5"]);
    expect(error.summary.unknown).toBe(3);
    expect(error.failures).toHaveLength(10);
    expect(error.failures.every((failure) => failure.source === "aws" && failure.operation === "ListTagsForResource")).toBe(true);
  });

  it("asks for the pipelines of a fork's pull request once it has the label, not before", async () => {
    world.github.addPull(restPull(15, { headRepository: "friend/shop", labels: [FORK_LABEL], updatedAt: OPENED_AT }));
    world.github.addPull(restPull(16, { headRepository: "friend/shop", updatedAt: OPENED_AT }));
    const result = await world.handler()();
    expect(world.published()).toEqual([
      expect.objectContaining({ action: "reopened", number: 15, fromFork: true, headRepository: "friend/shop", labels: [FORK_LABEL] }),
    ]);
    expect(result.summary.created).toBe(1);
  });

  it("counts a failed ListPipelineExecutions as a failure and never removes that pipeline", async () => {
    seed();
    world.aws.codepipeline
      .on(ListPipelineExecutionsCommand, { pipelineName: "pipewright-orders-pr-4" })
      .rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));
    const error = await incomplete(world.handler()());
    expect(world.deletedPipelines()).toEqual(["pipewright-payments-pr-4"]);
    expect(error.failures).toEqual([
      expect.objectContaining({ source: "aws", operation: "ListPipelineExecutions", pipeline: "pipewright-orders-pr-4" }),
    ]);
  });
});
