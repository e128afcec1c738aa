import fc from "fast-check";
import {
  applyChange,
  decideForget,
  decideRelease,
  decideReservation,
  EMPTY_LEDGER,
  inUse,
  ledgerKey,
  parseLedgerKey,
  queueOf,
  type Decision,
  type Ledger,
} from "../../../functions/pr-pipelines/capacity";
import { changeUpdate, ledgerFromItem } from "../../../functions/pr-pipelines/capacity-ledger";

const apply = <T>(ledger: Ledger, decision: Decision<T>): Ledger => (decision.change === undefined ? ledger : applyChange(ledger, decision.change));
const reserve = (ledger: Ledger, key: string, pipelines: number, updatedAt = 1, now = 1000, limit = 4) =>
  decideReservation(ledger, { key, pipelines, updatedAt, now, limit });

describe("decideReservation", () => {
  it("reserves all of a pull request's pipelines or none, and queues what does not fit", () => {
    const first = reserve(EMPTY_LEDGER, "a/b#1", 3);
    expect(first.outcome).toEqual({ kind: "reserved", alreadyHeld: false, waited: false });
    const ledger = apply(EMPTY_LEDGER, first);
    expect(inUse(ledger)).toBe(3);
    const over = reserve(ledger, "a/b#2", 2, 1, 2000);
    expect(over).toEqual({
      outcome: { kind: "waiting", inUse: 3, limit: 4, needed: 2, ahead: 0 },
      change: { key: "a/b#2", waitingSince: 2000 },
    });
    expect(inUse(apply(ledger, over))).toBe(3);
  });

  it("lets a retry or a redelivery find its reservation, and counts it once", () => {
    const ledger = apply(EMPTY_LEDGER, reserve(EMPTY_LEDGER, "a/b#1", 2, 5));
    expect(reserve(ledger, "a/b#1", 2, 5)).toEqual({ outcome: { kind: "reserved", alreadyHeld: true, waited: false } });
    // A newer change of the same pull request takes the holding over, so an older close cannot release it.
    const pushed = reserve(ledger, "a/b#1", 2, 9);
    expect(pushed.change).toEqual({ key: "a/b#1", holding: { pipelines: 2, updatedAt: 9 } });
    const after = apply(ledger, pushed);
    expect(decideRelease(after, { key: "a/b#1", updatedAt: 7 })).toEqual({ outcome: { kind: "kept-for-newer-change" } });
    expect(inUse(apply(after, decideRelease(after, { key: "a/b#1", updatedAt: 9 })))).toBe(0);
  });

  it("keeps a new pull request behind the waiting ones even when room opens; a waiting one takes it", () => {
    let ledger = apply(EMPTY_LEDGER, reserve(EMPTY_LEDGER, "a/b#1", 4));
    ledger = apply(ledger, reserve(ledger, "a/b#2", 1, 1, 2000));
    ledger = apply(ledger, reserve(ledger, "a/b#3", 1, 1, 3000));
    expect(reserve(ledger, "a/b#3", 1, 1, 4000).outcome).toMatchObject({ kind: "waiting", ahead: 1 });
    ledger = apply(ledger, decideRelease(ledger, { key: "a/b#1", updatedAt: 2 }));
    expect(reserve(ledger, "a/b#4", 1, 1, 5000).outcome).toMatchObject({ kind: "waiting", ahead: 2 });
    const waiter = reserve(ledger, "a/b#3", 1);
    expect(waiter).toEqual({
      outcome: { kind: "reserved", alreadyHeld: false, waited: true },
      change: { key: "a/b#3", holding: { pipelines: 1, updatedAt: 1 }, waitingSince: null },
    });
    expect(queueOf(apply(ledger, waiter))).toEqual([{ key: "a/b#2", since: 2000 }]);
  });

  it("refuses, without queueing, a pull request with more pipelines than the cap", () => {
    expect(reserve(EMPTY_LEDGER, "a/b#1", 5)).toEqual({ outcome: { kind: "too-large", limit: 4, needed: 5 } });
  });
});

describe("decideRelease and decideForget", () => {
  it("take a closed pull request out of the queue, once", () => {
    let ledger = apply(EMPTY_LEDGER, reserve(EMPTY_LEDGER, "a/b#1", 4));
    ledger = apply(ledger, reserve(ledger, "a/b#2", 1, 1, 2000));
    const release = decideRelease(ledger, { key: "a/b#2", updatedAt: 3 });
    expect(release).toEqual({ outcome: { kind: "released", pipelines: 0, wasWaiting: true }, change: { key: "a/b#2", waitingSince: null } });
    const after = apply(ledger, release);
    expect(decideRelease(after, { key: "a/b#2", updatedAt: 3 })).toEqual({ outcome: { kind: "released", pipelines: 0, wasWaiting: false } });
    expect(decideForget(ledger, { key: "a/b#2", since: 2000 }).outcome).toBe(true);
    expect(decideForget(ledger, { key: "a/b#2", since: 1999 })).toEqual({ outcome: false });
  });
});

describe("ledger keys", () => {
  it("name the repository and the number, and nothing else", () => {
    expect(parseLedgerKey(ledgerKey("acme-corp/shop", 12))).toEqual({ repository: "acme-corp/shop", number: 12 });
    expect(parseLedgerKey("acme-corp/shop")).toBeUndefined();
    expect(parseLedgerKey("#3")).toBeUndefined();
  });
});

describe("the ledger item", () => {
  it("round-trips through the UpdateItem a change writes, with the version as the condition", () => {
    const first = reserve(EMPTY_LEDGER, "a/b#1", 2, 7);
    const update = changeUpdate(EMPTY_LEDGER, first.change!);
    expect(update.ConditionExpression).toBe("attribute_not_exists(#pk)");
    expect(update.UpdateExpression).toBe("SET #version = :next, #used = :used, #held = :held");
    expect(update.ExpressionAttributeNames).toEqual({ "#version": "version", "#used": "used", "#held": "held:a/b#1", "#pk": "pk" });
    const item = {
      pk: { S: "CAPACITY#pr-pipelines" },
      version: update.ExpressionAttributeValues[":next"]!,
      used: update.ExpressionAttributeValues[":used"]!,
      "held:a/b#1": update.ExpressionAttributeValues[":held"]!,
      "waiting:a/b#2": { N: "1500" },
    };
    expect(ledgerFromItem(item)).toEqual({
      version: 1,
      holdings: new Map([["a/b#1", { pipelines: 2, updatedAt: 7 }]]),
      waiting: new Map([["a/b#2", 1500]]),
    });
    const release = changeUpdate(ledgerFromItem(item), decideRelease(ledgerFromItem(item), { key: "a/b#1", updatedAt: 7 }).change!);
    expect(release.ConditionExpression).toBe("#version = :version");
    expect(release.UpdateExpression).toBe("SET #version = :next, #used = :used REMOVE #held");
    expect(release.ExpressionAttributeValues[":used"]).toEqual({ N: "0" });
    expect(() => ledgerFromItem({ ...item, version: { S: "one" } })).toThrow(/CAPACITY#pr-pipelines.*holds a version that is not a whole number/);
  });
});

/**
 * Any interleaving of opens, pushes, closes, redeliveries and the
 * reconciler's pick-ups: each decision is one atomic write, so applying them
 * one after the other in any order is what concurrent invocations can do.
 * The model creates a pull request's pipelines when it is reserved and
 * deletes them before their release, as apply.ts does.
 */
describe("properties", () => {
  type Step = { kind: "open"; pr: number; redeliver: boolean } | { kind: "close"; pr: number; redeliver: boolean } | { kind: "pick-up" };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant("open" as const), pr: fc.integer({ min: 1, max: 8 }), redeliver: fc.boolean() }),
    fc.record({ kind: fc.constant("close" as const), pr: fc.integer({ min: 1, max: 8 }), redeliver: fc.boolean() }),
    fc.record({ kind: fc.constant("pick-up" as const) }),
  );
  /** Pipelines per pull request: its repository's services. */
  const size = (pr: number) => 1 + (pr % 3);

  it("never counts more than the cap, and always counts exactly the pipelines that exist", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.array(step, { maxLength: 60 }), (limit, steps) => {
        let ledger = EMPTY_LEDGER;
        const pipelines = new Map<number, number>();
        const lastChange = new Map<number, number>();
        let clock = 0;
        const open = (pr: number, updatedAt: number) => {
          const decision = reserve(ledger, ledgerKey("a/b", pr), size(pr), updatedAt, ++clock, limit);
          ledger = apply(ledger, decision);
          if (decision.outcome.kind === "reserved") pipelines.set(pr, size(pr));
        };
        for (const next of steps) {
          if (next.kind === "pick-up") {
            // The reconciler's hand-out: the oldest waiters while they fit, each then delivered.
            let free = limit - inUse(ledger);
            for (const { key } of queueOf(ledger)) {
              const pr = parseLedgerKey(key)!.number;
              if (size(pr) > free) break;
              free -= size(pr);
              open(pr, lastChange.get(pr) ?? 0);
            }
            continue;
          }
          const updatedAt = next.redeliver ? (lastChange.get(next.pr) ?? ++clock) : ++clock;
          lastChange.set(next.pr, updatedAt);
          if (next.kind === "open") {
            open(next.pr, updatedAt);
          } else {
            const release = decideRelease(ledger, { key: ledgerKey("a/b", next.pr), updatedAt });
            if (release.outcome.kind === "released") pipelines.delete(next.pr);
            ledger = apply(ledger, release);
          }
          const used = inUse(ledger);
          expect(used).toBeLessThanOrEqual(limit);
          expect(used).toBe([...pipelines.values()].reduce((sum, count) => sum + count, 0));
          expect([...ledger.waiting.keys()].some((key) => ledger.holdings.has(key))).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
