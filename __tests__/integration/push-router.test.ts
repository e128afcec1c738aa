/**
 * The push-router function against the AWS emulator: the real handler, the real
 * CodePipeline adapter and SDK client, and the real GitHub compare client (which, without a
 * token, must not call GitHub at all). Events carry the bus contract (functions/shared/events.ts).
 */
import { randomUUID } from "node:crypto";
import { CodePipelineStarter } from "../../functions/push-router/aws";
import { parseMainBranch, parseRepository, parseServices } from "../../functions/push-router/config";
import { GitHubChangedFiles } from "../../functions/push-router/github";
import { makeHandler, type PushRouteResult } from "../../functions/push-router/handler";
import { ZERO_SHA } from "../../functions/push-router/route";
import { DETAIL_TYPES, type PushEvent } from "../../functions/shared/events";
import { useEmulator } from "../support/emulator";
import {
  busEvent,
  commit,
  createWorld,
  executionDetail,
  executionsOf,
  MAIN_PIPELINES,
  recordingLogger,
  REPOSITORY,
  SOURCE_ACTION,
  sourceRevision,
  type World,
} from "./support/pipewright-world";

const emulator = useEmulator();
let world: World;
let route: (push: PushEvent) => Promise<PushRouteResult>;
const logger = recordingLogger();
const [ORDERS, PAYMENTS] = MAIN_PIPELINES as [string, string];
let githubCalls = 0;

/** SERVICES as the push-router construct renders it from the configuration. */
const SERVICES_ENV = JSON.stringify([
  { name: "orders", pipeline: ORDERS, include: ["services/orders/**", "libs/shared/**"], exclude: ["**/*.md"] },
  { name: "payments", pipeline: PAYMENTS, include: ["services/payments/**", "libs/shared/**"], exclude: ["**/*.md"] },
]);

beforeAll(async () => {
  world = await createWorld(emulator());
  const handle = makeHandler({
    config: {
      services: parseServices(SERVICES_ENV),
      mainBranch: parseMainBranch("main"),
      repository: parseRepository(REPOSITORY),
      sourceActionName: SOURCE_ACTION,
    },
    pipelines: new CodePipelineStarter(world.clients().codepipeline),
    // No GITHUB_TOKEN_SECRET_ARN: no token, so a push with incomplete file lists starts everything.
    changes: new GitHubChangedFiles({
      repository: REPOSITORY,
      fetch: async () => {
        githubCalls++;
        throw new Error("the push router called GitHub without a token");
      },
    }),
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
  for (const name of MAIN_PIPELINES) ids[name] = (await executionsOf(world, name)).map((e) => e.pipelineExecutionId as string);
  return ids;
}

/** Asserts that exactly `started` got one new execution since `before`, pinned to `commitId`, and the others none. */
async function expectStarted(before: Record<string, string[]>, started: string[], commitId: string): Promise<Record<string, string>> {
  const newIds: Record<string, string> = {};
  for (const name of MAIN_PIPELINES) {
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
    expect(result).toMatchObject({ outcome: "started", everything: false, started: [{ pipeline: ORDERS, executionId: started[ORDERS] }] });
  });

  test("a redelivery of that push (same delivery id) starts nothing new", async () => {
    const event = push({ changedFiles: ["services/orders/src/refund.ts"] });
    const first = await route(event);
    const before = await executionIds();

    const again = await route({ ...event });

    expect(await executionIds()).toEqual(before);
    expect(again).toEqual(first);
  });

  test("pushes to a tag, another branch, another repository or a deleted main start nothing", async () => {
    const before = await executionIds();
    const changedFiles = ["services/orders/src/checkout.ts", "libs/shared/money.ts"];
    const skipped: Array<[PushEvent, RegExp]> = [
      [push({ ref: "refs/tags/v1.4.0", changedFiles }), /is a tag/],
      [push({ ref: "refs/heads/feature/main", changedFiles }), /not refs\/heads\/main/],
      [push({ ref: "refs/heads/release/main", changedFiles, truncated: true }), /not refs\/heads\/main/],
      [push({ repository: "acme-corp/other", changedFiles }), /not to the configured repository/],
      [push({ deleted: true, after: ZERO_SHA, changedFiles: [] }), /deleted/],
    ];
    for (const [event, reason] of skipped) {
      expect(await route(event)).toEqual({ outcome: "skipped", reason: expect.stringMatching(reason) });
    }
    expect(await executionIds()).toEqual(before);
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

  test("without a GitHub token, a truncated push starts every pipeline (GitHub is not called)", async () => {
    const before = await executionIds();
    const event = push({ changedFiles: ["services/orders/src/checkout.ts"], truncated: true });

    const result = await route(event);

    await expectStarted(before, [ORDERS, PAYMENTS], event.after);
    expect(result).toMatchObject({ outcome: "started", everything: true, reason: expect.stringContaining("no GitHub token") });
    expect(githubCalls).toBe(0);
  });

  test("a force push without a token starts every pipeline too, and its redelivery starts nothing more", async () => {
    const event = push({ changedFiles: ["services/payments/src/ledger.ts"], forced: true });
    const before = await executionIds();
    const first = await route(event);
    await expectStarted(before, [ORDERS, PAYMENTS], event.after);
    const afterFirst = await executionIds();

    expect(await route(event)).toEqual(first);
    expect(await executionIds()).toEqual(afterFirst);
    expect(githubCalls).toBe(0);
  });
});
