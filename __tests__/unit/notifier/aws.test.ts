import {
  CodePipelineClient,
  GetPipelineExecutionCommand,
  ListActionExecutionsCommand,
  ListPipelineExecutionsCommand,
  ListTagsForResourceCommand,
} from "@aws-sdk/client-codepipeline";
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { CodePipelineFacts, secretsManagerValue, SnsTopicPublisher } from "../../../functions/notifier/aws";

const SHA = "3f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a";
const codepipeline = mockClient(CodePipelineClient);
const sns = mockClient(SNSClient);
const secrets = mockClient(SecretsManagerClient);
const client = () => new CodePipelineClient({ region: "us-east-1" });

beforeEach(() => {
  codepipeline.reset();
  sns.reset();
  secrets.reset();
});
afterAll(() => {
  codepipeline.restore();
  sns.restore();
  secrets.restore();
});

describe("CodePipelineFacts", () => {
  test("maps GetPipelineExecution's revisions, status and trigger", async () => {
    codepipeline.on(GetPipelineExecutionCommand, { pipelineName: "p", pipelineExecutionId: "e" }).resolves({
      pipelineExecution: {
        status: "Failed",
        statusSummary: "Stopped by alice",
        artifactRevisions: [{ name: "SourceOutput", revisionId: SHA, revisionSummary: '{"ProviderType":"GitHub","CommitMessage":"m"}' }],
        trigger: { triggerType: "StartPipelineExecution", triggerDetail: "arn:aws:sts::1:assumed-role/r/s" },
      },
    });
    await expect(new CodePipelineFacts(client()).execution("p", "e")).resolves.toEqual({
      status: "Failed",
      statusSummary: "Stopped by alice",
      revisions: [
        { name: "SourceOutput", revisionId: SHA, revisionSummary: '{"ProviderType":"GitHub","CommitMessage":"m"}', revisionUrl: undefined },
      ],
      trigger: { type: "StartPipelineExecution", detail: "arn:aws:sts::1:assumed-role/r/s" },
    });
  });

  test("lists the execution's action executions page by page, with what a failure reported", async () => {
    codepipeline
      .on(ListActionExecutionsCommand, { pipelineName: "p", filter: { pipelineExecutionId: "e" }, nextToken: undefined })
      .resolves({
        actionExecutionDetails: [
          {
            stageName: "Build",
            actionName: "Build",
            status: "Failed",
            input: {
              actionTypeId: { category: "Build", owner: "AWS", provider: "CodeBuild", version: "1" },
              resolvedConfiguration: { ProjectName: "x" },
            },
            output: {
              executionResult: {
                externalExecutionSummary: "Build terminated with state: FAILED",
                externalExecutionUrl: "https://console.aws.amazon.com/codebuild/x",
                errorDetails: { code: "JobFailed", message: "exit status 1" },
              },
            },
          },
        ],
        nextToken: "page-2",
      })
      .on(ListActionExecutionsCommand, { nextToken: "page-2" })
      .resolves({
        actionExecutionDetails: [{ stageName: "Source", actionName: "Source", status: "Succeeded", output: { outputVariables: { CommitId: SHA } } }],
      });

    const actions = await new CodePipelineFacts(client()).actionExecutions("p", "e");

    expect(actions).toHaveLength(2);
    expect(actions[0]).toMatchObject({
      stage: "Build",
      action: "Build",
      status: "Failed",
      category: "Build",
      provider: "CodeBuild",
      configuration: { ProjectName: "x" },
      externalExecutionSummary: "Build terminated with state: FAILED",
      externalExecutionUrl: "https://console.aws.amazon.com/codebuild/x",
      errorCode: "JobFailed",
      errorMessage: "exit status 1",
    });
    expect(actions[1]).toMatchObject({ stage: "Source", outputVariables: { CommitId: SHA } });
  });

  test("reads tags by the pipeline's ARN", async () => {
    codepipeline.on(ListTagsForResourceCommand, { resourceArn: "arn:aws:codepipeline:us-east-1:1:p-pr-1" }).resolves({
      tags: [{ key: "pipewright:pull-request", value: "1" }],
    });
    await expect(new CodePipelineFacts(client()).tags("arn:aws:codepipeline:us-east-1:1:p-pr-1")).resolves.toEqual({
      "pipewright:pull-request": "1",
    });
  });

  test("lists recent executions newest first", async () => {
    codepipeline.on(ListPipelineExecutionsCommand, { pipelineName: "p" }).resolves({
      pipelineExecutionSummaries: [
        { pipelineExecutionId: "e2", status: "Succeeded" },
        { pipelineExecutionId: "e1", status: "Failed" },
        { status: "Failed" },
      ],
    });
    await expect(new CodePipelineFacts(client()).recentExecutions("p")).resolves.toEqual([
      { executionId: "e2", status: "Succeeded", startTime: undefined },
      { executionId: "e1", status: "Failed", startTime: undefined },
    ]);
  });
});

describe("SnsTopicPublisher", () => {
  test("publishes subject and plain-text body to the topic", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    const topicArn = "arn:aws:sns:us-east-1:111111111111:pipewright-notifications";
    await expect(new SnsTopicPublisher(new SNSClient({ region: "us-east-1" }), topicArn).publish({ subject: "S", body: "B" })).resolves.toEqual({
      status: "delivered",
      detail: "message m-1",
    });
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).toEqual({ TopicArn: topicArn, Subject: "S", Message: "B" });
  });
});

describe("secretsManagerValue", () => {
  const ARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:pipewright/slack-webhook-url-AbCdEf";
  const read = () => secretsManagerValue(ARN, new SecretsManagerClient({ region: "us-east-1" }));

  test("returns the SecretString, cached", async () => {
    secrets.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: "https://hooks.slack.com/services/x" });
    const value = read();
    expect(await value()).toBe("https://hooks.slack.com/services/x");
    expect(await value()).toBe("https://hooks.slack.com/services/x");
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  test("a secret without a value yet (what the stacks create) reads as undefined", async () => {
    secrets.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "no AWSCURRENT", $metadata: {} }));
    await expect(read()()).resolves.toBeUndefined();
  });

  test("a binary secret and other failures are errors", async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1]) });
    await expect(read()()).rejects.toThrow(/binary secret/);
    secrets.on(GetSecretValueCommand).rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));
    await expect(read()()).rejects.toThrow();
  });
});
