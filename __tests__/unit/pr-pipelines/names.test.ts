import fc from "fast-check";
import {
  clientRequestToken,
  MAX_PIPELINE_NAME_LENGTH,
  MAX_STACK_NAME_LENGTH,
  previewStackName,
  prPipelineName,
  prStateKey,
} from "../../../functions/pr-pipelines/names";

const PIPELINE_NAME = /^[A-Za-z0-9.@_-]{1,100}$/;
const NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.@_-".split("");
const baseName = fc.array(fc.constantFrom(...NAME_CHARS), { minLength: 1, maxLength: 100 }).map((chars) => chars.join(""));
const prNumber = fc.integer({ min: 1, max: 2_000_000_000 });

describe("prPipelineName", () => {
  it("is exactly <base>-pr-<number> when that fits", () => {
    expect(prPipelineName("pipewright-orders", 12)).toBe("pipewright-orders-pr-12");
    const fits = "a".repeat(MAX_PIPELINE_NAME_LENGTH - "-pr-12".length);
    expect(prPipelineName(fits, 12)).toBe(`${fits}-pr-12`);
    expect(prPipelineName(fits, 12)).toHaveLength(100);
  });

  it("shortens a name that would pass 100 characters, keeps -pr-<number> and stays valid", () => {
    const long = "b".repeat(95);
    const name = prPipelineName(long, 12345);
    expect(name.length).toBeLessThanOrEqual(100);
    expect(name).toMatch(PIPELINE_NAME);
    expect(name.endsWith("-pr-12345")).toBe(true);
    expect(name.startsWith("bbbbbbbb")).toBe(true);
    expect(name).not.toBe(`${long}-pr-12345`);
  });

  it("gives different names to long bases that share their first 100 characters", () => {
    const shared = "c".repeat(100);
    expect(prPipelineName(`${shared}-one`, 1)).not.toBe(prPipelineName(`${shared}-two`, 1));
    expect(prPipelineName(`${shared}-one`, 1)).not.toBe(prPipelineName(`${shared}-one`, 11));
  });

  it("rejects numbers that are not pull request numbers", () => {
    expect(() => prPipelineName("x", 0)).toThrow(RangeError);
    expect(() => prPipelineName("x", 1.5)).toThrow(RangeError);
    expect(() => prPipelineName("", 1)).toThrow(RangeError);
  });

  it("turns a base with characters CodePipeline refuses into a valid, distinct name", () => {
    const name = prPipelineName("orders service", 3);
    expect(name).toMatch(PIPELINE_NAME);
    expect(name).not.toBe(prPipelineName("orders-service", 3));
  });

  it("property: always a valid pipeline name, deterministic, exact when it fits, ending in -pr-<number>", () => {
    fc.assert(
      fc.property(baseName, prNumber, (base, number) => {
        const name = prPipelineName(base, number);
        expect(name).toMatch(PIPELINE_NAME);
        expect(name).toBe(prPipelineName(base, number));
        expect(name.endsWith(`-pr-${number}`)).toBe(true);
        if (`${base}-pr-${number}`.length <= MAX_PIPELINE_NAME_LENGTH) expect(name).toBe(`${base}-pr-${number}`);
      }),
      { numRuns: 500 },
    );
  });

  it("property: distinct (base, number) pairs get distinct names", () => {
    const longBase = fc.string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 90, maxLength: 100 });
    fc.assert(
      fc.property(fc.oneof(baseName, longBase), prNumber, fc.oneof(baseName, longBase), prNumber, (baseA, numberA, baseB, numberB) => {
        fc.pre(baseA !== baseB || numberA !== numberB);
        expect(prPipelineName(baseA, numberA)).not.toBe(prPipelineName(baseB, numberB));
      }),
      { numRuns: 500 },
    );
  });
});

describe("previewStackName", () => {
  it("replaces a trailing -dev with -pr-<number>", () => {
    expect(previewStackName("pipewright-orders-dev", 12)).toBe("pipewright-orders-pr-12");
  });

  it("appends -pr-<number> when there is no -dev ending, and only strips it at the end", () => {
    expect(previewStackName("orders-api", 3)).toBe("orders-api-pr-3");
    expect(previewStackName("dev-orders", 3)).toBe("dev-orders-pr-3");
    expect(previewStackName("orders-devtools", 3)).toBe("orders-devtools-pr-3");
  });

  it("stays a valid CloudFormation stack name when the original is long", () => {
    const long = `S${"x".repeat(126)}`;
    const name = previewStackName(long, 99);
    expect(name.length).toBeLessThanOrEqual(MAX_STACK_NAME_LENGTH);
    expect(name).toMatch(/^[A-Za-z][A-Za-z0-9-]*$/);
    expect(name.endsWith("-pr-99")).toBe(true);
  });
});

describe("clientRequestToken", () => {
  it("is 1-128 of [a-zA-Z0-9-], the same for a retry, different per delivery and per pipeline", () => {
    const token = clientRequestToken("72d3162e-cc78-11e3-81ab-4c9367dc0958", "pipewright-orders-pr-7");
    expect(token).toMatch(/^[a-zA-Z0-9-]{1,128}$/);
    expect(clientRequestToken("72d3162e-cc78-11e3-81ab-4c9367dc0958", "pipewright-orders-pr-7")).toBe(token);
    expect(clientRequestToken("8f1b1c3e-cc78-11e3-81ab-4c9367dc0958", "pipewright-orders-pr-7")).not.toBe(token);
    expect(clientRequestToken("72d3162e-cc78-11e3-81ab-4c9367dc0958", "pipewright-payments-pr-7")).not.toBe(token);
  });

  it("property: valid for any delivery id and pipeline name", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300 }), baseName, (deliveryId, pipeline) => {
        expect(clientRequestToken(deliveryId, pipeline)).toMatch(/^[a-zA-Z0-9-]{1,128}$/);
      }),
    );
  });
});

describe("prStateKey", () => {
  it("is PR#<repository>#<number>", () => {
    expect(prStateKey("example-org/shop", 7)).toBe("PR#example-org/shop#7");
  });
});
