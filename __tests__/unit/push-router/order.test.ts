import fc from "fast-check";
import { ignoredMessage, orderVerdict, type OrderedPush } from "../../../functions/push-router/order";
import { fakePushState, PUSHED_AT, sha } from "./fixtures";

const newest: OrderedPush = { deliveryId: "delivery-newest", before: sha("1"), after: sha("2"), pushedAt: PUSHED_AT };

function push(overrides: Partial<OrderedPush>): OrderedPush {
  return { deliveryId: "delivery-other", before: sha("2"), after: sha("3"), pushedAt: PUSHED_AT + 1, ...overrides };
}

describe("orderVerdict: when a push may start a pipeline", () => {
  it("admits the first push of a pipeline", () => {
    expect(orderVerdict(undefined, push({ pushedAt: 1 }))).toEqual({ admitted: true });
  });

  it("admits a push GitHub received in a later second, chained or not", () => {
    expect(orderVerdict(newest, push({}))).toEqual({ admitted: true });
    expect(orderVerdict(newest, push({ before: sha("9"), after: sha("8") }))).toEqual({ admitted: true });
  });

  it("admits the next push of the chain within the same second (its before is the stored after)", () => {
    expect(orderVerdict(newest, push({ pushedAt: PUSHED_AT, before: newest.after }))).toEqual({ admitted: true });
  });

  it("admits a retry of the same delivery, whatever else it says", () => {
    expect(orderVerdict(newest, { ...newest })).toEqual({ admitted: true });
    expect(orderVerdict(newest, push({ deliveryId: newest.deliveryId, pushedAt: PUSHED_AT - 60 }))).toEqual({ admitted: true });
  });

  it("refuses a replay: the stored commit under a new delivery id", () => {
    expect(orderVerdict(newest, { ...newest, deliveryId: "replayed-delivery" })).toEqual({ admitted: false, reason: "replay" });
    // An old push to the same commit (main moved away and back) changes nothing either.
    expect(orderVerdict(newest, push({ after: newest.after, pushedAt: PUSHED_AT - 5 }))).toEqual({ admitted: false, reason: "replay" });
  });

  it("refuses an older push", () => {
    expect(orderVerdict(newest, push({ before: sha("0"), after: newest.before, pushedAt: PUSHED_AT - 1 }))).toEqual({
      admitted: false,
      reason: "older",
    });
  });

  it("refuses a push of the same second that does not follow the stored one: their order is unknown", () => {
    // The push that the stored one followed, delivered late: same second, its after is the stored before.
    expect(orderVerdict(newest, push({ pushedAt: PUSHED_AT, before: sha("0"), after: newest.before }))).toEqual({
      admitted: false,
      reason: "ambiguous",
    });
    expect(orderVerdict(newest, push({ pushedAt: PUSHED_AT, before: sha("7"), after: sha("8") }))).toEqual({
      admitted: false,
      reason: "ambiguous",
    });
  });
});

describe("ORDER_CONDITION, as DynamoDB evaluates it", () => {
  it("admits exactly what orderVerdict admits, and the store names the same reason (property)", async () => {
    const commit = fc.constantFrom(sha("1"), sha("2"), sha("3"));
    const orderedPush = fc.record({
      deliveryId: fc.constantFrom("d-1", "d-2", "d-3"),
      before: commit,
      after: commit,
      pushedAt: fc.integer({ min: PUSHED_AT - 2, max: PUSHED_AT + 2 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.option(orderedPush, { nil: undefined }), orderedPush, async (stored, incoming) => {
        const state = fakePushState();
        try {
          if (stored) await state.store.claim("pw-api", stored);
          const outcome = await state.store.claim("pw-api", incoming);
          const verdict = orderVerdict(stored, incoming);
          expect(outcome.admitted ? { admitted: true } : { admitted: false, reason: outcome.reason }).toEqual(verdict);
          const item = state.table.get("pw-api");
          expect(item?.after?.S).toBe(verdict.admitted ? incoming.after : stored?.after);
        } finally {
          state.restore();
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("ignoredMessage", () => {
  const late = push({ before: sha("0"), after: sha("1"), pushedAt: PUSHED_AT - 30, deliveryId: "late-delivery" });

  it.each([
    ["older", /older than the push that last started it/],
    ["replay", /replay of the push that last started it, .*, under another delivery id/],
    ["ambiguous", /same second .* does not follow it \(its before is 0{40}\).*could roll pw-api back.*next push/],
  ] as const)("says why for %s, naming both pushes' commits, push times and deliveries", (reason, why) => {
    const message = ignoredMessage("pw-api", reason, late, newest);
    expect(message).toMatch(why);
    expect(message).toContain(`Not starting pw-api for commit ${late.after} (pushed at ${late.pushedAt}, delivery late-delivery)`);
    expect(message).toContain(`commit ${newest.after} (pushed at ${newest.pushedAt}, delivery ${newest.deliveryId})`);
  });
});
