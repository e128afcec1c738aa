import { UpdateItemCommand, type AttributeValue, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { ClaimResult, PrClaim, PrStateStore } from "./gateways";

/**
 * Pull request state in DynamoDB, one item per pull request:
 *
 *   pk         S  PR#<owner/name>#<number>
 *   updatedAt  N  the pull request's updated_at of the change, epoch ms
 *   desired    S  open | closed
 *   phase      S  applying | waiting (for capacity) | done
 *   headSha, deliveryId, repository (S), number (N)
 *   expiresAt  N  epoch seconds (the table's TTL attribute)
 *   pendingArtifactKeys SS  artifact keys of deleted pipelines not yet removed from S3
 *   approvedHeadSha S  a fork's head commit that the fork label approved
 *
 * updatedAt is stored as epoch milliseconds because ISO strings only compare
 * correctly as strings when they share one format (offset, fractions).
 */

type Values = Record<string, AttributeValue>;

const NAMES = {
  "#pk": "pk",
  "#repository": "repository",
  "#number": "number",
  "#updatedAt": "updatedAt",
  "#desired": "desired",
  "#phase": "phase",
  "#headSha": "headSha",
  "#deliveryId": "deliveryId",
  "#expiresAt": "expiresAt",
  "#pending": "pendingArtifactKeys",
  "#approvedHeadSha": "approvedHeadSha",
} as const;

type NameToken = keyof typeof NAMES;

/** Only the names an expression uses: DynamoDB rejects unused ones. */
function namesFor(...expressions: string[]): Record<string, string> {
  const text = expressions.join(" ");
  return Object.fromEntries(Object.entries(NAMES).filter(([token]) => new RegExp(`${token}\\b`).test(text)));
}

/** The stored item DynamoDB returns with a refused conditional write (ReturnValuesOnConditionCheckFailure). */
function conditionCheckFailure(error: unknown): { stored?: Values } | undefined {
  if (!(error instanceof Error) || error.name !== "ConditionalCheckFailedException") return undefined;
  const item = (error as { Item?: Values }).Item;
  return item === undefined ? {} : { stored: item };
}

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });

/**
 * The claim condition. A change may take the pull request when
 * - there is no state yet; or
 * - the stored change is older; or
 * - it has the same updatedAt and is the same change, unfinished (a retry
 *   after a partial failure) or waiting for capacity (a retry, or the
 *   reconciler's event when room opened); or
 * - it has the same updatedAt, the stored change is an open and this one a
 *   close (on a tie, closing wins: a pipeline left running is the worse error);
 * and, for changes that may not reopen (labeled, synchronize,
 * ready_for_review), the stored state is not closed;
 * and, for a fork's run event, its head is the approved commit.
 * orderingAllows is the same rule without the approval, evaluated in code.
 */
export function claimCondition(claim: Pick<PrClaim, "desired" | "mayReopen" | "forkApproval" | "headSha">): {
  expression: string;
  values: Values;
} {
  const values: Values = { ":applying": s("applying"), ":waiting": s("waiting"), ":desired": s(claim.desired) };
  let expression =
    "attribute_not_exists(#pk) OR #updatedAt < :updatedAt OR (#updatedAt = :updatedAt AND (#phase = :applying OR #phase = :waiting) AND #desired = :desired)";
  if (claim.desired === "closed") {
    expression += " OR (#updatedAt = :updatedAt AND #desired = :open)";
    values[":open"] = s("open");
  }
  if (!claim.mayReopen) {
    values[":closed"] = s("closed");
    expression = `(attribute_not_exists(#pk) OR #desired <> :closed) AND (${expression})`;
  }
  if (claim.forkApproval === "require") {
    values[":headSha"] = s(claim.headSha);
    expression = `(${expression}) AND #approvedHeadSha = :headSha`;
  }
  return { expression, values };
}

/**
 * Whether the ordering part of claimCondition lets the claim in over the
 * stored item (undefined: no item). Tells a refusal for the fork approval
 * from a stale delivery, on the very item that refused the write.
 */
export function orderingAllows(stored: Values | undefined, claim: Pick<PrClaim, "desired" | "mayReopen" | "updatedAt">): boolean {
  if (stored === undefined) return true;
  const desired = stored.desired?.S;
  if (!claim.mayReopen && desired === "closed") return false;
  const updatedAt = Number(stored.updatedAt?.N);
  if (updatedAt < claim.updatedAt) return true;
  if (updatedAt !== claim.updatedAt) return false;
  const unfinished = stored.phase?.S === "applying" || stored.phase?.S === "waiting";
  if (unfinished && desired === claim.desired) return true;
  return claim.desired === "closed" && desired === "open";
}

export class DynamoPrStateStore implements PrStateStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** A conditional UpdateItem; with returnOld, the item before the write, or the one that refused it. */
  private async update(
    key: string,
    updateExpression: string,
    conditionExpression: string,
    values: Values,
    returnOld = false,
  ): Promise<{ written: true; old?: Values } | { written: false; stored?: Values }> {
    try {
      const output = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: s(key) },
          UpdateExpression: updateExpression,
          ConditionExpression: conditionExpression,
          ExpressionAttributeNames: namesFor(updateExpression, conditionExpression),
          ExpressionAttributeValues: values,
          ...(returnOld ? { ReturnValues: "ALL_OLD" as const, ReturnValuesOnConditionCheckFailure: "ALL_OLD" as const } : {}),
        }),
      );
      return { written: true, old: output.Attributes };
    } catch (error) {
      const refused = conditionCheckFailure(error);
      if (refused !== undefined) return { written: false, ...refused };
      throw error;
    }
  }

  async claim(claim: PrClaim): Promise<ClaimResult> {
    const condition = claimCondition(claim);
    const fields: Array<[NameToken, string, AttributeValue]> = [
      ["#repository", ":repository", s(claim.repository)],
      ["#number", ":number", n(claim.number)],
      ["#updatedAt", ":updatedAt", n(claim.updatedAt)],
      ["#desired", ":desired", s(claim.desired)],
      ["#phase", ":applying", s("applying")],
      ["#headSha", ":headSha", s(claim.headSha)],
      ["#deliveryId", ":deliveryId", s(claim.deliveryId)],
      ["#expiresAt", ":expiresAt", n(claim.expiresAt)],
    ];
    if (claim.forkApproval === "record") fields.push(["#approvedHeadSha", ":headSha", s(claim.headSha)]);
    const values: Values = { ...condition.values };
    for (const [, token, value] of fields) values[token] = value;
    const write = await this.update(
      claim.key,
      `SET ${fields.map(([name, token]) => `${name} = ${token}`).join(", ")}`,
      condition.expression,
      values,
      true,
    );
    if (!write.written) {
      const awaitingApproval = claim.forkApproval === "require" && orderingAllows(write.stored, claim);
      return { claimed: false, refusal: awaitingApproval ? "awaiting-approval" : "stale" };
    }
    const old = write.old;
    const resumed = old?.updatedAt?.N === String(claim.updatedAt) && old.phase?.S === "applying" && old.desired?.S === claim.desired;
    return { claimed: true, resumed, pendingArtifactKeys: old?.pendingArtifactKeys?.SS ?? [] };
  }

  async recordPendingArtifacts(claim: PrClaim, keys: readonly string[]): Promise<boolean> {
    const unique = [...new Set(keys)];
    const condition = "#updatedAt = :updatedAt AND #desired = :desired AND #phase = :applying";
    const values: Values = { ":updatedAt": n(claim.updatedAt), ":desired": s(claim.desired), ":applying": s("applying") };
    if (unique.length === 0) {
      return (await this.update(claim.key, "SET #phase = :applying", condition, values)).written;
    }
    return (await this.update(claim.key, "ADD #pending :keys", condition, { ...values, ":keys": { SS: unique } })).written;
  }

  async markWaiting(claim: PrClaim): Promise<boolean> {
    const result = await this.update(claim.key, "SET #phase = :waiting", "#updatedAt = :updatedAt AND #desired = :desired", {
      ":waiting": s("waiting"),
      ":updatedAt": n(claim.updatedAt),
      ":desired": s(claim.desired),
    });
    return result.written;
  }

  async markDone(claim: PrClaim, options: { clearPendingArtifacts: boolean }): Promise<boolean> {
    const update = `SET #phase = :done${options.clearPendingArtifacts ? " REMOVE #pending" : ""}`;
    const result = await this.update(claim.key, update, "#updatedAt = :updatedAt AND #desired = :desired", {
      ":done": s("done"),
      ":updatedAt": n(claim.updatedAt),
      ":desired": s(claim.desired),
    });
    return result.written;
  }
}
