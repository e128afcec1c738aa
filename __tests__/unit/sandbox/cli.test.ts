import { defaultMaxEnvironments, maxEnvironmentsFrom } from "../../../sandbox/cli";
import { UsageError } from "../../../sandbox/errors";

describe("environments per function (PIPEWRIGHT_SANDBOX_ENVIRONMENTS)", () => {
  it("defaults to one per core, at most 4, at least 1", () => {
    expect([1, 2, 3, 4, 16].map((cores) => defaultMaxEnvironments(cores))).toEqual([1, 2, 3, 4, 4]);
    expect(defaultMaxEnvironments(0)).toBe(1);
    expect(maxEnvironmentsFrom(undefined, 2)).toBe(2);
    expect(maxEnvironmentsFrom("", 8)).toBe(4);
  });

  it("takes a whole number of 1 or more, above the default too", () => {
    expect(maxEnvironmentsFrom("1", 2)).toBe(1);
    expect(maxEnvironmentsFrom(" 10 ", 2)).toBe(10);
  });

  it.each(["0", "-2", "2.5", "two", "1e3"])("refuses %p, naming the variable, the value and the fix", (value) => {
    const attempt = () => maxEnvironmentsFrom(value, 2);
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(
      `PIPEWRIGHT_SANDBOX_ENVIRONMENTS must be a whole number of execution environments per function, 1 or more; it is "${value}"`,
    );
    expect(attempt).toThrow(/Fix: set it to e\.g\. 2, or unset it for the default \(2 on this machine/);
  });
});
