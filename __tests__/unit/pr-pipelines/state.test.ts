import { DynamoDBClient, UpdateItemCommand, type UpdateItemCommandInput } from "@aws-sdk/client-dynamodb";
import fc from "fast-check";
import type { DesiredState, PrClaim } from "../../../functions/pr-pipelines/gateways";
import { DynamoPrStateStore, orderingAllows } from "../../../functions/pr-pipelines/state";
import { FakeAws } from "./support/fake-aws";

const TABLE = "pipewright-pr-state";
const KEY = "PR#example-org/shop#7";

function claim(overrides: Partial<PrClaim>): PrClaim {
  return {
    key: KEY,
    repository: "example-org/shop",
    number: 7,
    updatedAt: 1_000,
    desired: "open",
    mayReopen: true,
    headSha: "a".repeat(40),
    deliveryId: "delivery-1",
    expiresAt: 2_000_000_000,
    ...overrides,
  };
}

describe("DynamoPrStateStore (conditional writes on updatedAt)", () => {
  let aws: FakeAws;
  let store: DynamoPrStateStore;

  beforeEach(() => {
    aws = new FakeAws(TABLE);
    store = new DynamoPrStateStore(new DynamoDBClient({ region: "eu-west-1" }), TABLE);
  });
  afterEach(() => aws.restore());

  it("writes the item with epoch updatedAt, phase applying and the TTL", async () => {
    await expect(store.claim(claim({}))).resolves.toEqual({ claimed: true, resumed: false, pendingArtifactKeys: [] });
    expect(aws.table.get(KEY)).toMatchObject({
      updatedAt: { N: "1000" },
      desired: { S: "open" },
      phase: { S: "applying" },
      headSha: { S: "a".repeat(40) },
      deliveryId: { S: "delivery-1" },
      expiresAt: { N: "2000000000" },
    });
  });

  it("lets an unfinished change be claimed again (a retry), but not a finished one (a redelivery)", async () => {
    const open = claim({});
    await store.claim(open);
    await expect(store.claim(open)).resolves.toMatchObject({ claimed: true, resumed: true });
    await expect(store.markDone(open, { clearPendingArtifacts: false })).resolves.toBe(true);
    await expect(store.claim(open)).resolves.toEqual({ claimed: false, refusal: "stale" });
    expect(aws.table.get(KEY)?.phase).toEqual({ S: "done" });
  });

  it("orders changes by updatedAt: older ones are refused, newer ones win", async () => {
    await store.claim(claim({ updatedAt: 2_000, desired: "closed" }));
    await expect(store.claim(claim({ updatedAt: 1_000, desired: "open" }))).resolves.toEqual({ claimed: false, refusal: "stale" });
    await expect(store.claim(claim({ updatedAt: 3_000, desired: "open" }))).resolves.toMatchObject({ claimed: true });
  });

  it("never reopens a closed pull request on a tie, and lets a close win a tie over an open", async () => {
    const close = claim({ updatedAt: 2_000, desired: "closed" });
    await store.claim(close);
    await expect(store.claim(claim({ updatedAt: 2_000, desired: "open" }))).resolves.toEqual({ claimed: false, refusal: "stale" });
    await store.markDone(close, { clearPendingArtifacts: true });
    await expect(store.claim(claim({ updatedAt: 2_000, desired: "open" }))).resolves.toEqual({ claimed: false, refusal: "stale" });

    const open = claim({ updatedAt: 5_000 });
    await store.claim(open);
    await store.markDone(open, { clearPendingArtifacts: false });
    await expect(store.claim(claim({ updatedAt: 5_000, desired: "closed" }))).resolves.toMatchObject({ claimed: true });
  });

  it("refuses a newer change that may not reopen once the pull request is closed", async () => {
    await store.claim(claim({ updatedAt: 2_000, desired: "closed" }));
    await expect(store.claim(claim({ updatedAt: 3_000, mayReopen: false }))).resolves.toEqual({ claimed: false, refusal: "stale" });
    await expect(store.claim(claim({ updatedAt: 3_000, mayReopen: true }))).resolves.toMatchObject({ claimed: true });
  });

  it("keeps recorded artifact keys for a retry and forgets them when the close is done", async () => {
    const close = claim({ updatedAt: 2_000, desired: "closed" });
    await store.claim(close);
    await expect(store.recordPendingArtifacts(close, ["a/b/1", "a/b/2", "a/b/1"])).resolves.toBe(true);
    await expect(store.claim(close)).resolves.toEqual({ claimed: true, resumed: true, pendingArtifactKeys: ["a/b/1", "a/b/2"] });
    await store.markDone(close, { clearPendingArtifacts: true });
    expect(aws.table.get(KEY)).not.toHaveProperty("pendingArtifactKeys");
  });

  it("reports a change that a newer one took over", async () => {
    const old = claim({ updatedAt: 1_000 });
    await store.claim(old);
    await store.claim(claim({ updatedAt: 2_000, desired: "closed" }));
    await expect(store.recordPendingArtifacts(old, ["k"])).resolves.toBe(false);
    await expect(store.markDone(old, { clearPendingArtifacts: false })).resolves.toBe(false);
    expect(aws.table.get(KEY)?.phase).toEqual({ S: "applying" });
  });

  it("lets other DynamoDB failures through", async () => {
    const error = new Error("Throughput exceeds the current capacity");
    error.name = "ProvisionedThroughputExceededException";
    aws.failNext("UpdateItem", error);
    await expect(store.claim(claim({}))).rejects.toThrow("Throughput exceeds");
  });
});

describe("DynamoPrStateStore: the fork label approves one head commit", () => {
  const APPROVED = "a".repeat(40);
  const PUSHED = "b".repeat(40);
  let aws: FakeAws;
  let store: DynamoPrStateStore;

  beforeEach(() => {
    aws = new FakeAws(TABLE);
    store = new DynamoPrStateStore(new DynamoDBClient({ region: "eu-west-1" }), TABLE);
  });
  afterEach(() => aws.restore());

  async function labeled(updatedAt: number, headSha = APPROVED) {
    const change = claim({ updatedAt, headSha, mayReopen: false, forkApproval: "record" });
    await expect(store.claim(change)).resolves.toMatchObject({ claimed: true });
    await store.markDone(change, { clearPendingArtifacts: false });
  }

  it("records the head a labeled event carries as approved", async () => {
    await labeled(1_000);
    expect(aws.table.get(KEY)).toMatchObject({ approvedHeadSha: { S: APPROVED }, headSha: { S: APPROVED }, phase: { S: "done" } });
  });

  it("lets a fork's run event in at the approved head only, and leaves the state alone when refusing it", async () => {
    await labeled(1_000);
    const before = structuredClone(aws.table.get(KEY));
    await expect(store.claim(claim({ updatedAt: 2_000, headSha: PUSHED, mayReopen: false, forkApproval: "require" }))).resolves.toEqual({
      claimed: false,
      refusal: "awaiting-approval",
    });
    expect(aws.table.get(KEY)).toEqual(before);
    await expect(store.claim(claim({ updatedAt: 2_000, headSha: APPROVED, mayReopen: false, forkApproval: "require" }))).resolves.toMatchObject({
      claimed: true,
      resumed: false,
    });
  });

  it("checks the approval in the conditional write itself, asking for the refusing item instead of reading first", async () => {
    await store.claim(claim({ headSha: PUSHED, forkApproval: "require" }));
    const sent = aws.sent<UpdateItemCommandInput>(UpdateItemCommand);
    expect(aws.dynamodb.calls()).toHaveLength(1);
    expect(sent[0]?.ConditionExpression).toMatch(/\) AND #approvedHeadSha = :headSha$/);
    expect(sent[0]?.ReturnValuesOnConditionCheckFailure).toBe("ALL_OLD");
  });

  it("without any approval recorded, or any state, a fork's run event awaits approval", async () => {
    await expect(store.claim(claim({ forkApproval: "require" }))).resolves.toEqual({ claimed: false, refusal: "awaiting-approval" });
    expect(aws.table.get(KEY)).toBeUndefined();
    await store.claim(claim({ updatedAt: 1_000 }));
    await expect(store.claim(claim({ updatedAt: 2_000, forkApproval: "require" }))).resolves.toEqual({
      claimed: false,
      refusal: "awaiting-approval",
    });
  });

  it("still calls stale and duplicate deliveries stale, whatever their head", async () => {
    await labeled(2_000);
    for (const headSha of [APPROVED, PUSHED]) {
      await expect(store.claim(claim({ updatedAt: 1_000, headSha, mayReopen: false, forkApproval: "require" }))).resolves.toEqual({
        claimed: false,
        refusal: "stale",
      });
    }
    const push = claim({ updatedAt: 3_000, headSha: APPROVED, mayReopen: false, forkApproval: "require" });
    await store.claim(push);
    await store.markDone(push, { clearPendingArtifacts: false });
    await expect(store.claim(push)).resolves.toEqual({ claimed: false, refusal: "stale" });
    await expect(store.claim(claim({ updatedAt: 2_000, mayReopen: false, forkApproval: "record" }))).resolves.toEqual({
      claimed: false,
      refusal: "stale",
    });
  });

  it("keeps the approval through a close: reopening at the approved head runs, at another head awaits, and no fork event reopens by label", async () => {
    await labeled(1_000);
    const close = claim({ updatedAt: 2_000, desired: "closed" });
    await store.claim(close);
    await store.markDone(close, { clearPendingArtifacts: true });
    expect(aws.table.get(KEY)?.approvedHeadSha).toEqual({ S: APPROVED });
    await expect(store.claim(claim({ updatedAt: 3_000, mayReopen: false, forkApproval: "record" }))).resolves.toEqual({
      claimed: false,
      refusal: "stale",
    });
    await expect(store.claim(claim({ updatedAt: 3_000, headSha: PUSHED, forkApproval: "require" }))).resolves.toEqual({
      claimed: false,
      refusal: "awaiting-approval",
    });
    await expect(store.claim(claim({ updatedAt: 3_000, headSha: APPROVED, forkApproval: "require" }))).resolves.toMatchObject({ claimed: true });
  });

  it("a new label approves the new head", async () => {
    await labeled(1_000);
    await labeled(2_000, PUSHED);
    expect(aws.table.get(KEY)?.approvedHeadSha).toEqual({ S: PUSHED });
    await expect(store.claim(claim({ updatedAt: 3_000, headSha: PUSHED, mayReopen: false, forkApproval: "require" }))).resolves.toMatchObject({
      claimed: true,
    });
  });
});

describe("orderingAllows", () => {
  const stored = fc.option(
    fc.record({
      updatedAt: fc.integer({ min: 1, max: 3 }),
      desired: fc.constantFrom<DesiredState>("open", "closed"),
      phase: fc.constantFrom("applying", "done"),
    }),
    { nil: undefined },
  );
  const change = fc.record({
    updatedAt: fc.integer({ min: 1, max: 3 }),
    desired: fc.constantFrom<DesiredState>("open", "closed"),
    mayReopen: fc.boolean(),
  });

  it("is the claim condition's ordering, evaluated in code on the item that refused the write", async () => {
    const aws = new FakeAws(TABLE);
    const store = new DynamoPrStateStore(new DynamoDBClient({ region: "eu-west-1" }), TABLE);
    try {
      await fc.assert(
        fc.asyncProperty(stored, change, async (item, overrides) => {
          aws.table.items.clear();
          const values =
            item === undefined
              ? undefined
              : { pk: { S: KEY }, updatedAt: { N: String(item.updatedAt) }, desired: { S: item.desired }, phase: { S: item.phase } };
          if (values !== undefined) aws.table.items.set(KEY, structuredClone(values));
          const allowed = orderingAllows(values, overrides);
          expect((await store.claim(claim(overrides))).claimed).toBe(allowed);
        }),
        { numRuns: 300 },
      );
    } finally {
      aws.restore();
    }
  });
});
