/**
 * The cap on pull request pipelines, against the AWS emulator, while it
 * throttles a share of CodePipeline's mutating calls: a burst of pull
 * requests over two repositories, more than the cap allows; closes; the
 * reconciler's pick-up. The real handlers, adapters and SDK clients (with
 * the functions' retry configuration); GitHub is a fake per repository.
 * A handler that throws is delivered again, as EventBridge and Lambda do.
 *
 * Repositories: acme-corp/shop with one service (orders) and acme-corp/ledger
 * with one service (api), so that every pull request takes one pipeline and
 * the cap of 30 is reached exactly.
 */
import { randomUUID } from "node:crypto";
import {
  CodePipelineClient,
  CreatePipelineCommand,
  ListPipelinesCommand,
  type PipelineDeclaration,
  type PipelineExecutionSummary,
} from "@aws-sdk/client-codepipeline";
import { CodePipelineGateway, S3ArtifactGateway } from "../../functions/pr-pipelines/aws";
import { inUse, ledgerKey } from "../../functions/pr-pipelines/capacity";
import { DynamoCapacityLedger } from "../../functions/pr-pipelines/capacity-ledger";
import { CAPACITY_CONTEXT, GitHubCapacityNotices } from "../../functions/pr-pipelines/capacity-notices";
import { parseConfig } from "../../functions/pr-pipelines/config";
import { makeHandler as makePrHandler, type PrPipelinesResult } from "../../functions/pr-pipelines/handler";
import { DynamoPrStateStore } from "../../functions/pr-pipelines/state";
import { CodePipelineInventory } from "../../functions/reconciler/aws";
import { GitHubPullRequests } from "../../functions/reconciler/github";
import { makeHandler as makeReconciler } from "../../functions/reconciler/handler";
import { THROTTLED_CLIENT_RETRY } from "../../functions/shared/aws-retry";
import { DETAIL_TYPES, type PullRequestEvent } from "../../functions/shared/events";
import { GitHubBudget } from "../../functions/shared/github/budget";
import { mapWithConcurrency } from "../../functions/shared/concurrency";
import { RepositoryCatalog } from "../../functions/shared/repositories";
import type { BusEvent } from "../../functions/webhook/bus-event";
import { clearFaults, emulatorClientConfig, inAccount, setFaults } from "../../sandbox/emulator";
import { useEmulator } from "../support/emulator";
import { clientFor, FakeGitHub } from "../support/fake-github";
import {
  BUILD_ACCOUNT,
  busEvent,
  commit,
  createWorld,
  executionsOf,
  FORK_LABEL,
  PROD_ACCOUNT,
  PR_ARTIFACT_BUCKET,
  REGION,
  recordingLogger,
  REPOSITORY,
  servicePipeline,
  STATE_TABLE,
  type World,
} from "./support/pipewright-world";

const emulator = useEmulator();
const SHOP = REPOSITORY;
const LEDGER = "acme-corp/ledger";
const CAP = 30;
const BURST = 50;
const CLOSED = 20;
/** Like the function's reserved concurrency: invocations at once. */
const CONCURRENT_INVOCATIONS = 10;
/** Deliveries of one event before it would go to the dead-letter queue. */
const MAX_DELIVERIES = 4;
const MUTATING = ["CreatePipeline", "DeletePipeline", "StartPipelineExecution", "StopPipelineExecution", "TagResource"];
const TOKEN = "ghs_pipewright_test";

const catalog = RepositoryCatalog.from({
  repositories: [
    { repository: SHOP, mainBranch: "main", forkLabel: FORK_LABEL, services: [{ name: "orders", pipeline: "pipewright-orders", include: ["**"] }] },
    {
      repository: LEDGER,
      mainBranch: "main",
      forkLabel: FORK_LABEL,
      services: [{ name: "api", pipeline: "pipewright-ledger-api", include: ["**"] }],
    },
  ],
});

/** The ledger's api pipeline: a service pipeline whose source is the ledger repository. */
function ledgerPipeline(artifactKeyArn: string): PipelineDeclaration {
  const declaration = servicePipeline("ledger-api", artifactKeyArn);
  for (const stage of declaration.stages ?? []) {
    for (const action of stage.actions ?? []) {
      if (action.configuration?.FullRepositoryId !== undefined) action.configuration.FullRepositoryId = LEDGER;
    }
  }
  return declaration;
}

let world: World;
let shopGitHub: FakeGitHub;
let ledgerGitHub: FakeGitHub;
const logger = recordingLogger();
let codepipeline: CodePipelineClient;

beforeAll(async () => {
  world = await createWorld(emulator());
  await world.codepipeline.send(new CreatePipelineCommand({ pipeline: ledgerPipeline(world.artifactKeyArn) }));
  shopGitHub = await FakeGitHub.start(SHOP, { tokens: [TOKEN] });
  ledgerGitHub = await FakeGitHub.start(LEDGER, { tokens: [TOKEN] });
  // The functions' own retry configuration for CodePipeline.
  codepipeline = inAccount(new CodePipelineClient({ ...emulatorClientConfig(emulator()), ...THROTTLED_CLIENT_RETRY }), BUILD_ACCOUNT);
});
afterAll(async () => {
  codepipeline?.destroy();
  world?.destroy();
  await shopGitHub?.stop();
  await ledgerGitHub?.stop();
});

const fakeOf = (repository: string) => (repository.toLowerCase() === LEDGER ? ledgerGitHub : shopGitHub);
const gitHubClient = (repository: string) => clientFor(fakeOf(repository), { kind: "token", token: TOKEN })();

function prHandler() {
  const clients = world.clients();
  const handle = makePrHandler({
    config: parseConfig(
      { PR_STATE_TABLE: STATE_TABLE, PR_IDENTITIES: JSON.stringify(world.identities), PROD_ACCOUNT_ID: PROD_ACCOUNT, MAX_PR_PIPELINES: String(CAP) },
      catalog,
    ),
    pipelines: new CodePipelineGateway(codepipeline),
    artifacts: new S3ArtifactGateway(clients.s3),
    state: new DynamoPrStateStore(clients.dynamodb, STATE_TABLE),
    capacity: new DynamoCapacityLedger(clients.dynamodb, STATE_TABLE),
    capacityNotices: new GitHubCapacityNotices({ client: gitHubClient, secretArn: "arn:aws:secretsmanager:eu-west-1:111111111111:secret:x", logger }),
    previewStacks: { deletePreviewStacks: async () => undefined },
    logger,
  });
  return handle;
}

let handle: ReturnType<typeof prHandler>;

/** Delivers the events CONCURRENT_INVOCATIONS at a time; an event whose invocation fails is delivered again. */
async function deliverAll(events: readonly PullRequestEvent[]): Promise<PrPipelinesResult[]> {
  return mapWithConcurrency(events, CONCURRENT_INVOCATIONS, async (event) => {
    const bus = busEvent(DETAIL_TYPES.pullRequest, event, randomUUID());
    for (let delivery = 1; ; delivery++) {
      try {
        return await handle(bus);
      } catch (error) {
        if (delivery >= MAX_DELIVERIES) throw new Error(`#${event.number} of ${event.repository} would be dead-lettered: ${String(error)}`);
      }
    }
  });
}

const repositoryOf = (number: number) => (number % 2 === 1 ? SHOP : LEDGER);
const updatedAt = (number: number, minute: number) => new Date(Date.UTC(2026, 11, 2, 9, minute, number)).toISOString();

function pullRequest(number: number, action: string, minute: number): PullRequestEvent {
  const repository = repositoryOf(number);
  return {
    deliveryId: randomUUID(),
    repository,
    number,
    action,
    headRef: `bot/bump-${number}`,
    headSha: commit(`cap-${number}`),
    headRepository: repository,
    baseRef: "main",
    updatedAt: updatedAt(number, minute),
    fromFork: false,
    draft: false,
    merged: false,
    labels: [],
    htmlUrl: `https://github.com/${repository}/pull/${number}`,
  };
}

/** The pull request on the fake GitHub of its repository, as its REST API answers. */
function publishOnGitHub(event: PullRequestEvent, state: "open" | "closed"): void {
  fakeOf(event.repository).addPull({
    number: event.number,
    state,
    draft: false,
    merged: false,
    updated_at: event.updatedAt,
    labels: [],
    head: { ref: event.headRef, sha: event.headSha, repo: { full_name: event.repository } },
    base: { ref: "main", repo: { full_name: event.repository } },
  });
}

async function prPipelineNames(): Promise<string[]> {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await world.codepipeline.send(new ListPipelinesCommand({ nextToken }));
    names.push(...(page.pipelines ?? []).map((pipeline) => pipeline.name as string));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return names.filter((name) => /-pr-\d+$/.test(name)).sort();
}

const prPipelineOf = (number: number) => `${repositoryOf(number) === SHOP ? "pipewright-orders" : "pipewright-ledger-api"}-pr-${number}`;
const capacityStatuses = (state: string) =>
  [shopGitHub, ledgerGitHub].flatMap((fake) => fake.statuses()).filter((status) => status.context === CAPACITY_CONTEXT && status.state === state);

describe("a call still throttled after the client's last attempt", () => {
  test("fails the invocation; the redelivery finishes it, and the pipeline is counted once", async () => {
    const once = inAccount(new CodePipelineClient({ ...emulatorClientConfig(emulator()), maxAttempts: 1 }), BUILD_ACCOUNT);
    const clients = world.clients();
    const capacity = new DynamoCapacityLedger(clients.dynamodb, STATE_TABLE);
    const strict = makePrHandler({
      config: parseConfig(
        { PR_STATE_TABLE: STATE_TABLE, PR_IDENTITIES: JSON.stringify(world.identities), PROD_ACCOUNT_ID: PROD_ACCOUNT, MAX_PR_PIPELINES: "1000" },
        catalog,
      ),
      pipelines: new CodePipelineGateway(once),
      artifacts: new S3ArtifactGateway(clients.s3),
      state: new DynamoPrStateStore(clients.dynamodb, STATE_TABLE),
      capacity,
      previewStacks: { deletePreviewStacks: async () => undefined },
      logger,
    });
    try {
      const event = busEvent(DETAIL_TYPES.pullRequest, pullRequest(901, "opened", 0), randomUUID());
      const before = inUse(await capacity.read());
      await setFaults(emulator(), { service: "codepipeline", actions: ["CreatePipeline"], share: 1 });
      await expect(strict(event)).rejects.toThrow(
        /CreatePipeline for pipeline "pipewright-orders-pr-901" .* failed: ThrottlingException: Rate exceeded/,
      );
      expect(await clearFaults(emulator())).toEqual({ CreatePipeline: 1 });
      expect(inUse(await capacity.read())).toBe(before + 1);
      await expect(strict(event)).resolves.toMatchObject({ outcome: "ran", runs: [{ prPipeline: "pipewright-orders-pr-901", created: true }] });
      expect(inUse(await capacity.read())).toBe(before + 1);
      // Closed, it gives its pipeline back.
      await expect(strict(busEvent(DETAIL_TYPES.pullRequest, pullRequest(901, "closed", 1), randomUUID()))).resolves.toMatchObject({
        outcome: "deleted",
        capacity: { kind: "released", pipelines: 1 },
      });
      expect(inUse(await capacity.read())).toBe(before);
    } finally {
      once.destroy();
    }
  });
});

describe(`a burst of ${BURST} pull requests over two repositories, a cap of ${CAP}, ${MUTATING.length} mutating CodePipeline actions throttled`, () => {
  const opened = Array.from({ length: BURST }, (_, index) => pullRequest(index + 1, "opened", 0));
  let granted: number[] = [];
  let waiting: number[] = [];

  beforeAll(() => {
    handle = prHandler();
  });

  test("exactly the pull requests that fit get pipelines; the others wait, with a pending status that says why", async () => {
    for (const event of opened) publishOnGitHub(event, "open");
    await setFaults(emulator(), { service: "codepipeline", actions: MUTATING, share: 0.3 });
    const results = await deliverAll(opened);
    const throttled = await clearFaults(emulator());

    // The emulator throttled calls, and the functions' retries got through them: no pull request was lost.
    expect(Object.values(throttled).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0);
    granted = opened.filter((_, index) => results[index]?.outcome === "ran").map((event) => event.number);
    waiting = opened.filter((_, index) => results[index]?.outcome === "waiting").map((event) => event.number);
    expect(granted).toHaveLength(CAP);
    expect(waiting).toHaveLength(BURST - CAP);

    // Exactly the granted pull requests have pipelines, one each.
    expect(await prPipelineNames()).toEqual(granted.map(prPipelineOf).sort());
    const ledger = await new DynamoCapacityLedger(world.dynamodb, STATE_TABLE).read();
    expect(inUse(ledger)).toBe(CAP);
    expect([...ledger.waiting.keys()].sort()).toEqual(waiting.map((number) => ledgerKey(repositoryOf(number), number)).sort());

    // Each waiting pull request's head shows why, on its own repository.
    const pending = capacityStatuses("pending");
    expect(pending.map((status) => status.sha).sort()).toEqual(waiting.map((number) => commit(`cap-${number}`)).sort());
    for (const status of pending) {
      expect(status.description).toMatch(
        new RegExp(`^Waiting: ${CAP} of ${CAP} pull request pipelines in use \\(the cap\\)\\. Created when others close`),
      );
    }
    expect(ledgerGitHub.statuses().length + shopGitHub.statuses().length).toBe(BURST - CAP);
  });

  test(`${CLOSED} pull requests with pipelines close; the reconciler hands their room to the waiting ones: nothing lost, nothing twice`, async () => {
    const closing = granted.slice(0, CLOSED).map((number) => ({ ...pullRequest(number, "closed", 5) }));
    for (const event of closing) publishOnGitHub(event, "closed");
    await setFaults(emulator(), { service: "codepipeline", actions: MUTATING, share: 0.3 });
    const closed = await deliverAll(closing);
    expect(closed.map((result) => result.outcome)).toEqual(Array.from({ length: CLOSED }, () => "deleted"));
    const capacity = new DynamoCapacityLedger(world.dynamodb, STATE_TABLE);
    expect(inUse(await capacity.read())).toBe(CAP - CLOSED);

    const published: BusEvent[] = [];
    const reconcile = makeReconciler({
      config: {
        repositories: catalog,
        stateTable: STATE_TABLE,
        maxPullRequestPipelines: CAP,
        eventBusName: "pipewright-github",
        artifactBucket: PR_ARTIFACT_BUCKET,
        previewCleanupRoleArn: "arn:aws:iam::222222222222:role/pipewright-preview-cleanup",
        githubApiUrl: shopGitHub.url,
        idleDays: 0,
        createMissing: false,
        dryRun: false,
      },
      inventory: new CodePipelineInventory(codepipeline, {
        repositories: catalog,
        arnPrefix: async () => `arn:aws:codepipeline:${REGION}:${BUILD_ACCOUNT}:`,
      }),
      github: () => {
        const budget = new GitHubBudget(60_000);
        return async (repository) => {
          const client = await gitHubClient(repository);
          return client === undefined ? undefined : new GitHubPullRequests({ repository, client, budget });
        };
      },
      publisher: { publish: async (event) => void published.push(event) },
      pipelines: new CodePipelineGateway(codepipeline),
      artifacts: new S3ArtifactGateway(world.s3),
      previewStacks: { deletePreviewStacks: async () => undefined },
      capacity,
      logger,
    });
    const run = await reconcile();
    expect(run.summary).toMatchObject({ pickedUp: BURST - CAP, waiting: 0, closedRequested: 0, githubFailures: 0, awsFailures: 0 });
    // One open pull request listing per repository, and no question about single pull requests.
    expect(
      [shopGitHub, ledgerGitHub].map((fake) => fake.requests.filter((request) => request.method === "GET").map((request) => request.path)),
    ).toEqual([[`/repos/${SHOP}/pulls`], [`/repos/${LEDGER}/pulls`]]);

    // The bus delivers the pick-ups to pr-pipelines, while CodePipeline still throttles.
    const pickUps = published.map((event) => event.detail as PullRequestEvent);
    expect(pickUps.map((event) => event.number).sort((a, b) => a - b)).toEqual([...waiting].sort((a, b) => a - b));
    const results = await deliverAll(pickUps);
    await clearFaults(emulator());
    expect(results.map((result) => result.outcome === "ran" && result.waited === true)).toEqual(pickUps.map(() => true));

    // Every open pull request has its pipeline, exactly one, run once pinned to its head; the closed ones have none.
    const open = [...granted.slice(CLOSED), ...waiting];
    expect(await prPipelineNames()).toEqual(open.map(prPipelineOf).sort());
    const ledger = await capacity.read();
    expect(inUse(ledger)).toBe(open.length);
    expect(inUse(ledger)).toBe((await prPipelineNames()).length);
    expect(ledger.waiting.size).toBe(0);
    for (const number of open) {
      const pinned = (await executionsOf(world, prPipelineOf(number))).filter(
        (execution: PipelineExecutionSummary) => execution.trigger?.triggerType === "StartPipelineExecution",
      );
      expect(pinned.map((execution) => execution.sourceRevisions?.[0]?.revisionId)).toEqual([commit(`cap-${number}`)]);
    }
    expect(
      capacityStatuses("success")
        .map((status) => status.sha)
        .sort(),
    ).toEqual(waiting.map((number) => commit(`cap-${number}`)).sort());
  });
});
