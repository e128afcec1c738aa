/**
 * The push-router function against the AWS emulator: the real handler, the real
 * CodePipeline and DynamoDB adapters and SDK clients (a push-state table as the stacks create
 * it), and the real GitHub compare client without a token secret (which then asks GitHub
 * nothing). Events carry the bus contract (functions/shared/events.ts). Two repositories:
 * the shared world's monorepo, and a second one with its own main branch and pipeline.
 */
import { randomUUID } from "node:crypto";
import { CreatePipelineCommand } from "@aws-sdk/client-codepipeline";
import { CodePipelineStarter } from "../../functions/push-router/aws";
import { checkServiceGlobs } from "../../functions/push-router/config";
import { RepositoryCatalog } from "../../functions/shared/repositories";
import { GitHubChangedFiles } from "../../functions/push-router/github";
import { makeHandler, type PushRouteResult } from "../../functions/push-router/handler";
import { ZERO_SHA } from "../../functions/push-router/route";
import { PipelineStartsFailedError, type PipelineStarter } from "../../functions/push-router/start";
import { DynamoPushOrderStore } from "../../functions/push-router/state";
import { DETAIL_TYPES, type PushEvent } from "../../functions/shared/events";
import { useEmulator } from "../support/emulator";
import {
  busEvent,
  commit,
  createWorld,
  executionDetail,
  executionsOf,
  MAIN_PIPELINES,
  PUSH_STATE_TABLE,
  pushStateItem,
  recordingLogger,
  REPOSITORY,
  SOURCE_ACTION,
  servicePipeline,
  sourceRevision,
  type World,
} from "./support/pipewright-world";

const emulator = useEmulator();
let world: World;
let route: (push: PushEvent) => Promise<PushRouteResult>;
const logger = recordingLogger();
const [ORDERS, PAYMENTS] = MAIN_PIPELINES as [string, string];
/** The second repository: its main branch is "release", and its one service's globs overlap the monorepo's paths. */
const BILLING = "acme-corp/billing";
const INVOICES = servicePipeline("billing-invoices", "unused").name as string;
/** Every pipeline of both repositories: each test checks that the ones it does not expect got no execution. */
const ALL_PIPELINES = [...MAIN_PIPELINES, INVOICES];
/** Pipelines whose next start fails before reaching CodePipeline, as a throttle would. */
const failNextStart = new Set<string>();

/** The repository catalog as the stacks bundle it with the function. */
const CATALOG = checkServiceGlobs(
  RepositoryCatalog.from({
    repositories: [
      {
        repository: REPOSITORY,
        mainBranch: "main",
        forkLabel: "safe-to-test",
        services: [
          { name: "orders", pipeline: ORDERS, include: ["services/orders/**", "libs/shared/**"], exclude: ["**/*.md"] },
          { name: "payments", pipeline: PAYMENTS, include: ["services/payments/**", "libs/shared/**"], exclude: ["**/*.md"] },
        ],
      },
      {
        repository: BILLING,
        mainBranch: "release",
        forkLabel: "safe-to-test",
        services: [{ name: "invoices", pipeline: INVOICES, include: ["services/**", "libs/shared/**"], exclude: [] }],
      },
    ],
  }),
);

beforeAll(async () => {
  world = await createWorld(emulator());
  const clients = world.clients();
  await clients.codepipeline.send(new CreatePipelineCommand({ pipeline: servicePipeline("billing-invoices", world.artifactKeyArn) }));
  const codepipeline = new CodePipelineStarter(clients.codepipeline);
  const pipelines: PipelineStarter = {
    start: async (request) => {
      if (failNextStart.delete(request.pipeline)) throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
      return codepipeline.start(request);
    },
  };
  const handle = makeHandler({
    config: { catalog: CATALOG, sourceActionName: SOURCE_ACTION },
    pipelines,
    order: new DynamoPushOrderStore(clients.dynamodb, PUSH_STATE_TABLE),
    // No GITHUB_TOKEN_SECRET_ARN: no GitHub client, so a push with incomplete file lists starts everything.
    changes: new GitHubChangedFiles({}),
    logger,
  });
  route = (push) => handle(busEvent(DETAIL_TYPES.push, push, randomUUID()));
});
afterAll(() => world?.destroy());

let pushes = 0;
/** repository.pushed_at of the first test push; each later one is a second newer. */
const FIRST_PUSHED_AT = 1_764_000_000;
/** A new delivery of a push to main, moving it from the previous test push's commit, a second later. */
function push(overrides: Partial<PushEvent> = {}): PushEvent {
  pushes++;
  return {
    deliveryId: randomUUID(),
    repository: REPOSITORY,
    ref: "refs/heads/main",
    before: commit(`main-${pushes - 1}`),
    after: commit(`main-${pushes}`),
    forced: false,
    created: false,
    deleted: false,
    changedFiles: [],
    truncated: false,
    pushedAt: FIRST_PUSHED_AT + pushes,
    ...overrides,
  };
}

/** Execution ids of each main pipeline, newest first. */
async function executionIds(): Promise<Record<string, string[]>> {
  const ids: Record<string, string[]> = {};
  for (const name of ALL_PIPELINES) ids[name] = (await executionsOf(world, name)).map((e) => e.pipelineExecutionId as string);
  return ids;
}

/** Asserts that exactly `started` got one new execution since `before`, pinned to `commitId`, and the others none. */
async function expectStarted(before: Record<string, string[]>, started: string[], commitId: string): Promise<Record<string, string>> {
  const newIds: Record<string, string> = {};
  for (const name of ALL_PIPELINES) {
    const executions = await executionsOf(world, name);
    const fresh = executions.filter((execution) => !before[name]?.includes(execution.pipelineExecutionId as string));
    if (!started.includes(name)) {
      expect({ name, fresh }).toEqual({ name, fresh: [] });
      continue;
    }
    expect(fresh).toHaveLength(1);
    const [execution] = fresh;
    expect(execution).toMatchObject({ status: "InProgress", trigger: { triggerType: "StartPipelineExecution" } });
    expect(sourceRevision(execution!)).toBe(commitId);
    const detail = await executionDetail(world, name, execution?.pipelineExecutionId as string);
    expect(detail.artifactRevisions).toEqual([expect.objectContaining({ name: "SourceArtifact", revisionId: commitId })]);
    newIds[name] = execution?.pipelineExecutionId as string;
  }
  return newIds;
}

describe("push router against the emulator", () => {
  test("a push to main touching only services/orders starts only the orders pipeline, pinned to the pushed commit", async () => {
    const before = await executionIds();
    const event = push({ changedFiles: ["services/orders/src/checkout.ts", "services/orders/README.md", "docs/adr/0007.md"] });

    const result = await route(event);

    const started = await expectStarted(before, [ORDERS], event.after);
    expect(result).toMatchObject({
      outcome: "started",
      everything: false,
      started: [{ pipeline: ORDERS, executionId: started[ORDERS] }],
      ignored: [],
    });
    expect(await pushStateItem(world, ORDERS)).toMatchObject({
      pushedAt: { N: String(event.pushedAt) },
      after: { S: event.after },
      before: { S: event.before },
      deliveryId: { S: event.deliveryId },
      startedAt: { N: expect.stringMatching(/^\d{13}$/) },
    });
    expect(await pushStateItem(world, PAYMENTS)).toBeUndefined();
  });

  test("a redelivery of that push (same delivery id) starts nothing new", async () => {
    const event = push({ changedFiles: ["services/orders/src/refund.ts"] });
    const first = await route(event);
    const before = await executionIds();

    const again = await route({ ...event });

    expect(await executionIds()).toEqual(before);
    expect(again).toEqual(first);
  });

  test("pushes to a tag, another branch (one named like the other repository's main branch too), an unconfigured repository or a deleted main start nothing", async () => {
    const before = await executionIds();
    const changedFiles = ["services/orders/src/checkout.ts", "libs/shared/money.ts"];
    const skipped: Array<[PushEvent, RegExp]> = [
      [push({ ref: "refs/tags/v1.4.0", changedFiles }), /is a tag/],
      [push({ ref: "refs/heads/feature/main", changedFiles }), /not refs\/heads\/main/],
      [push({ ref: "refs/heads/release/main", changedFiles, truncated: true }), /not refs\/heads\/main/],
      [push({ repository: "acme-corp/other", changedFiles }), /acme-corp\/other is not a configured repository/],
      [push({ ref: "refs/heads/release", changedFiles }), /refs\/heads\/release is not refs\/heads\/main/],
      [push({ deleted: true, after: ZERO_SHA, changedFiles: [] }), /deleted/],
    ];
    for (const [event, reason] of skipped) {
      expect(await route(event)).toEqual({ outcome: "skipped", reason: expect.stringMatching(reason) });
    }
    expect(await executionIds()).toEqual(before);
  });

  test("a push to the other repository's main branch starts only its matching pipeline, pinned to the pushed commit", async () => {
    const before = await executionIds();
    const event = push({ repository: BILLING, ref: "refs/heads/release", changedFiles: ["services/orders/src/checkout.ts"] });

    const result = await route(event);

    const started = await expectStarted(before, [INVOICES], event.after);
    expect(result).toMatchObject({ outcome: "started", started: [{ pipeline: INVOICES, executionId: started[INVOICES] }], ignored: [] });
    expect(await pushStateItem(world, INVOICES)).toMatchObject({ after: { S: event.after }, deliveryId: { S: event.deliveryId } });
  });

  test("a truncated push to the other repository, without a GitHub token, starts every pipeline of that repository and none of the monorepo's", async () => {
    const before = await executionIds();
    const event = push({ repository: BILLING, ref: "refs/heads/release", truncated: true });
    expect(await route(event)).toMatchObject({ everything: true });
    await expectStarted(before, [INVOICES], event.after);
  });

  test("a push to main touching nothing a service includes starts nothing", async () => {
    const before = await executionIds();
    const result = await route(push({ changedFiles: ["docs/runbook.md", "services/payments/CHANGELOG.md"] }));
    expect(result).toMatchObject({ outcome: "started", everything: false, started: [] });
    expect(await executionIds()).toEqual(before);
  });

  test("a push touching libs/shared starts both pipelines, each pinned to the pushed commit", async () => {
    const before = await executionIds();
    const event = push({ changedFiles: ["libs/shared/src/money.ts"] });

    const result = await route(event);

    const started = await expectStarted(before, [ORDERS, PAYMENTS], event.after);
    expect(result.outcome === "started" && [...result.started].sort((a, b) => a.pipeline.localeCompare(b.pipeline))).toEqual([
      { pipeline: ORDERS, executionId: started[ORDERS] },
      { pipeline: PAYMENTS, executionId: started[PAYMENTS] },
    ]);
  });

  test("without a GitHub token, a truncated push starts every pipeline", async () => {
    const before = await executionIds();
    const event = push({ changedFiles: ["services/orders/src/checkout.ts"], truncated: true });

    const result = await route(event);

    await expectStarted(before, [ORDERS, PAYMENTS], event.after);
    expect(result).toMatchObject({ outcome: "started", everything: true, reason: expect.stringContaining("no GitHub token") });
  });

  test("a force push without a token starts every pipeline too, and its redelivery starts nothing more", async () => {
    const event = push({ changedFiles: ["services/payments/src/ledger.ts"], forced: true });
    const before = await executionIds();
    const first = await route(event);
    await expectStarted(before, [ORDERS, PAYMENTS], event.after);
    const afterFirst = await executionIds();

    expect(await route(event)).toEqual(first);
    expect(await executionIds()).toEqual(afterFirst);
  });

  test("a newer push starts; an older push delivered after it starts nothing, and the state keeps the newer one", async () => {
    const older = push({ changedFiles: ["services/orders/src/tax.ts"] });
    const newer = push({ changedFiles: ["services/orders/src/tax.ts", "services/orders/src/fees.ts"] });
    const before = await executionIds();

    await route(newer);
    const started = await expectStarted(before, [ORDERS], newer.after);
    const result = await route(older);

    expect(result).toMatchObject({ outcome: "started", started: [], ignored: [{ pipeline: ORDERS, reason: "older" }] });
    const executions = await executionIds();
    expect(executions[ORDERS]?.filter((id) => !before[ORDERS]?.includes(id))).toEqual([started[ORDERS]]);
    expect(executions[PAYMENTS]).toEqual(before[PAYMENTS]);
    expect(await pushStateItem(world, ORDERS)).toMatchObject({ after: { S: newer.after }, deliveryId: { S: newer.deliveryId } });
    const line = logger.entries.find((entry) => String(entry.message).startsWith(`Not starting ${ORDERS} for commit ${older.after}`));
    expect(line?.attributes[0]).toMatchObject({ Reason: "older", PushesIgnored: 1 });
  });

  test("a replay of the newest push under a new delivery id starts nothing", async () => {
    const event = push({ changedFiles: ["libs/shared/src/money.ts"] });
    await route(event);
    const before = await executionIds();

    const replay = await route({ ...event, deliveryId: randomUUID() });

    expect(replay).toMatchObject({
      started: [],
      ignored: [
        { pipeline: ORDERS, reason: "replay" },
        { pipeline: PAYMENTS, reason: "replay" },
      ],
    });
    expect(await executionIds()).toEqual(before);
  });

  test("the redelivery of a push whose start failed starts each pipeline once, at that push's commit", async () => {
    const event = push({ changedFiles: ["libs/shared/src/rounding.ts"] });
    const before = await executionIds();
    failNextStart.add(PAYMENTS);

    await expect(route(event)).rejects.toThrow(PipelineStartsFailedError);
    const afterFailure = await expectStarted(before, [ORDERS], event.after);
    const redelivered = await route({ ...event });

    const started = await expectStarted(before, [ORDERS, PAYMENTS], event.after);
    expect(started[ORDERS]).toBe(afterFailure[ORDERS]);
    expect(redelivered).toMatchObject({ ignored: [] });
    for (const pipeline of [ORDERS, PAYMENTS]) {
      expect(await pushStateItem(world, pipeline)).toMatchObject({ after: { S: event.after }, deliveryId: { S: event.deliveryId } });
    }
  });
});
