import { commitUrl, executionUrl, githubWebOrigin, partitionOfArn, pipelineArn, pipelineViewUrl, safeLink } from "../../../functions/shared/links";

describe("console links", () => {
  test("open the execution's timeline in the pipeline's own Region", () => {
    expect(executionUrl({ partition: "aws", region: "eu-west-1" }, "pipewright-orders", "e-1")).toBe(
      "https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/pipewright-orders/executions/e-1/timeline?region=eu-west-1",
    );
    expect(pipelineViewUrl({ partition: "aws", region: "eu-west-1" }, "pipewright-orders")).toBe(
      "https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/pipewright-orders/view?region=eu-west-1",
    );
  });

  test("use the console host of the partition", () => {
    expect(executionUrl({ partition: "aws-cn", region: "cn-north-1" }, "p", "e")).toMatch(/^https:\/\/cn-north-1\.console\.amazonaws\.cn\//);
    expect(pipelineViewUrl({ partition: "aws-us-gov", region: "us-gov-west-1" }, "p")).toMatch(
      /^https:\/\/us-gov-west-1\.console\.amazonaws-us-gov\.com\//,
    );
  });

  test("are left out for a partition without a known console rather than pointing to the wrong one", () => {
    expect(executionUrl({ partition: "aws-iso", region: "us-iso-east-1" }, "p", "e")).toBeUndefined();
  });

  test("the partition and the pipeline ARN come from the event's resources", () => {
    expect(partitionOfArn("arn:aws-cn:codepipeline:cn-north-1:123456789012:p")).toBe("aws-cn");
    expect(partitionOfArn("nope")).toBeUndefined();
    expect(pipelineArn(["arn:aws-cn:codepipeline:cn-north-1:123456789012:p"], "aws-cn", "cn-north-1", "123456789012", "p")).toBe(
      "arn:aws-cn:codepipeline:cn-north-1:123456789012:p",
    );
    expect(pipelineArn([], "aws", "us-east-1", "123456789012", "p")).toBe("arn:aws:codepipeline:us-east-1:123456789012:p");
  });
});

describe("GitHub links", () => {
  test("github.com for the public API, the server's host for GitHub Enterprise Server", () => {
    expect(githubWebOrigin("https://api.github.com")).toBe("https://github.com");
    expect(githubWebOrigin("https://ghe.example.com/api/v3")).toBe("https://ghe.example.com");
    expect(commitUrl("https://github.com", "acme-corp/shop", "abc")).toBe("https://github.com/acme-corp/shop/commit/abc");
  });
});

describe("safeLink", () => {
  test("keeps https links, drops anything a message should not link to", () => {
    expect(safeLink("https://console.aws.amazon.com/codebuild/home#/builds/x")).toBeDefined();
    expect(safeLink("javascript:alert(1)")).toBeUndefined();
    expect(safeLink("http://example.com")).toBeUndefined();
    expect(safeLink(`https://example.com/${"a".repeat(3000)}`)).toBeUndefined();
    expect(safeLink(undefined)).toBeUndefined();
  });
});
