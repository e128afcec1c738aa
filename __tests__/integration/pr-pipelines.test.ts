/**
 * The pr-pipelines function against the AWS emulator: the real handler, the real adapters
 * (aws.ts, state.ts) and real SDK clients; CodePipeline, S3 and DynamoDB are the emulator's.
 * Events carry the bus contract (functions/shared/events.ts) as EventBridge delivers it.
 *
 * Each describe block uses pull request numbers of its own. Within a block the tests are the
 * steps of one story and run in order.
 */
import { randomUUID } from "node:crypto";
import { StartPipelineExecutionCommand, type ActionDeclaration, type PipelineDeclaration } from "@aws-sdk/client-codepipeline";
import { PutItemCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { CodePipelineGateway, S3ArtifactGateway } from "../../functions/pr-pipelines/aws";
import { DynamoCapacityLedger } from "../../functions/pr-pipelines/capacity-ledger";
import { parseConfig, type PrPipelinesConfig } from "../../functions/pr-pipelines/config";
import type { ForkApprovalNotices } from "../../functions/pr-pipelines/fork-approval";
import type { PrClaim } from "../../functions/pr-pipelines/gateways";
import { makeHandler, type PrPipelinesResult } from "../../functions/pr-pipelines/handler";
import type { PreviewStackCleanupRequest } from "../../functions/pr-pipelines/preview-stacks";
import { DynamoPrStateStore, orderingAllows } from "../../functions/pr-pipelines/state";
import { DETAIL_TYPES, type PullRequestEvent } from "../../functions/shared/events";
import { RepositoryCatalog } from "../../functions/shared/repositories";
import { useEmulator } from "../support/emulator";
import {
  ARTIFACT_BUCKET,
  PR_ARTIFACT_BUCKET,
  PR_PIPELINE_ROLE_ARN,
  artifactKeysOf,
  bucketVersions,
  busEvent,
  commit,
  CONNECTION_ARN,
  createWorld,
  DEV_ACCOUNT,
  executionDetail,
  executionsOf,
  FORK_LABEL,
  getPipeline,
  keyOfVersion,
  MAIN_PIPELINES,
  pipelineNames,
  PROD_ACCOUNT,
  recordingLogger,
  REPOSITORY,
  SERVICES,
  SOURCE_ACTION,
  sourceRevision,
  STATE_TABLE,
  stateItem,
  tagsOf,
  type World,
} from "./support/pipewright-world";

const emulator = useEmulator();
let world: World;
const logger = recordingLogger();
const previewCleanups: PreviewStackCleanupRequest[] = [];

let config: PrPipelinesConfig;

beforeAll(async () => {
  world = await createWorld(emulator());
  config = parseConfig(
    { PR_STATE_TABLE: STATE_TABLE, PR_IDENTITIES: JSON.stringify(world.identities), PROD_ACCOUNT_ID: PROD_ACCOUNT, MAX_PR_PIPELINES: "300" },
    RepositoryCatalog.from({
      repositories: [
        {
          repository: REPOSITORY,
          mainBranch: "main",
          forkLabel: FORK_LABEL,
          services: SERVICES.map((service, index) => ({ name: service, pipeline: MAIN_PIPELINES[index], include: [`services/${service}/**`] })),
        },
      ],
    }),
  );
});
afterAll(() => world?.destroy());

type Clients = ReturnType<World["clients"]>;

/** The handler as the Lambda builds it, with its own SDK clients pointed at the emulator. */
function prHandler(clients: Clients = world.clients(), forkApproval?: ForkApprovalNotices, handlerConfig: PrPipelinesConfig = config) {
  const handle = makeHandler({
    ...(forkApproval === undefined ? {} : { forkApproval }),
    config: handlerConfig,
    pipelines: new CodePipelineGateway(clients.codepipeline),
    artifacts: new S3ArtifactGateway(clients.s3),
    state: new DynamoPrStateStore(clients.dynamodb, STATE_TABLE),
    capacity: new DynamoCapacityLedger(clients.dynamodb, STATE_TABLE),
    previewStacks: {
      async deletePreviewStacks(request) {
        previewCleanups.push(request);
      },
    },
    logger,
  });
  return (detail: PullRequestEvent): Promise<PrPipelinesResult> => handle(busEvent(DETAIL_TYPES.pullRequest, detail, randomUUID()));
}

let deliver: ReturnType<typeof prHandler>;
beforeAll(() => {
  deliver = prHandler();
});

/** GitHub's updated_at, `minute` minutes after a fixed start. */
function at(minute: number): string {
  return new Date(Date.UTC(2025, 2, 1, 10, minute, 0)).toISOString().replace(".000Z", "Z");
}

/** A new delivery (its own X-GitHub-Delivery) of a pull_request event. */
function pullRequest(number: number, action: string, minute: number, overrides: Partial<PullRequestEvent> = {}): PullRequestEvent {
  return {
    deliveryId: randomUUID(),
    repository: REPOSITORY,
    number,
    action,
    headRef: "feature/checkout-v2",
    headSha: commit(`pr-${number}-head-1`),
    headRepository: REPOSITORY,
    baseRef: "main",
    updatedAt: at(minute),
    fromFork: false,
    draft: false,
    merged: false,
    labels: [],
    ...overrides,
  };
}

const prPipelinesOf = (number: number): string[] => MAIN_PIPELINES.map((base) => `${base}-pr-${number}`);

function actionsOf(declaration: PipelineDeclaration): ActionDeclaration[] {
  return (declaration.stages ?? []).flatMap((stage) => stage.actions ?? []);
}

/** Everything a duplicate delivery must leave alone: pipelines, their executions, tags, and the bucket. */
async function snapshot() {
  const pipelines: Record<string, unknown> = {};
  for (const name of await pipelineNames(world)) {
    const found = await getPipeline(world, name);
    pipelines[name] = {
      version: found?.declaration.version,
      tags: found ? await tagsOf(world, found.arn) : undefined,
      executions: (await executionsOf(world, name)).map((e) => `${e.pipelineExecutionId}:${e.status}:${sourceRevision(e)}`),
    };
  }
  return { pipelines, artifacts: await bucketVersions(world) };
}

/** Asserts one pull request pipeline runs exactly `headSha`: one running execution, pinned, and nothing else running. */
async function expectRunningOnlyAt(name: string, headSha: string): Promise<string> {
  const executions = await executionsOf(world, name);
  const running = executions.filter((execution) => execution.status === "InProgress");
  expect(running).toHaveLength(1);
  const [pinned] = running;
  expect(pinned).toMatchObject({ trigger: { triggerType: "StartPipelineExecution" }, executionMode: "SUPERSEDED" });
  expect(pinned?.sourceRevisions).toEqual([{ actionName: SOURCE_ACTION, revisionId: headSha }]);
  const detail = await executionDetail(world, name, pinned?.pipelineExecutionId as string);
  expect(detail.artifactRevisions).toEqual([expect.objectContaining({ name: "SourceArtifact", revisionId: headSha })]);
  return pinned?.pipelineExecutionId as string;
}

/** The unpinned execution CreatePipeline started by itself: abandoned. */
async function expectAutomaticRunAbandoned(name: string): Promise<string> {
  const automatic = (await executionsOf(world, name)).filter((execution) => execution.trigger?.triggerType === "CreatePipeline");
  expect(automatic).toHaveLength(1);
  expect(automatic[0]).toMatchObject({ status: "Stopped", stopTrigger: { reason: expect.stringContaining("pinned to") } });
  return automatic[0]?.pipelineExecutionId as string;
}

/** Makes one call of `commandName` by `client` do `before` first (e.g. fail, or let a twin delivery finish). */
function beforeFirst(client: Clients[keyof Clients], commandName: string, before: () => Promise<void>): void {
  let fired = false;
  (client.middlewareStack as unknown as InitializeStack).add(
    (next, context) => async (args) => {
      if (context.commandName === commandName && !fired) {
        fired = true;
        await before();
      }
      return next(args);
    },
    { step: "initialize", name: `pipewrightTest${commandName}`, override: true },
  );
}
type InitializeHandler = (args: unknown) => Promise<unknown>;
interface InitializeStack {
  add(
    middleware: (next: InitializeHandler, context: { commandName?: string }) => InitializeHandler,
    options: { step: "initialize"; name: string; override: boolean },
  ): void;
}

function serviceUnavailable(): Promise<void> {
  return Promise.reject(Object.assign(new Error("Service is unavailable, try again"), { name: "ServiceUnavailableException" }));
}

describe("a pull request's whole life: opened, synchronize, closed, reopened", () => {
  const NUMBER = 12;
  /** Shares the 20-character artifact folder with pull request 12 (`pipewright-orders-pr/`). */
  const NEIGHBOUR = 123;
  const HEAD_1 = commit("pr-12-head-1");
  const HEAD_2 = commit("pr-12-head-2");
  const opened = pullRequest(NUMBER, "opened", 0, { headSha: HEAD_1 });
  const synchronize = pullRequest(NUMBER, "synchronize", 5, { headSha: HEAD_2 });
  const closed = pullRequest(NUMBER, "closed", 20, { headSha: HEAD_2, merged: true });
  const runIds: Record<string, string[]> = {};

  test("opened: each service pipeline is cloned without prod, for the head branch, and runs once, pinned to the head commit", async () => {
    const result = await deliver(opened);

    expect(result.outcome).toBe("ran");
    const runs = result.outcome === "ran" ? result.runs : [];
    expect(runs.map((run) => [run.prPipeline, run.created])).toEqual(prPipelinesOf(NUMBER).map((name) => [name, true]));

    for (const [index, name] of prPipelinesOf(NUMBER).entries()) {
      const base = MAIN_PIPELINES[index] as string;
      const found = await getPipeline(world, name);
      expect(found).toBeDefined();
      const declaration = found?.declaration as PipelineDeclaration;
      expect(declaration).toMatchObject({
        name,
        pipelineType: "V2",
        executionMode: "SUPERSEDED",
        roleArn: PR_PIPELINE_ROLE_ARN,
        artifactStore: { type: "S3", location: PR_ARTIFACT_BUCKET, encryptionKey: { id: world.prArtifactKeyArn, type: "KMS" } },
      });
      expect(declaration.stages?.map((stage) => stage.name)).toEqual(["Source", "Build", "Dev"]);
      expect(actionsOf(declaration).filter((action) => action.actionTypeId?.category === "Approval")).toEqual([]);
      expect(JSON.stringify(declaration)).not.toContain(PROD_ACCOUNT);

      const source = actionsOf(declaration).find((action) => action.name === SOURCE_ACTION);
      expect(source?.configuration).toEqual({
        ConnectionArn: CONNECTION_ARN,
        FullRepositoryId: REPOSITORY,
        BranchName: "feature/checkout-v2",
        OutputArtifactFormat: "CODE_ZIP",
        DetectChanges: "false",
      });
      const dev = declaration.stages?.find((stage) => stage.name === "Dev")?.actions ?? [];
      expect(dev.map((action) => [action.name, action.configuration?.StackName, action.roleArn])).toEqual([
        ["CreateChangeSet", `${base}-pr-${NUMBER}`, `arn:aws:iam::${DEV_ACCOUNT}:role/pipewright-preview-deploy`],
        ["ExecuteChangeSet", `${base}-pr-${NUMBER}`, `arn:aws:iam::${DEV_ACCOUNT}:role/pipewright-preview-deploy`],
      ]);

      expect(await tagsOf(world, found?.arn as string)).toEqual({
        "pipewright:repository": REPOSITORY,
        "pipewright:pull-request": String(NUMBER),
        "pipewright:head-sha": HEAD_1,
        "pipewright:base-pipeline": base,
        "pipewright:preview": "true",
      });

      const pinned = await expectRunningOnlyAt(name, HEAD_1);
      const automatic = await expectAutomaticRunAbandoned(name);
      expect(await executionsOf(world, name)).toHaveLength(2);
      expect(runs[index]).toMatchObject({ executionId: pinned, abandonedExecutionIds: [automatic] });
      runIds[name] = [pinned, automatic];
    }

    // The main pipelines are what they were: cloning copies, it does not modify.
    for (const base of MAIN_PIPELINES) {
      const main = (await getPipeline(world, base))?.declaration as PipelineDeclaration;
      expect(main.version).toBe(1);
      expect(main.stages?.map((stage) => stage.name)).toEqual(["Source", "Build", "Dev", "Prod"]);
      expect(actionsOf(main).find((action) => action.name === SOURCE_ACTION)?.configuration?.BranchName).toBe("main");
    }

    expect(await stateItem(world, `PR#${REPOSITORY}#${NUMBER}`)).toMatchObject({
      desired: { S: "open" },
      phase: { S: "done" },
      headSha: { S: HEAD_1 },
      deliveryId: { S: opened.deliveryId },
      updatedAt: { N: String(Date.parse(opened.updatedAt)) },
    });
  });

  test("a redelivered opened (same delivery, same updatedAt) changes nothing", async () => {
    const before = await snapshot();
    expect(await deliver(opened)).toMatchObject({ outcome: "stale" });
    expect(await snapshot()).toEqual(before);
  });

  test("synchronize: one new execution, pinned to the new head commit; the pipeline is not recreated", async () => {
    const result = await deliver(synchronize);

    expect(result.outcome).toBe("ran");
    const runs = result.outcome === "ran" ? result.runs : [];
    expect(runs.map((run) => [run.prPipeline, run.created, run.abandonedExecutionIds])).toEqual(
      prPipelinesOf(NUMBER).map((name) => [name, false, []]),
    );
    for (const [index, name] of prPipelinesOf(NUMBER).entries()) {
      const executions = await executionsOf(world, name);
      expect(executions).toHaveLength(3);
      const [newest, ...earlier] = executions;
      expect(earlier.map((execution) => execution.pipelineExecutionId)).toEqual(runIds[name]);
      expect(newest).toMatchObject({ status: "InProgress", trigger: { triggerType: "StartPipelineExecution" } });
      expect(sourceRevision(newest!)).toBe(HEAD_2);
      expect(runs[index]?.executionId).toBe(newest?.pipelineExecutionId);
      expect((await executionDetail(world, name, newest?.pipelineExecutionId as string)).artifactRevisions?.[0]?.revisionId).toBe(HEAD_2);
      runIds[name] = executions.map((execution) => execution.pipelineExecutionId as string);

      const found = await getPipeline(world, name);
      expect(found?.declaration.version).toBe(1);
      expect((await tagsOf(world, found?.arn as string))["pipewright:head-sha"]).toBe(HEAD_2);
    }
    expect(await stateItem(world, `PR#${REPOSITORY}#${NUMBER}`)).toMatchObject({ headSha: { S: HEAD_2 }, phase: { S: "done" } });
  });

  test("a redelivered synchronize changes nothing", async () => {
    const before = await snapshot();
    expect(await deliver(synchronize)).toMatchObject({ outcome: "stale" });
    expect(await snapshot()).toEqual(before);
  });

  test("closed: the pipelines go, and exactly their artifacts, every version, while a neighbour's and the main pipelines' stay", async () => {
    // A neighbouring pull request whose pipelines share the first 20 characters.
    expect(await deliver(pullRequest(NEIGHBOUR, "opened", 10, { headRef: "fix/rounding" }))).toMatchObject({ outcome: "ran" });
    // Artifacts of the main pipelines: their CreatePipeline runs plus one run each.
    for (const base of MAIN_PIPELINES) {
      await world.codepipeline.send(
        new StartPipelineExecutionCommand({
          name: base,
          sourceRevisions: [{ actionName: SOURCE_ACTION, revisionType: "COMMIT_ID", revisionValue: commit("main-head") }],
        }),
      );
    }

    const ours = (await Promise.all(prPipelinesOf(NUMBER).map((name) => artifactKeysOf(world, name)))).flat();
    const neighbours = (await Promise.all(prPipelinesOf(NEIGHBOUR).map((name) => artifactKeysOf(world, name)))).flat();
    const mains = (await Promise.all(MAIN_PIPELINES.map((name) => artifactKeysOf(world, name)))).flat();
    expect(ours).toHaveLength(6); // 2 pipelines x (automatic + 2 pinned runs)
    expect(neighbours).toHaveLength(4);
    expect(mains).toHaveLength(4);
    // The point of exact-key deletion: the folders are shared, so a prefix would take the neighbour's too.
    const folder = (key: string) => key.slice(0, key.indexOf("/"));
    expect(new Set(ours.map(folder))).toEqual(new Set(["pipewright-orders-pr", "pipewright-payments-"]));
    expect(new Set(neighbours.map(folder))).toEqual(new Set(["pipewright-orders-pr", "pipewright-payments-"]));

    // More versions of our keys: an overwritten artifact and a delete marker. And a longer key
    // that merely starts with one of ours, which must survive.
    const [overwritten, markedDeleted, extended] = ours as [string, string, string];
    await world.s3.send(new PutObjectCommand({ Bucket: PR_ARTIFACT_BUCKET, Key: overwritten, Body: "second version" }));
    await world.s3.send(new DeleteObjectCommand({ Bucket: PR_ARTIFACT_BUCKET, Key: markedDeleted }));
    await world.s3.send(new PutObjectCommand({ Bucket: PR_ARTIFACT_BUCKET, Key: `${extended}-longer`, Body: "not an artifact of #12" }));

    const before = await bucketVersions(world);
    const oursBefore = before.filter((entry) => ours.includes(keyOfVersion(entry)));
    expect(oursBefore).toHaveLength(8);
    previewCleanups.length = 0;

    const result = await deliver(closed);

    expect(result).toEqual({
      outcome: "deleted",
      deletions: prPipelinesOf(NUMBER).map((prPipeline) => ({ prPipeline, deleted: true, previewStacks: [prPipeline] })),
      deletedArtifactVersions: 8,
      capacity: { kind: "released", pipelines: 2, wasWaiting: false },
    });
    for (const name of prPipelinesOf(NUMBER)) expect(await getPipeline(world, name)).toBeUndefined();
    expect(await pipelineNames(world)).toEqual([...MAIN_PIPELINES, ...prPipelinesOf(NEIGHBOUR)].sort());
    expect(await bucketVersions(world)).toEqual(before.filter((entry) => !ours.includes(keyOfVersion(entry))));
    for (const key of [...neighbours, `${extended}-longer`]) {
      expect((await bucketVersions(world)).some((entry) => keyOfVersion(entry) === key)).toBe(true);
    }
    // Main's artifacts live in main's store, which the PR function cannot touch.
    const mainVersions = await bucketVersions(world, ARTIFACT_BUCKET);
    for (const key of mains) expect(mainVersions.some((entry) => keyOfVersion(entry) === key)).toBe(true);
    // The neighbour still runs, pinned to its own head.
    for (const name of prPipelinesOf(NEIGHBOUR)) await expectRunningOnlyAt(name, commit(`pr-${NEIGHBOUR}-head-1`));

    // Preview stacks are handed to the clean-up extension point, in the dev account.
    expect(previewCleanups.map((request) => [request.prPipeline, request.stacks.map((stack) => [stack.stackName, stack.actionRoleArn])])).toEqual(
      prPipelinesOf(NUMBER).map((name) => [name, [[name, `arn:aws:iam::${DEV_ACCOUNT}:role/pipewright-preview-deploy`]]]),
    );
    const state = await stateItem(world, `PR#${REPOSITORY}#${NUMBER}`);
    expect(state).toMatchObject({ desired: { S: "closed" }, phase: { S: "done" } });
    expect(state?.pendingArtifactKeys).toBeUndefined();
  });

  test("a redelivered closed changes nothing", async () => {
    const before = await snapshot();
    expect(await deliver(closed)).toMatchObject({ outcome: "stale" });
    expect(await snapshot()).toEqual(before);
  });

  test("late deliveries after the close do not bring the pipelines back", async () => {
    const before = await snapshot();
    // The original opened once more, a synchronize that was held up, and one newer than the close.
    expect(await deliver(opened)).toMatchObject({ outcome: "stale" });
    expect(await deliver(pullRequest(NUMBER, "synchronize", 15, { headSha: commit("pr-12-head-late") }))).toMatchObject({ outcome: "stale" });
    expect(await deliver(pullRequest(NUMBER, "synchronize", 25, { headSha: commit("pr-12-head-after-close") }))).toMatchObject({
      outcome: "stale",
    });
    expect(await snapshot()).toEqual(before);
    for (const name of prPipelinesOf(NUMBER)) expect(await getPipeline(world, name)).toBeUndefined();
  });

  test("reopened (newer than the close) clones the pipelines again, pinned to the head commit", async () => {
    const reopened = pullRequest(NUMBER, "reopened", 30, { headSha: HEAD_2 });
    expect(await deliver(reopened)).toMatchObject({ outcome: "ran" });
    for (const name of prPipelinesOf(NUMBER)) {
      await expectRunningOnlyAt(name, HEAD_2);
      await expectAutomaticRunAbandoned(name);
      // A new pipeline: the executions of the deleted one are gone with it.
      expect(await executionsOf(world, name)).toHaveLength(2);
    }
  });
});

describe("a service without previews (preview: false)", () => {
  const NUMBER = 60;
  const [ORDERS, PAYMENTS] = prPipelinesOf(NUMBER) as [string, string];
  let deliverPreviewless: ReturnType<typeof prHandler>;
  beforeAll(() => {
    const previewless = parseConfig(
      { PR_STATE_TABLE: STATE_TABLE, PR_IDENTITIES: JSON.stringify(world.identities), PROD_ACCOUNT_ID: PROD_ACCOUNT, MAX_PR_PIPELINES: "300" },
      RepositoryCatalog.from({
        repositories: [
          {
            repository: REPOSITORY,
            mainBranch: "main",
            forkLabel: FORK_LABEL,
            services: SERVICES.map((service, index) => ({
              name: service,
              pipeline: MAIN_PIPELINES[index],
              include: [`services/${service}/**`],
              ...(service === "payments" ? { preview: false } : {}),
            })),
          },
        ],
      }),
    );
    deliverPreviewless = prHandler(world.clients(), undefined, previewless);
  });

  test("opened: its pipeline builds and tests only, pinned to the head commit, beside a service with a preview", async () => {
    const head = commit(`pr-${NUMBER}-head-1`);
    expect(await deliverPreviewless(pullRequest(NUMBER, "opened", 0, { headSha: head }))).toMatchObject({ outcome: "ran" });

    const payments = (await getPipeline(world, PAYMENTS))?.declaration as PipelineDeclaration;
    expect(payments.stages?.map((stage) => stage.name)).toEqual(["Source", "Build"]);
    expect(actionsOf(payments).filter((action) => action.actionTypeId?.provider === "CloudFormation")).toEqual([]);
    expect(JSON.stringify(payments)).not.toContain(DEV_ACCOUNT);
    expect(payments.roleArn).toBe(PR_PIPELINE_ROLE_ARN);
    expect((await tagsOf(world, (await getPipeline(world, PAYMENTS))?.arn as string))["pipewright:preview"]).toBe("false");
    const orders = (await getPipeline(world, ORDERS))?.declaration as PipelineDeclaration;
    expect(orders.stages?.map((stage) => stage.name)).toEqual(["Source", "Build", "Dev"]);
    for (const name of [ORDERS, PAYMENTS]) {
      await expectRunningOnlyAt(name, head);
      await expectAutomaticRunAbandoned(name);
    }
    const started = logger.entries
      .filter((entry) => entry.message === "Started a pinned execution")
      .map((entry) => entry.attributes[0] as Record<string, unknown>)
      .find((attributes) => attributes.prPipeline === PAYMENTS);
    expect(started).toMatchObject({
      previewStacks: [],
      removedStages: [
        { name: "Dev", reason: "the service deploys no preview (preview: false)" },
        { name: "Prod", reason: expect.any(String) },
      ],
    });
  });

  test("closed: its pipeline and exactly its artifacts go, and no preview stack is asked for", async () => {
    const keys = await artifactKeysOf(world, PAYMENTS);
    expect(keys.length).toBeGreaterThan(0);
    previewCleanups.length = 0;

    expect(await deliverPreviewless(pullRequest(NUMBER, "closed", 5))).toMatchObject({
      outcome: "deleted",
      deletions: [
        { prPipeline: ORDERS, deleted: true, previewStacks: [ORDERS] },
        { prPipeline: PAYMENTS, deleted: true, previewStacks: [] },
      ],
    });
    for (const name of [ORDERS, PAYMENTS]) expect(await getPipeline(world, name)).toBeUndefined();
    expect((await bucketVersions(world)).filter((entry) => keys.includes(keyOfVersion(entry)))).toEqual([]);
    expect(previewCleanups.map((request) => request.prPipeline)).toEqual([ORDERS]);
  });
});

describe("reordered deliveries", () => {
  test("synchronize delivered before opened: the newest head runs, and the older opened is ignored", async () => {
    const NUMBER = 7;
    const first = pullRequest(NUMBER, "opened", 0, { headSha: commit("pr-7-head-1"), headRef: "feature/tax/eu" });
    const second = pullRequest(NUMBER, "synchronize", 3, { headSha: commit("pr-7-head-2"), headRef: "feature/tax/eu" });

    // A synchronize whose pipelines do not exist yet creates them (the opened may be lost).
    const result = await deliver(second);
    expect(result.outcome === "ran" && result.runs.map((run) => run.created)).toEqual([true, true]);
    expect(await deliver(first)).toMatchObject({ outcome: "stale" });

    for (const name of prPipelinesOf(NUMBER)) {
      await expectRunningOnlyAt(name, second.headSha);
      await expectAutomaticRunAbandoned(name);
      const executions = await executionsOf(world, name);
      expect(executions).toHaveLength(2);
      expect(executions.map(sourceRevision)).not.toContain(first.headSha);
      const found = await getPipeline(world, name);
      expect(actionsOf(found?.declaration as PipelineDeclaration)[0]?.configuration?.BranchName).toBe("feature/tax/eu");
      expect((await tagsOf(world, found?.arn as string))["pipewright:head-sha"]).toBe(second.headSha);
    }
    expect(await stateItem(world, `PR#${REPOSITORY}#${NUMBER}`)).toMatchObject({ headSha: { S: second.headSha }, desired: { S: "open" } });
  });

  test("closed delivered before opened: nothing is ever created", async () => {
    const NUMBER = 55;
    const opened = pullRequest(NUMBER, "opened", 0);
    const closed = pullRequest(NUMBER, "closed", 2);
    const versionsBefore = await bucketVersions(world);

    expect(await deliver(closed)).toEqual({
      outcome: "deleted",
      deletions: prPipelinesOf(NUMBER).map((prPipeline) => ({ prPipeline, deleted: false, previewStacks: [prPipeline] })),
      deletedArtifactVersions: 0,
      capacity: { kind: "released", pipelines: 0, wasWaiting: false },
    });
    expect(await deliver(opened)).toMatchObject({ outcome: "stale" });

    for (const name of prPipelinesOf(NUMBER)) expect(await getPipeline(world, name)).toBeUndefined();
    expect(await bucketVersions(world)).toEqual(versionsBefore);
    expect(await stateItem(world, `PR#${REPOSITORY}#${NUMBER}`)).toMatchObject({ desired: { S: "closed" }, phase: { S: "done" } });
  });
});

describe("pull requests from forks", () => {
  const NUMBER = 31;
  const fork = { fromFork: true, headRepository: "outside-contributor/shop", headRef: "patch/fix-typo", headSha: commit("pr-31-head") };

  test("without the label, opened and synchronize create nothing", async () => {
    const before = await snapshot();
    expect(await deliver(pullRequest(NUMBER, "opened", 0, fork))).toMatchObject({ outcome: "skipped", reason: expect.stringContaining(FORK_LABEL) });
    expect(await deliver(pullRequest(NUMBER, "synchronize", 1, fork))).toMatchObject({ outcome: "skipped" });
    expect(await deliver(pullRequest(NUMBER, "labeled", 2, { ...fork, labels: ["lgtm"], label: "lgtm" }))).toMatchObject({ outcome: "skipped" });
    expect(await snapshot()).toEqual(before);
    expect(await stateItem(world, `PR#${REPOSITORY}#${NUMBER}`)).toBeUndefined();
  });

  test("the label creates the pipelines, pinned to the fork's head commit; a redelivery of it changes nothing", async () => {
    const labeled = pullRequest(NUMBER, "labeled", 4, { ...fork, labels: ["lgtm", FORK_LABEL], label: FORK_LABEL });
    const result = await deliver(labeled);
    expect(result.outcome === "ran" && result.runs.map((run) => [run.prPipeline, run.created])).toEqual(
      prPipelinesOf(NUMBER).map((name) => [name, true]),
    );
    for (const name of prPipelinesOf(NUMBER)) {
      await expectRunningOnlyAt(name, fork.headSha);
      await expectAutomaticRunAbandoned(name);
      const declaration = (await getPipeline(world, name))?.declaration as PipelineDeclaration;
      expect(declaration.stages?.map((stage) => stage.name)).toEqual(["Source", "Build", "Dev"]);
      expect(actionsOf(declaration)[0]?.configuration).toMatchObject({ FullRepositoryId: REPOSITORY, BranchName: fork.headRef });
    }

    const before = await snapshot();
    expect(await deliver(labeled)).toMatchObject({ outcome: "stale" });
    expect(await snapshot()).toEqual(before);
    expect(await stateItem(world, `PR#${REPOSITORY}#${NUMBER}`)).toMatchObject({ approvedHeadSha: { S: fork.headSha } });
  });

  const PUSHED = commit("pr-31-head-pushed-after-label");
  const notices: Array<[string, string]> = [];
  let deliverFork: ReturnType<typeof prHandler>;
  beforeAll(() => {
    deliverFork = prHandler(world.clients(), {
      async awaiting(pr) {
        notices.push(["awaiting", pr.headSha]);
      },
      async approved(pr) {
        notices.push(["approved", pr.headSha]);
      },
    });
  });

  test("a push after the labeling runs nothing and leaves the state as it was: the new head awaits approval", async () => {
    const before = await snapshot();
    const state = await stateItem(world, `PR#${REPOSITORY}#${NUMBER}`);
    const pushed = pullRequest(NUMBER, "synchronize", 6, { ...fork, headSha: PUSHED, labels: ["lgtm", FORK_LABEL] });
    expect(await deliverFork(pushed)).toMatchObject({ outcome: "awaiting-approval" });
    expect(await snapshot()).toEqual(before);
    expect(await stateItem(world, `PR#${REPOSITORY}#${NUMBER}`)).toEqual(state);
    expect(notices).toEqual([["awaiting", PUSHED]]);
  });

  test("a late delivery of an older push is stale, not awaiting approval, and shows nothing", async () => {
    const late = pullRequest(NUMBER, "synchronize", 3, { ...fork, headSha: commit("pr-31-head-older-push"), labels: [FORK_LABEL] });
    expect(await deliverFork(late)).toMatchObject({ outcome: "stale" });
    expect(notices).toHaveLength(1);
  });

  test("labeling again approves and runs the new head; a run event at the approved head runs", async () => {
    const relabeled = pullRequest(NUMBER, "labeled", 8, { ...fork, headSha: PUSHED, labels: [FORK_LABEL], label: FORK_LABEL });
    expect(await deliverFork(relabeled)).toMatchObject({ outcome: "ran" });
    const newestRevisions = async () => Promise.all(prPipelinesOf(NUMBER).map(async (name) => sourceRevision((await executionsOf(world, name))[0]!)));
    expect(await newestRevisions()).toEqual([PUSHED, PUSHED]);
    expect(await stateItem(world, `PR#${REPOSITORY}#${NUMBER}`)).toMatchObject({ approvedHeadSha: { S: PUSHED }, headSha: { S: PUSHED } });

    const executions = (await executionsOf(world, prPipelinesOf(NUMBER)[0]!)).length;
    const ready = pullRequest(NUMBER, "ready_for_review", 9, { ...fork, headSha: PUSHED, labels: [FORK_LABEL] });
    expect(await deliverFork(ready)).toMatchObject({ outcome: "ran" });
    expect(await executionsOf(world, prPipelinesOf(NUMBER)[0]!)).toHaveLength(executions + 1);
    expect(await newestRevisions()).toEqual([PUSHED, PUSHED]);
    expect(notices).toEqual([
      ["awaiting", PUSHED],
      ["approved", PUSHED],
    ]);
  });
});

describe("the claim condition on the emulator's DynamoDB", () => {
  const APPROVED = commit("approved-head");
  const OTHER = commit("another-head");
  const stored = [
    undefined,
    ...[1, 2, 3].flatMap((updatedAt) =>
      (["open", "closed"] as const).flatMap((desired) => (["applying", "done"] as const).map((phase) => ({ updatedAt, desired, phase }))),
    ),
  ];
  const changes = [1, 2, 3].flatMap((updatedAt) =>
    (["open", "closed"] as const).flatMap((desired) => [true, false].map((mayReopen) => ({ updatedAt, desired, mayReopen }))),
  );

  test("refuses a fork's run event for the approval exactly when the ordering alone would let it in; stale otherwise", async () => {
    const store = new DynamoPrStateStore(world.dynamodb, STATE_TABLE);
    let number = 900;
    const mismatches: string[] = [];
    for (const item of stored) {
      for (const change of changes) {
        number += 1;
        const key = `PR#${REPOSITORY}#${number}`;
        let values: Record<string, AttributeValue> | undefined;
        if (item !== undefined) {
          values = {
            pk: { S: key },
            updatedAt: { N: String(item.updatedAt) },
            desired: { S: item.desired },
            phase: { S: item.phase },
            approvedHeadSha: { S: APPROVED },
          };
          await world.dynamodb.send(new PutItemCommand({ TableName: STATE_TABLE, Item: values }));
        }
        const claim: PrClaim = {
          key,
          repository: REPOSITORY,
          number,
          deliveryId: `delivery-${number}`,
          expiresAt: 2_000_000_000,
          headSha: OTHER,
          forkApproval: "require",
          ...change,
        };
        const expected = orderingAllows(values, change) ? "awaiting-approval" : "stale";
        const result = await store.claim(claim);
        if (result.claimed || result.refusal !== expected)
          mismatches.push(`${JSON.stringify(item)} ${JSON.stringify(change)}: ${JSON.stringify(result)}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe("retries after a failure part-way", () => {
  const NUMBER = 40;
  const opened = pullRequest(NUMBER, "opened", 0, { headSha: commit("pr-40-head") });
  const closed = pullRequest(NUMBER, "closed", 9);
  const [ORDERS, PAYMENTS] = prPipelinesOf(NUMBER) as [string, string];

  test("opened fails after CreatePipeline and StartPipelineExecution; the retry finishes with one pinned run", async () => {
    const failing = world.clients();
    beforeFirst(failing.codepipeline, "StopPipelineExecutionCommand", serviceUnavailable);
    await expect(prHandler(failing)(opened)).rejects.toMatchObject({ name: "PullRequestPipelineError" });

    // Half done. The pipelines are handled side by side, so both exist; the one whose
    // StopPipelineExecution failed runs twice (automatic and pinned).
    const statuses = await Promise.all(
      [ORDERS, PAYMENTS].map(async (name) => (await executionsOf(world, name)).map((execution) => execution.status)),
    );
    const failed = statuses.findIndex((list) => list.join() === "InProgress,InProgress");
    expect(failed).toBeGreaterThanOrEqual(0);
    const failedPipeline = [ORDERS, PAYMENTS][failed] as string;
    const pinnedBefore = (await executionsOf(world, failedPipeline)).find((execution) => sourceRevision(execution) === opened.headSha);
    expect(await stateItem(world, `PR#${REPOSITORY}#${NUMBER}`)).toMatchObject({ phase: { S: "applying" } });

    // EventBridge retries the same event: it finds both pipelines and creates neither again.
    const result = await deliver(opened);
    expect(result.outcome === "ran" && result.runs.map((run) => [run.prPipeline, run.created])).toEqual([
      [ORDERS, false],
      [PAYMENTS, false],
    ]);
    for (const name of [ORDERS, PAYMENTS]) {
      await expectRunningOnlyAt(name, opened.headSha);
      await expectAutomaticRunAbandoned(name);
      expect(await executionsOf(world, name)).toHaveLength(2);
    }
    // clientRequestToken: the retry's start returned the first attempt's execution.
    expect(await expectRunningOnlyAt(failedPipeline, opened.headSha)).toBe(pinnedBefore?.pipelineExecutionId);
    expect(await stateItem(world, `PR#${REPOSITORY}#${NUMBER}`)).toMatchObject({ phase: { S: "done" } });
  });

  test("closed fails after DeletePipeline; the retry deletes the artifacts it recorded", async () => {
    const keys = (await Promise.all([ORDERS, PAYMENTS].map((name) => artifactKeysOf(world, name)))).flat();
    expect(keys).toHaveLength(4);
    const failing = world.clients();
    beforeFirst(failing.s3, "DeleteObjectsCommand", serviceUnavailable);
    await expect(prHandler(failing)(closed)).rejects.toMatchObject({ name: "PullRequestPipelineError" });

    // The pipelines, and with them the executions that named the artifacts, are gone; the state item remembers the keys.
    for (const name of [ORDERS, PAYMENTS]) expect(await getPipeline(world, name)).toBeUndefined();
    const pending = await stateItem(world, `PR#${REPOSITORY}#${NUMBER}`);
    expect(pending).toMatchObject({ desired: { S: "closed" }, phase: { S: "applying" } });
    expect([...(pending?.pendingArtifactKeys?.SS ?? [])].sort()).toEqual([...keys].sort());
    expect((await bucketVersions(world)).filter((entry) => keys.includes(keyOfVersion(entry)))).toHaveLength(4);

    const result = await deliver(closed);
    expect(result).toMatchObject({ outcome: "deleted", deletedArtifactVersions: 4 });
    expect((await bucketVersions(world)).filter((entry) => keys.includes(keyOfVersion(entry)))).toEqual([]);
    const done = await stateItem(world, `PR#${REPOSITORY}#${NUMBER}`);
    expect(done).toMatchObject({ desired: { S: "closed" }, phase: { S: "done" } });
    expect(done?.pendingArtifactKeys).toBeUndefined();
  });
});

describe("two copies of one delivery at once", () => {
  test("the copy whose CreatePipeline finds the pipeline already created carries on: both succeed, one pinned run", async () => {
    const NUMBER = 41;
    const opened = pullRequest(NUMBER, "opened", 0, { headSha: commit("pr-41-head") });
    // Before copy A's first CreatePipeline goes out, copy B does all the work.
    const slow = world.clients();
    let twin: PrPipelinesResult | undefined;
    beforeFirst(slow.codepipeline, "CreatePipelineCommand", async () => {
      twin = await deliver(opened);
    });

    const result = await prHandler(slow)(opened);

    if (twin?.outcome !== "ran" || result.outcome !== "ran") throw new Error(`both copies should have run: ${twin?.outcome}, ${result.outcome}`);
    // Each pipeline was created by exactly one copy; copy A met at least one already there.
    for (const [index] of prPipelinesOf(NUMBER).entries()) {
      expect([twin.runs[index]?.created, result.runs[index]?.created].filter(Boolean)).toHaveLength(1);
    }
    expect(result.runs.some((run) => !run.created)).toBe(true);
    for (const [index, name] of prPipelinesOf(NUMBER).entries()) {
      const pinned = await expectRunningOnlyAt(name, opened.headSha);
      await expectAutomaticRunAbandoned(name);
      expect(await executionsOf(world, name)).toHaveLength(2);
      expect(result.outcome === "ran" && result.runs[index]?.executionId).toBe(pinned);
    }
  });
});
