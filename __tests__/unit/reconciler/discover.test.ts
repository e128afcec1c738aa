import { PR_TAG_KEYS } from "../../../functions/pr-pipelines/clone";
import { prPipelineName } from "../../../functions/pr-pipelines/names";
import { checkPrPipelineTags, matchPrPipelineName } from "../../../functions/reconciler/discover";
import { BASES, HEAD_SHA, REPOSITORY } from "./support/fixtures";

describe("matchPrPipelineName", () => {
  it("recognizes <base>-pr-<n> of a configured main pipeline only", () => {
    expect(matchPrPipelineName("pipewright-orders-pr-7", BASES)).toEqual({ basePipeline: "pipewright-orders", number: 7 });
    expect(matchPrPipelineName("pipewright-payments-pr-1234", BASES)).toEqual({ basePipeline: "pipewright-payments", number: 1234 });
    for (const name of [
      "pipewright-orders",
      "pipewright-orders-pr-",
      "pipewright-orders-pr-0",
      "pipewright-orders-pr-07",
      "other-pr-7",
      "pipewright-orders-pr-7-x",
      "xpipewright-orders-pr-7",
    ]) {
      expect(matchPrPipelineName(name, BASES)).toBeUndefined();
    }
  });

  it("finds hash-shortened names of long main pipelines", () => {
    const long = `pipewright-${"a".repeat(95)}`;
    const name = prPipelineName(long, 42);
    expect(name).not.toContain(long);
    expect(matchPrPipelineName(name, [long])).toEqual({ basePipeline: long, number: 42 });
  });
});

describe("checkPrPipelineTags", () => {
  const candidate = {
    name: "pipewright-orders-pr-7",
    arn: "arn:aws:codepipeline:eu-west-1:111111111111:pipewright-orders-pr-7",
    basePipeline: "pipewright-orders",
    number: 7,
  };
  const tags = (overrides: Record<string, string | undefined> = {}) =>
    Object.entries({
      [PR_TAG_KEYS.repository]: REPOSITORY,
      [PR_TAG_KEYS.pullRequest]: "7",
      [PR_TAG_KEYS.headSha]: HEAD_SHA,
      [PR_TAG_KEYS.basePipeline]: "pipewright-orders",
      ...overrides,
    })
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([key, value]) => ({ key, value }));

  it("accepts a pipeline whose tags match its name and this repository (any case)", () => {
    const created = new Date("2025-01-01T00:00:00Z");
    expect(checkPrPipelineTags({ ...candidate, created }, tags({ [PR_TAG_KEYS.repository]: REPOSITORY.toUpperCase() }), REPOSITORY)).toEqual({
      managed: true,
      pipeline: { ...candidate, repository: REPOSITORY, headSha: HEAD_SHA, created },
    });
    expect(checkPrPipelineTags(candidate, tags({ [PR_TAG_KEYS.basePipeline]: undefined, [PR_TAG_KEYS.headSha]: "main" }), REPOSITORY)).toEqual({
      managed: true,
      pipeline: { ...candidate, repository: REPOSITORY },
    });
  });

  it.each([
    ["untagged", { [PR_TAG_KEYS.repository]: undefined }, /no pipewright:repository/],
    ["another repository", { [PR_TAG_KEYS.repository]: "other/repo" }, /belongs to repository other\/repo/],
    ["another number", { [PR_TAG_KEYS.pullRequest]: "8" }, /tag is 8, its name says 7/],
    ["another base", { [PR_TAG_KEYS.basePipeline]: "pipewright-payments" }, /tag is pipewright-payments/],
  ])("leaves alone a pipeline with %s", (_what, overrides, reason) => {
    const check = checkPrPipelineTags(candidate, tags(overrides), REPOSITORY);
    expect(check).toEqual({ managed: false, reason: expect.stringMatching(reason) });
  });
});
