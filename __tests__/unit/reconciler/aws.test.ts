import {
  CodePipelineClient,
  ListPipelineExecutionsCommand,
  ListPipelinesCommand,
  ListTagsForResourceCommand,
  PipelineNotFoundException,
} from "@aws-sdk/client-codepipeline";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { PR_TAG_KEYS } from "../../../functions/pr-pipelines/clone";
import { CodePipelineInventory, stsPipelineArnPrefix } from "../../../functions/reconciler/aws";
import { repositories } from "../pr-pipelines/support/fixtures";
import { daysAgo, HEAD_SHA, prPipeline, REPOSITORY } from "./support/fixtures";

const codepipeline = mockClient(CodePipelineClient);
const sts = mockClient(STSClient);
afterEach(() => {
  codepipeline.reset();
  sts.reset();
});
afterAll(() => {
  codepipeline.restore();
  sts.restore();
});

const PREFIX = "arn:aws:codepipeline:eu-west-1:111111111111:";
const inventory = () =>
  new CodePipelineInventory(new CodePipelineClient({ region: "eu-west-1" }), {
    repositories,
    arnPrefix: async () => PREFIX,
  });

describe("CodePipelineInventory", () => {
  it("reads every page of tags", async () => {
    codepipeline
      .on(ListPipelinesCommand)
      .resolves({ pipelines: [{ name: "pipewright-orders-pr-3", created: daysAgo(5) }, { name: "pipewright-orders" }] });
    codepipeline
      .on(ListTagsForResourceCommand, { resourceArn: `${PREFIX}pipewright-orders-pr-3`, nextToken: undefined })
      .resolves({ tags: [{ key: PR_TAG_KEYS.repository, value: REPOSITORY }], nextToken: "t2" })
      .on(ListTagsForResourceCommand, { resourceArn: `${PREFIX}pipewright-orders-pr-3`, nextToken: "t2" })
      .resolves({
        tags: [
          { key: PR_TAG_KEYS.pullRequest, value: "3" },
          { key: PR_TAG_KEYS.headSha, value: HEAD_SHA },
        ],
      });
    await expect(inventory().listPrPipelines()).resolves.toEqual({
      pipelines: [{ ...prPipeline("pipewright-orders", 3), created: daysAgo(5) }],
      ignored: [],
      failures: [],
    });
    expect(codepipeline.commandCalls(ListTagsForResourceCommand)).toHaveLength(2);
  });

  it("asks for no ARN prefix and no tags when no pipeline is named like a pull request pipeline", async () => {
    codepipeline.on(ListPipelinesCommand).resolves({ pipelines: [{ name: "pipewright-orders" }, { name: "unrelated" }] });
    const arnPrefix = jest.fn(async () => PREFIX);
    const result = await new CodePipelineInventory(new CodePipelineClient({ region: "eu-west-1" }), {
      repositories,
      arnPrefix,
    }).listPrPipelines();
    expect(result).toEqual({ pipelines: [], ignored: [], failures: [] });
    expect(arnPrefix).not.toHaveBeenCalled();
  });

  it("skips a pipeline deleted while it was being listed", async () => {
    codepipeline.on(ListPipelinesCommand).resolves({ pipelines: [{ name: "pipewright-orders-pr-3" }] });
    codepipeline.on(ListTagsForResourceCommand).rejects(Object.assign(new Error("gone"), { name: "ResourceNotFoundException" }));
    await expect(inventory().listPrPipelines()).resolves.toEqual({ pipelines: [], ignored: [], failures: [] });
  });

  it("takes the newest execution start, falls back to the creation time, and says when the pipeline is gone", async () => {
    codepipeline.on(ListPipelineExecutionsCommand, { pipelineName: "pipewright-orders-pr-1" }).resolves({
      pipelineExecutionSummaries: [
        { pipelineExecutionId: "b", startTime: daysAgo(9) },
        { pipelineExecutionId: "a", startTime: daysAgo(3) },
        { pipelineExecutionId: "c" },
      ],
    });
    codepipeline.on(ListPipelineExecutionsCommand, { pipelineName: "pipewright-orders-pr-2" }).resolves({ pipelineExecutionSummaries: [] });
    codepipeline
      .on(ListPipelineExecutionsCommand, { pipelineName: "pipewright-orders-pr-3" })
      .rejects(new PipelineNotFoundException({ message: "gone", $metadata: {} }));
    const subject = inventory();
    await expect(subject.lastActivity(prPipeline("pipewright-orders", 1))).resolves.toEqual(daysAgo(3));
    await expect(subject.lastActivity(prPipeline("pipewright-orders", 2, { created: daysAgo(40) }))).resolves.toEqual(daysAgo(40));
    await expect(subject.lastActivity(prPipeline("pipewright-orders", 2))).resolves.toBeUndefined();
    await expect(subject.lastActivity(prPipeline("pipewright-orders", 3))).resolves.toBe("missing");
  });
});

describe("stsPipelineArnPrefix", () => {
  it("builds the prefix from the caller's partition and account, once", async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: "123456789012", Arn: "arn:aws-us-gov:sts::123456789012:assumed-role/r/s" });
    const prefix = stsPipelineArnPrefix(new STSClient({ region: "us-gov-west-1" }), "us-gov-west-1");
    await expect(prefix()).resolves.toBe("arn:aws-us-gov:codepipeline:us-gov-west-1:123456789012:");
    await expect(prefix()).resolves.toBe("arn:aws-us-gov:codepipeline:us-gov-west-1:123456789012:");
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
  });

  it("asks again after a failure", async () => {
    sts
      .on(GetCallerIdentityCommand)
      .rejectsOnce(new Error("network"))
      .resolves({ Account: "123456789012", Arn: "arn:aws:sts::123456789012:assumed-role/r/s" });
    const prefix = stsPipelineArnPrefix(new STSClient({ region: "eu-west-1" }), "eu-west-1");
    await expect(prefix()).rejects.toThrow("network");
    await expect(prefix()).resolves.toBe("arn:aws:codepipeline:eu-west-1:123456789012:");
  });
});
