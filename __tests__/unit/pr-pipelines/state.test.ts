import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { PrClaim } from "../../../functions/pr-pipelines/gateways";
import { DynamoPrStateStore } from "../../../functions/pr-pipelines/state";
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
    await expect(store.claim(open)).resolves.toEqual({ claimed: false });
    expect(aws.table.get(KEY)?.phase).toEqual({ S: "done" });
  });

  it("orders changes by updatedAt: older ones are refused, newer ones win", async () => {
    await store.claim(claim({ updatedAt: 2_000, desired: "closed" }));
    await expect(store.claim(claim({ updatedAt: 1_000, desired: "open" }))).resolves.toEqual({ claimed: false });
    await expect(store.claim(claim({ updatedAt: 3_000, desired: "open" }))).resolves.toMatchObject({ claimed: true });
  });

  it("never reopens a closed pull request on a tie, and lets a close win a tie over an open", async () => {
    const close = claim({ updatedAt: 2_000, desired: "closed" });
    await store.claim(close);
    await expect(store.claim(claim({ updatedAt: 2_000, desired: "open" }))).resolves.toEqual({ claimed: false });
    await store.markDone(close, { clearPendingArtifacts: true });
    await expect(store.claim(claim({ updatedAt: 2_000, desired: "open" }))).resolves.toEqual({ claimed: false });

    const open = claim({ updatedAt: 5_000 });
    await store.claim(open);
    await store.markDone(open, { clearPendingArtifacts: false });
    await expect(store.claim(claim({ updatedAt: 5_000, desired: "closed" }))).resolves.toMatchObject({ claimed: true });
  });

  it("refuses a newer change that may not reopen once the pull request is closed", async () => {
    await store.claim(claim({ updatedAt: 2_000, desired: "closed" }));
    await expect(store.claim(claim({ updatedAt: 3_000, mayReopen: false }))).resolves.toEqual({ claimed: false });
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
