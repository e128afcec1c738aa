import { bothSettled, mapWithConcurrency } from "../../../functions/shared/concurrency";

/** A promise settled from outside, to control when each item finishes. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("mapWithConcurrency", () => {
  it("keeps the order of the items and never runs more than the limit at once", async () => {
    let running = 0;
    let most = 0;
    const results = await mapWithConcurrency([5, 1, 4, 2, 3], 2, async (n) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, n));
      running -= 1;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  it("starts nothing after a failure and rejects only once the items in progress have settled", async () => {
    const gates = [deferred<string>(), deferred<string>(), deferred<string>()];
    const started: number[] = [];
    let settled = false;
    const call = mapWithConcurrency([0, 1, 2], 2, (index) => {
      started.push(index);
      return (gates[index] as ReturnType<typeof deferred<string>>).promise;
    }).finally(() => (settled = true));
    const outcome = call.catch((error: unknown) => error);

    gates[0]?.reject(new Error("first failed"));
    await flush();
    expect(settled).toBe(false); // item 1 is still running
    gates[1]?.resolve("late");
    await expect(outcome).resolves.toMatchObject({ message: "first failed" });
    expect(started).toEqual([0, 1]);
  });
});

describe("bothSettled", () => {
  it("gives both results", async () => {
    await expect(bothSettled(Promise.resolve(1), Promise.resolve("two"))).resolves.toEqual([1, "two"]);
  });

  it("rejects with the first one's failure, and only once the other has settled", async () => {
    const slow = deferred<string>();
    let settled = false;
    const outcome = bothSettled(Promise.reject(new Error("first")), slow.promise)
      .finally(() => (settled = true))
      .catch((error: unknown) => error);
    await flush();
    expect(settled).toBe(false);
    slow.reject(new Error("second"));
    await expect(outcome).resolves.toMatchObject({ message: "first" });
  });
});
