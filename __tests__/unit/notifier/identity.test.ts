import { identifyPipeline, needsTags, PR_TAG_KEYS } from "../../../functions/notifier/identity";
import { PR_TAG_KEYS as PR_PIPELINES_TAG_KEYS } from "../../../functions/pr-pipelines/clone";
import { prPipelineName } from "../../../functions/pr-pipelines/names";
import { BILLING, CATALOG, SHOP } from "./notifications";

const services = CATALOG;

describe("identifyPipeline", () => {
  test("a service's main pipeline is known by name, without tags", () => {
    expect(needsTags("pipewright-orders", services)).toBe(false);
    expect(identifyPipeline("pipewright-orders", services, undefined)).toEqual({
      pipeline: "pipewright-orders",
      repository: SHOP,
      service: "orders",
      isMain: true,
    });
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
      repository: SHOP,
      service: "payments",
      isMain: false,
      pullRequest: 12,
      basePipeline: "pipewright-payments",
      headShaTag: "f".repeat(40),
    });
  });

  test.each([
    ["false", false],
    ["true", true],
  ])("whether a pull request pipeline deploys a preview, by its tag (%s)", (tag, deploysPreview) => {
    const tags = { [PR_TAG_KEYS.pullRequest]: "7", [PR_TAG_KEYS.basePipeline]: "pipewright-orders", [PR_TAG_KEYS.preview]: tag };
    expect(identifyPipeline("pipewright-orders-pr-7", services, tags).deploysPreview).toBe(deploysPreview);
    expect(identifyPipeline("pipewright-orders-pr-7", services, { [PR_TAG_KEYS.pullRequest]: "7" })).not.toHaveProperty("deploysPreview");
  });

  test("a pull request pipeline by its <base>-pr-<n> name when the tags cannot be read", () => {
    expect(identifyPipeline("pipewright-orders-pr-7", services, undefined)).toMatchObject({
      repository: SHOP,
      service: "orders",
      isMain: false,
      pullRequest: 7,
      basePipeline: "pipewright-orders",
    });
  });

  test("any other pipeline of the prefix is neither main nor a pull request's", () => {
    expect(identifyPipeline("pipewright-tools", services, {})).toEqual({ pipeline: "pipewright-tools", isMain: false });
    expect(identifyPipeline("pipewright-x-pr-0", services, {}).pullRequest).toBeUndefined();
  });

  test("each repository's pipelines, main and pull request, belong to that repository, with its main branch", () => {
    const main = identifyPipeline("pipewright-billing-invoices", services, undefined);
    expect(main).toEqual({ pipeline: "pipewright-billing-invoices", repository: BILLING, service: "invoices", isMain: true });
    expect(main.repository?.mainBranch).toBe("release");
    const pr = prPipelineName("pipewright-billing-invoices", 3);
    expect(identifyPipeline(pr, services, undefined)).toMatchObject({ repository: BILLING, service: "invoices", pullRequest: 3 });
  });

  test("a pull request pipeline whose base pipeline is no longer configured belongs to its tagged repository only when that one is configured", () => {
    const tags = (repository: string) => ({
      [PR_TAG_KEYS.pullRequest]: "4",
      [PR_TAG_KEYS.basePipeline]: "pipewright-retired",
      [PR_TAG_KEYS.repository]: repository,
    });
    expect(identifyPipeline("pipewright-retired-pr-4", services, tags("Acme-Corp/Billing"))).toMatchObject({
      repository: BILLING,
      service: undefined,
    });
    expect(identifyPipeline("pipewright-retired-pr-4", services, tags("acme-corp/unknown")).repository).toBeUndefined();
  });

  test("uses the tag keys the pr-pipelines function writes", () => {
    expect(PR_TAG_KEYS).toEqual(PR_PIPELINES_TAG_KEYS);
  });
});
