/**
 * What the end-to-end tests read from the emulator: pipelines, executions,
 * artifacts and queues, through the AWS SDK signed as the build account's
 * administrator (the emulator checks IAM), and the sandbox's webhook.
 */
import {
  CodePipelineClient,
  GetPipelineCommand,
  ListActionExecutionsCommand,
  ListPipelineExecutionsCommand,
  ListPipelinesCommand,
  type PipelineDeclaration,
  type PipelineExecutionSummary,
  StartPipelineExecutionCommand,
} from "@aws-sdk/client-codepipeline";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { ListTopicsCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DescribeRepositoriesCommand, ECRClient, type Repository } from "@aws-sdk/client-ecr";
import { GetBucketEncryptionCommand, ListObjectVersionsCommand, S3Client } from "@aws-sdk/client-s3";
import type { SandboxState } from "../../../sandbox/state";
import { sendDelivery, type Delivery, type DeliveryAnswer } from "../../../sandbox/webhook-client";

export class SandboxWorld {
  readonly pipelines: CodePipelineClient;
  readonly s3: S3Client;
  private readonly events: EventBridgeClient;
  private readonly sns: SNSClient;
  private readonly sqs: SQSClient;
  private readonly ecr: ECRClient;

  constructor(readonly state: SandboxState) {
    const credentials = state.credentials.build;
    const config = { endpoint: state.awsEndpoint, region: state.region, credentials, maxAttempts: 1, forcePathStyle: true };
    this.pipelines = new CodePipelineClient(config);
    this.s3 = new S3Client(config);
    this.events = new EventBridgeClient(config);
    this.sns = new SNSClient(config);
    this.sqs = new SQSClient(config);
    this.ecr = new ECRClient(config);
  }

  destroy(): void {
    this.pipelines.destroy();
    this.s3.destroy();
    this.events.destroy();
    this.sns.destroy();
    this.sqs.destroy();
    this.ecr.destroy();
  }

  /** Starts a main pipeline as its administrator would; returns the execution id. */
  async startExecution(pipeline: string): Promise<string> {
    return (await this.pipelines.send(new StartPipelineExecutionCommand({ name: pipeline }))).pipelineExecutionId as string;
  }

  /** Puts an event on the default bus as CodePipeline would (source aws.codepipeline, the build account and Region). */
  async putCodePipelineEvent(event: { "detail-type": string; detail: Record<string, unknown> & { pipeline: string } }): Promise<void> {
    const { accounts, region } = this.state;
    const output = await this.events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: "aws.codepipeline",
            DetailType: event["detail-type"],
            Resources: [`arn:aws:codepipeline:${region}:${accounts.build}:${event.detail.pipeline}`],
            Detail: JSON.stringify({ region, ...event.detail }),
          },
        ],
      }),
    );
    if (output.FailedEntryCount) throw new Error(`PutEvents refused the event: ${JSON.stringify(output.Entries)}`);
  }

  /**
   * An SQS queue subscribed to the platform's notifications topic (where the
   * e-mail subscriptions are), to read what people would be sent.
   */
  async subscribeToNotifications(): Promise<{ receive(): Promise<Array<{ subject?: string; body: string }>> }> {
    const topics = (await this.sns.send(new ListTopicsCommand({}))).Topics ?? [];
    const topicArn = topics.map((t) => t.TopicArn as string).find((arn) => arn.endsWith(":pipewright-notifications"));
    if (!topicArn) throw new Error(`No notifications topic among ${JSON.stringify(topics)}`);
    const queueUrl = (await this.sqs.send(new CreateQueueCommand({ QueueName: `e2e-notifications-${Date.now()}` }))).QueueUrl as string;
    const queueArn = (await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }))).Attributes?.QueueArn;
    await this.sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: queueArn, Attributes: { RawMessageDelivery: "false" } }),
    );
    const sqs = this.sqs;
    return {
      async receive() {
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        await Promise.all(Messages.map((m) => sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }))));
        // SNS's envelope for SQS subscribers: {"Type": "Notification", "Subject", "Message", ...}.
        return Messages.map((m) => {
          const envelope = JSON.parse(m.Body as string) as { Subject?: string; Message: string };
          return { subject: envelope.Subject, body: envelope.Message };
        });
      },
    };
  }

  /** A delivery signed with the sandbox's secret, posted to its webhook. */
  deliver(delivery: Delivery): Promise<DeliveryAnswer> {
    return sendDelivery(this.state.webhookUrl, this.state.webhookSecret, delivery);
  }

  async pipelineNames(): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.pipelines.send(new ListPipelinesCommand({ nextToken }));
      names.push(...(page.pipelines ?? []).map((p) => p.name as string));
      nextToken = page.nextToken;
    } while (nextToken);
    return names.sort();
  }

  /** An ECR repository of the build account. */
  async imageRepository(name: string): Promise<Repository> {
    const { repositories } = await this.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
    const [repository] = repositories ?? [];
    if (repository === undefined) throw new Error(`The build account has no ECR repository ${name}`);
    return repository;
  }

  /** The KMS key a bucket of the build account encrypts with by default. */
  async bucketKey(bucket: string): Promise<string> {
    const output = await this.s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    const key = output.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID;
    if (key === undefined) throw new Error(`Bucket ${bucket} has no default KMS key`);
    return key;
  }

  async declaration(name: string): Promise<PipelineDeclaration> {
    return (await this.pipelines.send(new GetPipelineCommand({ name }))).pipeline as PipelineDeclaration;
  }

  /** Executions of a pipeline, newest first. */
  async executions(name: string): Promise<PipelineExecutionSummary[]> {
    return (await this.pipelines.send(new ListPipelineExecutionsCommand({ pipelineName: name }))).pipelineExecutionSummaries ?? [];
  }

  /** The artifact keys the executions of a pipeline wrote (what CodePipeline reports, not a key prefix). */
  async artifactKeys(name: string): Promise<string[]> {
    const keys: string[] = [];
    for (const execution of await this.executions(name)) {
      const details = await this.pipelines.send(
        new ListActionExecutionsCommand({ pipelineName: name, filter: { pipelineExecutionId: execution.pipelineExecutionId } }),
      );
      for (const detail of details.actionExecutionDetails ?? []) {
        for (const artifact of detail.output?.outputArtifacts ?? []) if (artifact.s3location?.key) keys.push(artifact.s3location.key);
      }
    }
    return keys;
  }

  /** Every version and delete marker in an artifact store (the pull requests', or main's) whose key starts with `prefix`. */
  async artifactVersions(prefix: string, store: "pr" | "main" = "pr"): Promise<string[]> {
    const bucket = store === "pr" ? this.state.resources.prArtifactBucket : this.state.resources.artifactBucket;
    const page = await this.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }));
    return [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => `${v.Key}@${v.VersionId}`);
  }

  /** Messages in a queue, visible or being worked on. */
  async queueDepth(url: string): Promise<number> {
    const { Attributes: attributes = {} } = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
    );
    return Number(attributes.ApproximateNumberOfMessages ?? 0) + Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
  }

  /**
   * Waits until every event the bus handed to a function has been dealt
   * with: the sandbox's delivery queues are empty (a message leaves its
   * queue only once its function succeeded or it was dead-lettered).
   */
  async settled(timeoutMs = 20_000): Promise<void> {
    const queues = Object.values(this.state.resources.deliveryQueues);
    await eventually(async () => {
      const depths = await Promise.all(queues.map((url) => this.queueDepth(url)));
      if (depths.some((d) => d > 0)) throw new Error(`Deliveries still in progress: ${depths.join(", ")}`);
    }, timeoutMs);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retries `check` until it passes or `timeoutMs` is over; then rethrows its last failure. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(intervalMs);
    }
  }
}
