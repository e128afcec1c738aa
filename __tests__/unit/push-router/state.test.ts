import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateItemCommand,
  type AttributeValue,
} from "@aws-sdk/client-dynamodb";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { ORDER_CONDITION, type OrderedPush } from "../../../functions/push-router/order";
import { DynamoPushOrderStore, PushStateError } from "../../../functions/push-router/state";
import { fakePushState, PUSH_STATE_TABLE, PUSHED_AT, sha } from "./fixtures";

const first: OrderedPush = { deliveryId: "delivery-1", before: sha("1"), after: sha("2"), pushedAt: PUSHED_AT };
const NOW_MS = 1_764_000_000_456;

describe("DynamoPushOrderStore against an in-memory table", () => {
  let state: ReturnType<typeof fakePushState>;
  beforeEach(() => (state = fakePushState(() => NOW_MS)));
  afterEach(() => state.restore());

  it("records the first push of a pipeline in one conditional UpdateItem that returns the stored item on refusal", async () => {
    await expect(state.store.claim("pw-api", first)).resolves.toEqual({ admitted: true });
    expect(state.table.get("pw-api")).toEqual({
      pipeline: { S: "pw-api" },
      pushedAt: { N: String(PUSHED_AT) },
      after: { S: first.after },
      before: { S: first.before },
      deliveryId: { S: "delivery-1" },
      startedAt: { N: String(NOW_MS) },
    });
    const calls = state.dynamodb.commandCalls(UpdateItemCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toMatchObject({
      TableName: PUSH_STATE_TABLE,
      Key: { pipeline: { S: "pw-api" } },
      ConditionExpression: ORDER_CONDITION,
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    });
  });

  it("keeps one item per pipeline", async () => {
    await state.store.claim("pw-api", first);
    await expect(state.store.claim("pw-web", { ...first, deliveryId: "delivery-0", pushedAt: PUSHED_AT - 10 })).resolves.toEqual({ admitted: true });
    expect(state.table.get("pw-api")?.deliveryId).toEqual({ S: "delivery-1" });
  });

  it("refuses an older push without a second read, names the reason and the stored push, and changes nothing", async () => {
    await state.store.claim("pw-api", first);
    const before = structuredClone(state.table.get("pw-api"));
    const older: OrderedPush = { deliveryId: "delivery-0", before: sha("0"), after: sha("1"), pushedAt: PUSHED_AT - 1 };
    await expect(state.store.claim("pw-api", older)).resolves.toEqual({ admitted: false, reason: "older", newest: first });
    expect(state.table.get("pw-api")).toEqual(before);
    expect(state.dynamodb.calls()).toHaveLength(2);
  });

  it("lets a retry of the same delivery through, and refuses its replay under a new delivery id", async () => {
    await state.store.claim("pw-api", first);
    await expect(state.store.claim("pw-api", first)).resolves.toEqual({ admitted: true });
    await expect(state.store.claim("pw-api", { ...first, deliveryId: "replayed" })).resolves.toMatchObject({ admitted: false, reason: "replay" });
  });

  it("lets the next push of the chain in the same second through, and refuses an unchained one of that second", async () => {
    await state.store.claim("pw-api", first);
    const next: OrderedPush = { deliveryId: "delivery-2", before: first.after, after: sha("3"), pushedAt: PUSHED_AT };
    await expect(state.store.claim("pw-api", next)).resolves.toEqual({ admitted: true });
    await expect(state.store.claim("pw-api", { ...first, deliveryId: "late-1" })).resolves.toMatchObject({ admitted: false, reason: "ambiguous" });
    expect(state.table.get("pw-api")?.after).toEqual({ S: sha("3") });
  });
});

describe("DynamoPushOrderStore: answers it cannot use", () => {
  let dynamodb: AwsClientStub<DynamoDBClient>;
  const store = new DynamoPushOrderStore(new DynamoDBClient({ region: "eu-west-1" }), PUSH_STATE_TABLE);
  const refused = (Item?: Record<string, AttributeValue>) =>
    new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {}, ...(Item ? { Item } : {}) });
  beforeAll(() => (dynamodb = mockClient(DynamoDBClient)));
  beforeEach(() => dynamodb.reset());
  afterAll(() => dynamodb.restore());

  it("a refusal without the stored item is a PushStateError naming the table and pipeline", async () => {
    dynamodb.on(UpdateItemCommand).rejects(refused());
    const error = (await store.claim("pw-api", first).catch((e: unknown) => e)) as PushStateError;
    expect(error).toBeInstanceOf(PushStateError);
    expect(error.message).toMatch(/push state of pipeline pw-api in table pw-push-state .*returned no stored item.*Fix: /);
  });

  it("a stored item without the ordering attributes is a PushStateError listing what it has", async () => {
    dynamodb.on(UpdateItemCommand).rejects(refused({ pipeline: { S: "pw-api" }, pushedAt: { S: "yesterday" }, after: { S: sha("2") } }));
    await expect(store.claim("pw-api", first)).rejects.toThrow(
      /lacks pushedAt \(N\), after, before or deliveryId \(S\); it has after, pipeline, pushedAt/,
    );
  });

  it("a refusal the stored item contradicts (it admits the push) is a PushStateError, never a silent skip", async () => {
    const stored = {
      pipeline: { S: "pw-api" },
      pushedAt: { N: String(PUSHED_AT - 1) },
      after: { S: sha("1") },
      before: { S: sha("0") },
      deliveryId: { S: "d-0" },
    };
    dynamodb.on(UpdateItemCommand).rejects(refused(stored));
    await expect(store.claim("pw-api", first)).rejects.toThrow(/refused commit 2{40} .*although the stored push .*admits it/);
  });

  it("passes other DynamoDB errors on", async () => {
    dynamodb.on(UpdateItemCommand).rejects(new ResourceNotFoundException({ message: "Requested resource not found", $metadata: {} }));
    await expect(store.claim("pw-api", first)).rejects.toThrow(ResourceNotFoundException);
  });
});
