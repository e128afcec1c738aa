import { GetItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EMPTY_LEDGER, inUse, applyChange, type Decision, type Holding, type Ledger, type LedgerChange } from "./capacity";
import type { CapacityLedger } from "./gateways";

/**
 * The capacity ledger in DynamoDB: one item of the pull request state table,
 *
 *   pk                S  CAPACITY#pr-pipelines
 *   version           N  bumped by every write
 *   used              N  the pipelines held, the sum of the holdings
 *   held:<key>        M  { pipelines N, updatedAt N }: a pull request's holding
 *   waiting:<key>     N  since when a pull request waits (epoch ms)
 *
 * where <key> is `<owner/name>#<number>`. Every change is one UpdateItem
 * conditioned on the version read (optimistic locking): the decision and the
 * write are one atomic step, and a writer that lost a race decides again on
 * the item DynamoDB returns with the refusal. No TTL: the ledger lives as
 * long as the platform. Its size grows with the pull requests that hold or
 * wait (about 60 bytes each), far below DynamoDB's 400 KB for any cap within
 * CodePipeline's pipeline quota.
 */

export const CAPACITY_LEDGER_KEY = "CAPACITY#pr-pipelines";

const HELD = "held:";
const WAITING = "waiting:";

/** Writers that lost this many races in a row give up; the event is retried. */
export const MAX_LEDGER_ATTEMPTS = 40;

/** The ledger item cannot be read as a ledger, or stays contended. */
export class CapacityLedgerError extends Error {
  constructor(problem: string, options?: { cause?: unknown }) {
    super(
      `The capacity ledger (item ${CAPACITY_LEDGER_KEY} of the pull request state table) ${problem}. ` +
        "The event is retried; when retries run out it goes to the dead-letter queue and can be redriven",
      options,
    );
    this.name = "CapacityLedgerError";
  }
}

type Item = Record<string, AttributeValue>;

function wholeNumber(value: AttributeValue | undefined, what: string): number {
  const number = Number(value?.N);
  if (value?.N === undefined || !Number.isSafeInteger(number) || number < 0)
    throw new CapacityLedgerError(`holds ${what} that is not a whole number`);
  return number;
}

/** The ledger an item holds; undefined: no item yet. */
export function ledgerFromItem(item: Item | undefined): Ledger {
  if (item === undefined) return EMPTY_LEDGER;
  const holdings = new Map<string, Holding>();
  const waiting = new Map<string, number>();
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(HELD)) {
      const key = name.slice(HELD.length);
      holdings.set(key, {
        pipelines: wholeNumber(value.M?.pipelines, `a holding of ${key}`),
        updatedAt: wholeNumber(value.M?.updatedAt, `a holding of ${key}`),
      });
    } else if (name.startsWith(WAITING)) {
      const key = name.slice(WAITING.length);
      waiting.set(key, wholeNumber(value, `the waiting time of ${key}`));
    }
  }
  return { version: wholeNumber(item.version, "a version"), holdings, waiting };
}

/** The UpdateItem of a change to the ledger read at `version`. */
export function changeUpdate(ledger: Ledger, change: LedgerChange) {
  const after = applyChange(ledger, change);
  const names: Record<string, string> = { "#version": "version", "#used": "used" };
  const values: Item = { ":next": { N: String(after.version) }, ":used": { N: String(inUse(after)) } };
  const set = ["#version = :next", "#used = :used"];
  const remove: string[] = [];
  if (change.holding !== undefined) {
    names["#held"] = `${HELD}${change.key}`;
    if (change.holding === null) remove.push("#held");
    else {
      set.push("#held = :held");
      values[":held"] = { M: { pipelines: { N: String(change.holding.pipelines) }, updatedAt: { N: String(change.holding.updatedAt) } } };
    }
  }
  if (change.waitingSince !== undefined) {
    names["#waiting"] = `${WAITING}${change.key}`;
    if (change.waitingSince === null) remove.push("#waiting");
    else {
      set.push("#waiting = :since");
      values[":since"] = { N: String(change.waitingSince) };
    }
  }
  if (ledger.version === 0) {
    names["#pk"] = "pk";
  } else {
    values[":version"] = { N: String(ledger.version) };
  }
  return {
    UpdateExpression: `SET ${set.join(", ")}${remove.length > 0 ? ` REMOVE ${remove.join(", ")}` : ""}`,
    ConditionExpression: ledger.version === 0 ? "attribute_not_exists(#pk)" : "#version = :version",
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

export class DynamoCapacityLedger implements CapacityLedger {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async read(): Promise<Ledger> {
    const output = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: CAPACITY_LEDGER_KEY } }, ConsistentRead: true }),
    );
    return ledgerFromItem(output.Item);
  }

  async update<T>(decide: (ledger: Ledger) => Decision<T>): Promise<T> {
    let ledger = await this.read();
    for (let attempt = 1; attempt <= MAX_LEDGER_ATTEMPTS; attempt++) {
      const decision = decide(ledger);
      if (decision.change === undefined) return decision.outcome;
      try {
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { pk: { S: CAPACITY_LEDGER_KEY } },
            ...changeUpdate(ledger, decision.change),
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        );
        return decision.outcome;
      } catch (error) {
        if (!(error instanceof Error) || error.name !== "ConditionalCheckFailedException") throw error;
        // Another writer came first: decide again on what it left.
        ledger = ledgerFromItem((error as { Item?: Item }).Item);
      }
    }
    throw new CapacityLedgerError(`changed under this writer ${MAX_LEDGER_ATTEMPTS} times in a row`);
  }
}
