/** The cap through the handler: reservations, the wait and its notices, the release, on the real adapters over stateful fakes. */
import { CodePipelineClient, CreatePipelineCommand } from "@aws-sdk/client-codepipeline";
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { CodePipelineGateway, S3ArtifactGateway } from "../../../functions/pr-pipelines/aws";
import { decideReservation, inUse, type Reservation } from "../../../functions/pr-pipelines/capacity";
import { CAPACITY_LEDGER_KEY, DynamoCapacityLedger } from "../../../functions/pr-pipelines/capacity-ledger";
import { waitingDescription, type CapacityNotices, type CapacityWait } from "../../../functions/pr-pipelines/capacity-notices";
import { makeHandler } from "../../../functions/pr-pipelines/handler";
import { DynamoPrStateStore } from "../../../functions/pr-pipelines/state";
import type { PullRequestEvent } from "../../../functions/shared/events";
import { FakeAws, REGION } from "./support/fake-aws";
import { busEvent, config, mainPipelineV2, memoryLogger, OTHER_REPOSITORY, pullRequest, REPOSITORY } from "./support/fixtures";

let aws: FakeAws;
beforeEach(() => {
  aws = new FakeAws(config.stateTable);
  aws.addPipeline(mainPipelineV2("orders"));
  aws.addPipeline(mainPipelineV2("payments"));
  const ledgerApi = mainPipelineV2("ledger-api");
  for (const action of ledgerApi.stages?.[0]?.actions ?? []) {
    if (action.configuration !== undefined) action.configuration.FullRepositoryId = OTHER_REPOSITORY;
  }
  aws.addPipeline(ledgerApi);
});
afterEach(() => aws.restore());

const ledger = () => new DynamoCapacityLedger(new DynamoDBClient({ region: REGION }), config.stateTable);

function setup(limit: number) {
  const notices: string[] = [];
  // A second passes between events: the queue is ordered by when each began to wait.
  let clock = Date.parse("2025-05-01T10:00:05Z");
  const capacityNotices: CapacityNotices = {
    async waiting(pr: PullRequestEvent, wait: CapacityWait) {
      notices.push(`waiting ${pr.repository}#${pr.number}: ${waitingDescription(wait)}`);
    },
    async granted(pr: PullRequestEvent) {
      notices.push(`granted ${pr.repository}#${pr.number}`);
    },
  };
  const handle = makeHandler({
    config: { ...config, maxPullRequestPipelines: limit },
    pipelines: new CodePipelineGateway(new CodePipelineClient({ region: REGION })),
    artifacts: new S3ArtifactGateway(new S3Client({ region: REGION })),
    state: new DynamoPrStateStore(new DynamoDBClient({ region: REGION }), config.stateTable),
    capacity: ledger(),
    capacityNotices,
    previewStacks: { deletePreviewStacks: async () => undefined },
    logger: memoryLogger(),
    now: () => new Date((clock += 1000)),
  });
  return { notices, deliver: (detail: PullRequestEvent) => handle(busEvent(detail)) };
}

const shop = (number: number, action: string, updatedAt = "2025-05-01T10:00:00Z") => pullRequest({ number, action, updatedAt });
const other = (number: number, action: string, updatedAt = "2025-05-01T10:00:00Z") =>
  pullRequest({ repository: OTHER_REPOSITORY, headRepository: OTHER_REPOSITORY, number, action, updatedAt });
const created = () => aws.sent(CreatePipelineCommand).map((input) => input.pipeline?.name);

describe("the cap", () => {
  it("gives pipelines while they fit, makes the rest wait with a notice, and hands the room of a closed pull request on", async () => {
    const { deliver, notices } = setup(3);
    await expect(deliver(shop(1, "opened"))).resolves.toMatchObject({ outcome: "ran" });
    await expect(deliver(other(2, "opened"))).resolves.toMatchObject({ outcome: "ran" });
    await expect(deliver(shop(3, "opened"))).resolves.toMatchObject({
      outcome: "waiting",
      wait: { kind: "waiting", inUse: 3, limit: 3, needed: 2, ahead: 0 },
    });
    // A redelivery of the waiting pull request waits again, in the same place.
    await expect(deliver(shop(3, "opened"))).resolves.toMatchObject({ outcome: "waiting", wait: { ahead: 0 } });
    await expect(deliver(other(4, "opened"))).resolves.toMatchObject({ outcome: "waiting", wait: { ahead: 1 } });
    expect(created()).toEqual(["pipewright-orders-pr-1", "pipewright-payments-pr-1", "pipewright-ledger-api-pr-2"]);
    expect(aws.table.get(`PR#${REPOSITORY}#3`)?.phase).toEqual({ S: "waiting" });
    expect(notices).toEqual([
      `waiting ${REPOSITORY}#3: Waiting: 3 of 3 pull request pipelines in use (the cap). Created when others close (first in line)`,
      `waiting ${REPOSITORY}#3: Waiting: 3 of 3 pull request pipelines in use (the cap). Created when others close (first in line)`,
      `waiting ${OTHER_REPOSITORY}#4: Waiting: 3 of 3 pull request pipelines in use (the cap). Created when others close (1 ahead)`,
    ]);

    await expect(deliver(shop(1, "closed", "2025-05-01T10:05:00Z"))).resolves.toMatchObject({
      outcome: "deleted",
      capacity: { kind: "released", pipelines: 2 },
    });
    // A new pull request does not overtake the waiting ones.
    await expect(deliver(other(5, "opened"))).resolves.toMatchObject({ outcome: "waiting", wait: { inUse: 1, ahead: 2 } });
    // The reconciler's event for the oldest: the same change of the pull request, now with room.
    await expect(deliver(shop(3, "reopened"))).resolves.toMatchObject({ outcome: "ran", waited: true });
    expect(notices.at(-1)).toBe(`granted ${REPOSITORY}#3`);
    expect(created().slice(3)).toEqual(["pipewright-orders-pr-3", "pipewright-payments-pr-3"]);

    // A waiting pull request that closes leaves the queue; nothing of it is deleted.
    await expect(deliver(other(4, "closed", "2025-05-01T10:06:00Z"))).resolves.toMatchObject({
      capacity: { kind: "released", pipelines: 0, wasWaiting: true },
    });
    const after = await ledger().read();
    expect(inUse(after)).toBe(3);
    expect([...after.waiting.keys()]).toEqual([`${OTHER_REPOSITORY}#5`]);
    expect(aws.table.get(CAPACITY_LEDGER_KEY)?.used).toEqual({ N: "3" });
  });

  it("refuses a pull request with more pipelines than the cap, saying what to raise", async () => {
    const { deliver, notices } = setup(1);
    await expect(deliver(shop(1, "opened"))).resolves.toMatchObject({ outcome: "waiting", wait: { kind: "too-large", needed: 2, limit: 1 } });
    expect(notices).toEqual([
      `waiting ${REPOSITORY}#1: Needs 2 pipelines, more than the cap of 1 pull request pipelines; raise limits.maxPullRequestPipelines`,
    ]);
    expect((await ledger().read()).waiting.size).toBe(0);
  });

  it("drops, without retry, an event of a repository that is not configured", async () => {
    const { deliver } = setup(3);
    await expect(deliver(pullRequest({ repository: "someone/else", headRepository: "someone/else" }))).resolves.toEqual({
      outcome: "skipped",
      reason: expect.stringContaining("repository someone/else is not configured"),
    });
    expect(aws.sent(UpdateItemCommand)).toEqual([]);
  });
});

describe("DynamoCapacityLedger", () => {
  it("decides again on the item that refused its write, so two writers at once are both counted", async () => {
    const reserve = (key: string) => (current: Parameters<typeof decideReservation>[0]) =>
      decideReservation(current, { key, pipelines: 1, updatedAt: 1, now: 1, limit: 2 });
    const outcomes: Reservation[] = await Promise.all([ledger().update(reserve("a/b#1")), ledger().update(reserve("a/b#2"))]);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(["reserved", "reserved"]);
    expect(aws.sent(GetItemCommand)).toHaveLength(2);
    expect(aws.sent(UpdateItemCommand)).toHaveLength(3);
    const stored = await ledger().read();
    expect({ version: stored.version, used: inUse(stored) }).toEqual({ version: 2, used: 2 });
  });
});
