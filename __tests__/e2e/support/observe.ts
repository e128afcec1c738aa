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
} from "@aws-sdk/client-codepipeline";
import { ListObjectVersionsCommand, S3Client } from "@aws-sdk/client-s3";
import { jsonCall, type AwsTarget } from "../../../sandbox/aws/signed-request";
import type { SandboxState } from "../../../sandbox/state";
import { sendDelivery, type Delivery, type DeliveryAnswer } from "../../../sandbox/webhook-client";

export class SandboxWorld {
  readonly pipelines: CodePipelineClient;
  readonly s3: S3Client;
  private readonly admin: AwsTarget;

  constructor(readonly state: SandboxState) {
    const credentials = state.credentials.build;
    const config = { endpoint: state.awsEndpoint, region: state.region, credentials, maxAttempts: 1, forcePathStyle: true };
    this.pipelines = new CodePipelineClient(config);
    this.s3 = new S3Client(config);
    this.admin = { endpoint: state.awsEndpoint, region: state.region, credentials };
  }

  destroy(): void {
    this.pipelines.destroy();
    this.s3.destroy();
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

  /** Every version and delete marker in the artifact bucket whose key starts with `prefix`. */
  async artifactVersions(prefix: string): Promise<string[]> {
    const page = await this.s3.send(new ListObjectVersionsCommand({ Bucket: this.state.resources.artifactBucket, Prefix: prefix }));
    return [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => `${v.Key}@${v.VersionId}`);
  }

  /** Messages in a queue, visible or being worked on. */
  async queueDepth(url: string): Promise<number> {
    const result = await jsonCall(this.admin, "sqs", "AmazonSQS.GetQueueAttributes", {
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    });
    const attributes = (result.Attributes ?? {}) as Record<string, string>;
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
