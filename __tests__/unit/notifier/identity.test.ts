import { identifyPipeline, needsTags, PR_TAG_KEYS } from "../../../functions/notifier/identity";
import { PR_TAG_KEYS as PR_PIPELINES_TAG_KEYS } from "../../../functions/pr-pipelines/clone";

const services = [
  { name: "orders", pipeline: "pipewright-orders" },
  { name: "payments", pipeline: "pipewright-payments" },
];

describe("identifyPipeline", () => {
  test("a service's main pipeline is known by name, without tags", () => {
    expect(needsTags("pipewright-orders", services)).toBe(false);
    expect(identifyPipeline("pipewright-orders", services, undefined)).toEqual({ pipeline: "pipewright-orders", service: "orders", isMain: true });
  });

  test("a pull request pipeline by its tags, also when its name was shortened with a hash", () => {
    const name = "pipewright-paym-0123456789-pr-12";
    const tags = {
      [PR_TAG_KEYS.pullRequest]: "12",
      [PR_TAG_KEYS.basePipeline]: "pipewright-payments",
      [PR_TAG_KEYS.headSha]: "f".repeat(40),
      [PR_TAG_KEYS.repository]: "acme-corp/shop",
    };
    expect(needsTags(name, services)).toBe(true);
    expect(identifyPipeline(name, services, tags)).toEqual({
      pipeline: name,
      service: "payments",
      isMain: false,
      pullRequest: 12,
      basePipeline: "pipewright-payments",
      headShaTag: "f".repeat(40),
    });
  });

  test("a pull request pipeline by its <base>-pr-<n> name when the tags cannot be read", () => {
    expect(identifyPipeline("pipewright-orders-pr-7", services, undefined)).toMatchObject({
      service: "orders",
      isMain: false,
      pullRequest: 7,
      basePipeline: "pipewright-orders",
    });
  });

  test("any other pipeline of the prefix is neither main nor a pull request's", () => {
    expect(identifyPipeline("pipewright-tools", services, {})).toEqual({ pipeline: "pipewright-tools", isMain: false, service: undefined });
    expect(identifyPipeline("pipewright-x-pr-0", services, {}).pullRequest).toBeUndefined();
  });

  test("uses the tag keys the pr-pipelines function writes", () => {
    expect(PR_TAG_KEYS).toEqual(PR_PIPELINES_TAG_KEYS);
  });
});
