/**
 * The emulator's shortcut for plain top-level SET/REMOVE/ADD updates
 * (sandbox/emulator/dynamodb_updates.py) must answer exactly as moto's full
 * UpdateItem does. The oracle: the same update plus a SET of one more attribute
 * through a function, which the shortcut refuses, so moto runs it; that
 * attribute is left out of the comparison.
 */
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import { emulatorClientConfig } from "../../sandbox/emulator";
import { runEmulatorPython, useEmulator } from "../support/emulator";

const TABLE = "pipewright-state";
const emulator = useEmulator();
let dynamodb: DynamoDBClient;

beforeAll(async () => {
  dynamodb = new DynamoDBClient(emulatorClientConfig(emulator()));
  await dynamodb.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "owner", AttributeType: "S" },
      ],
      GlobalSecondaryIndexes: [
        { IndexName: "by-owner", KeySchema: [{ AttributeName: "owner", KeyType: "HASH" }], Projection: { ProjectionType: "ALL" } },
      ],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
});

afterAll(() => dynamodb?.destroy());

type Update = Omit<UpdateItemCommandInput, "TableName" | "Key" | "UpdateExpression"> & { UpdateExpression: string };

interface Outcome {
  answer?: Record<string, unknown>;
  error?: { name: string; message: string; item?: unknown };
  stored?: Record<string, AttributeValue>;
}

async function run(pk: string, update: Update, existing?: Record<string, AttributeValue>): Promise<Outcome> {
  const Key = { pk: { S: pk } };
  if (existing) await dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: { ...Key, ...existing } }));
  const outcome: Outcome = {};
  try {
    const { Attributes, ConsumedCapacity } = await dynamodb.send(new UpdateItemCommand({ TableName: TABLE, Key, ...update }));
    outcome.answer = { Attributes, ConsumedCapacity };
  } catch (error) {
    const { name, message, Item } = error as { name: string; message: string; Item?: unknown };
    outcome.error = { name, message, item: Item };
  }
  const { Item } = await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key }));
  if (Item) {
    const { pk: _key, ...attributes } = Item;
    outcome.stored = attributes;
  }
  return outcome;
}

let keys = 0;

const ORACLE_ATTRIBUTE = "viaMoto";

/** `update` with one more SET that only moto can apply. */
function forMoto(update: Update): Update {
  const extra = "#viaMoto = if_not_exists(#viaMoto, :viaMoto)";
  const hasSet = /(^|\s)SET\s/i.test(update.UpdateExpression);
  return {
    ...update,
    UpdateExpression: hasSet ? update.UpdateExpression.replace(/(^|\s)SET\s/i, `$1SET ${extra}, `) : `${update.UpdateExpression} SET ${extra}`,
    ExpressionAttributeNames: { ...update.ExpressionAttributeNames, "#viaMoto": ORACLE_ATTRIBUTE },
    ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ":viaMoto": { BOOL: true } },
  };
}

/** Runs `update` through the shortcut and through moto, on fresh keys, and returns both outcomes. */
async function bothWays(update: Update, existing?: Record<string, AttributeValue>): Promise<[Outcome, Outcome]> {
  keys += 1;
  return [await run(`short-${keys}`, update, existing), await run(`moto-${keys}`, forMoto(update), existing)];
}

const claim: Update = {
  UpdateExpression: "SET #desired = :desired, #updatedAt = :updatedAt, #tags = :tags, #meta = :meta",
  ConditionExpression: "attribute_not_exists(#pk) OR #updatedAt < :updatedAt",
  ExpressionAttributeNames: { "#pk": "pk", "#desired": "desired", "#updatedAt": "updatedAt", "#tags": "tags", "#meta": "meta" },
  ExpressionAttributeValues: {
    ":desired": { S: "open" },
    ":updatedAt": { N: "1732900000000" },
    ":tags": { SS: ["a", "b"] },
    ":meta": { M: { phase: { S: "applying" }, attempts: { N: "1" } } },
  },
};

describe("AWS emulator: DynamoDB plain SET updates", () => {
  it("create a new item as moto does, with ALL_NEW", async () => {
    const [shortcut, moto] = await bothWays({ ...claim, ReturnValues: "ALL_NEW" });
    expect(shortcut.error).toBeUndefined();
    expect(shortcut.stored).toEqual({ desired: { S: "open" }, updatedAt: { N: "1732900000000" }, tags: { SS: ["a", "b"] }, meta: claim.ExpressionAttributeValues?.[":meta"] });
    expect(withoutKey(shortcut)).toEqual(withoutKey(moto));
  });

  it("update an existing item, keeping its other attributes, with ALL_OLD and UPDATED_NEW", async () => {
    const existing = { desired: { S: "closed" }, updatedAt: { N: "1" }, other: { N: "7" } };
    for (const ReturnValues of ["ALL_OLD", "UPDATED_NEW", "NONE"] as const) {
      const [shortcut, moto] = await bothWays({ ...claim, ReturnValues }, existing);
      expect(shortcut.stored?.other).toEqual({ N: "7" });
      expect(shortcut.stored?.desired).toEqual({ S: "open" });
      expect(withoutKey(shortcut)).toEqual(withoutKey(moto));
    }
  });

  it("a failed condition changes nothing and returns the old item when asked", async () => {
    const existing = { desired: { S: "closed" }, updatedAt: { N: "9999999999999" } };
    const [shortcut, moto] = await bothWays({ ...claim, ReturnValuesOnConditionCheckFailure: "ALL_OLD" }, existing);
    expect(shortcut.error).toMatchObject({ name: "ConditionalCheckFailedException" });
    expect(shortcut.stored).toEqual(existing);
    expect(withoutKey(shortcut)).toEqual(withoutKey(moto));
  });

  it("leave index key attributes to moto", async () => {
    const update = { UpdateExpression: "SET #owner = :v", ExpressionAttributeNames: { "#owner": "owner" }, ExpressionAttributeValues: { ":v": { S: "acme" } } };
    const [shortcut, moto] = await bothWays(update, { owner: { S: "before" } });
    expect(shortcut.stored).toEqual({ owner: { S: "acme" } });
    expect(withoutKey(shortcut)).toEqual(withoutKey(moto));
  });

  it("finish and record pending keys as the PR function does: REMOVE, and ADD to a string set", async () => {
    const existing = { phase: { S: "applying" }, pending: { SS: ["a/1", "b/2"] }, other: { N: "7" } };
    const record: Update = {
      UpdateExpression: "ADD #pending :keys",
      ConditionExpression: "#phase = :applying",
      ExpressionAttributeNames: { "#pending": "pending", "#phase": "phase" },
      ExpressionAttributeValues: { ":keys": { SS: ["b/2", "c/3"] }, ":applying": { S: "applying" } },
      ReturnValues: "UPDATED_NEW",
    };
    const [added, addedByMoto] = await bothWays(record, existing);
    expect(added.stored?.pending).toEqual({ SS: ["a/1", "b/2", "c/3"] });
    expect(withoutKey(added)).toEqual(withoutKey(addedByMoto));

    const finish: Update = {
      UpdateExpression: "SET #phase = :done REMOVE #pending, #never",
      ExpressionAttributeNames: { "#pending": "pending", "#phase": "phase", "#never": "never" },
      ExpressionAttributeValues: { ":done": { S: "done" } },
      ReturnValues: "ALL_NEW",
    };
    const [finished, finishedByMoto] = await bothWays(finish, existing);
    expect(finished.stored).toEqual({ phase: { S: "done" }, other: { N: "7" } });
    expect(withoutKey(finished)).toEqual(withoutKey(finishedByMoto));
  });

  it("ADD to a new item, and ADD of another set type left to moto", async () => {
    const add = (values: AttributeValue): Update => ({
      UpdateExpression: "ADD #pending :keys",
      ExpressionAttributeNames: { "#pending": "pending" },
      ExpressionAttributeValues: { ":keys": values },
    });
    const [created, createdByMoto] = await bothWays(add({ SS: ["a/1"] }));
    expect(created.stored).toEqual({ pending: { SS: ["a/1"] } });
    expect(withoutKey(created)).toEqual(withoutKey(createdByMoto));
    const [mismatch, mismatchByMoto] = await bothWays(add({ NS: ["1"] }), { pending: { SS: ["a/1"] } });
    expect(mismatch.error).toMatchObject({ name: "ValidationException" });
    expect(withoutKey(mismatch)).toEqual(withoutKey(mismatchByMoto));
  });

  it.each([
    ["a key attribute", { UpdateExpression: "SET #pk = :v", ExpressionAttributeNames: { "#pk": "pk" }, ExpressionAttributeValues: { ":v": { S: "x" } } }],
    ["an undefined value", { UpdateExpression: "SET #a = :v, #b = :missing", ExpressionAttributeNames: { "#a": "a", "#b": "b" }, ExpressionAttributeValues: { ":v": { S: "x" } } }],
    ["the same attribute twice", { UpdateExpression: "SET #a = :v, #a = :w", ExpressionAttributeNames: { "#a": "a" }, ExpressionAttributeValues: { ":v": { S: "x" }, ":w": { S: "y" } } }],
    ["an unused value", { UpdateExpression: "SET #a = :v", ExpressionAttributeNames: { "#a": "a" }, ExpressionAttributeValues: { ":v": { S: "x" }, ":unused": { S: "y" } } }],
    ["an item over 400 KB", { UpdateExpression: "SET #a = :v", ExpressionAttributeNames: { "#a": "a" }, ExpressionAttributeValues: { ":v": { S: "x".repeat(410_000) } } }],
  ])("refuse %s with moto's error, changing nothing", async (_case, update) => {
    const existing = { a: { S: "before" } };
    const [shortcut, moto] = await bothWays(update, existing);
    expect(shortcut.error).toMatchObject({ name: "ValidationException" });
    expect(shortcut.stored).toEqual(existing);
    expect(withoutKey(shortcut)).toEqual(withoutKey(moto));
  });
});

type ShortcutCase = [expression: string, names: Record<string, string>, values: string[]];

/**
 * Asks the emulator module which updates it would apply itself (the parity tests above pass
 * either way). One python3 run for all cases: importing moto takes ~0.4 s.
 */
function takesShortcut(cases: ShortcutCase[]): boolean[] {
  const output = runEmulatorPython(
    [
      "import json",
      "from dynamodb_updates import plain_actions",
      "cases = json.loads(sys.argv[1])",
      "print(json.dumps([plain_actions(e, n, {v: {'SS': ['x']} for v in vs}, {'pk'}) is not None for e, n, vs in cases]))",
    ],
    [JSON.stringify(cases)],
  );
  return JSON.parse(output) as boolean[];
}

describe("which updates the emulator applies itself", () => {
  it("the PR function's updates, in any case, spacing and clause order", () => {
    expect(
      takesShortcut([
        ["SET #a = :a, #b=:b ,#c = :c", { "#a": "a", "#b": "b", "#c": "c" }, [":a", ":b", ":c"]],
        [" set #a = :a ", { "#a": "a" }, [":a"]],
        ["SET #phase = :done REMOVE #pending", { "#phase": "phase", "#pending": "pending" }, [":done"]],
        ["ADD #pending :keys", { "#pending": "pending" }, [":keys"]],
        ["remove #b add #set :add set #add = :set", { "#b": "b", "#set": "set", "#add": "add" }, [":add", ":set"]],
      ]),
    ).toEqual([true, true, true, true, true]);
  });

  it("nothing else", () => {
    const refused: Record<string, ShortcutCase> = {
      "a clause twice": ["SET #a = :a SET #b = :a", { "#a": "a", "#b": "b" }, [":a"]],
      DELETE: ["DELETE #a :a", { "#a": "a" }, [":a"]],
      "an ADD without a value": ["ADD #a", { "#a": "a" }, []],
      "a REMOVE of a list element": ["REMOVE #a[0]", { "#a": "a" }, []],
      "text before the first clause": ["#a = :a SET #b = :a", { "#a": "a", "#b": "b" }, [":a"]],
      "a function": ["SET #a = if_not_exists(#a, :a)", { "#a": "a" }, [":a"]],
      arithmetic: ["SET #a = #a + :a", { "#a": "a" }, [":a"]],
      "a nested path": ["SET #a.#b = :a", { "#a": "a", "#b": "b" }, [":a"]],
      "a plain attribute name": ["SET a = :a", {}, [":a"]],
      "a key attribute": ["SET #k = :a", { "#k": "pk" }, [":a"]],
      "an undefined value": ["SET #a = :b", { "#a": "a" }, [":a"]],
      "one attribute twice": ["SET #a = :a, #b = :a", { "#a": "a", "#b": "a" }, [":a"]],
      "one attribute in two clauses": ["SET #a = :a REMOVE #a", { "#a": "a" }, [":a"]],
    };
    const verdicts = takesShortcut(Object.values(refused));
    expect(Object.fromEntries(Object.keys(refused).map((name, i) => [name, verdicts[i]]))).toEqual(
      Object.fromEntries(Object.keys(refused).map((name) => [name, false])),
    );
  });
});

/** The two runs differ by their keys and the oracle's attribute; both are left out. */
function withoutKey(outcome: Outcome): Outcome {
  const strip = (item: unknown) => {
    if (!item) return item;
    const { pk: _key, [ORACLE_ATTRIBUTE]: _oracle, ...rest } = item as Record<string, AttributeValue>;
    return rest;
  };
  return {
    ...outcome,
    ...(outcome.stored ? { stored: strip(outcome.stored) as Record<string, AttributeValue> } : {}),
    ...(outcome.answer ? { answer: { ...outcome.answer, Attributes: strip(outcome.answer.Attributes) } } : {}),
    ...(outcome.error ? { error: { ...outcome.error, item: strip(outcome.error.item) } } : {}),
  };
}
