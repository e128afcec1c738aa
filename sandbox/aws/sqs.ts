import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";

export interface QueueMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  /** How often the message was received, this time included. */
  readonly receiveCount: number;
}

/**
 * The few SQS calls the sandbox runtime makes, through `client` (one per
 * identity, shared by its queues, so the connections to the emulator are reused).
 */
export class SqsQueue {
  constructor(
    private readonly client: SQSClient,
    readonly url: string,
  ) {}

  /** Long-polls for up to 10 messages; hides them for `visibilitySeconds` while they are worked on. */
  async receive(options: { waitSeconds: number; visibilitySeconds: number; max?: number; signal?: AbortSignal }): Promise<QueueMessage[]> {
    const { Messages } = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.url,
        MaxNumberOfMessages: options.max ?? 10,
        WaitTimeSeconds: options.waitSeconds,
        VisibilityTimeout: options.visibilitySeconds,
        MessageSystemAttributeNames: ["ApproximateReceiveCount"],
      }),
      { abortSignal: options.signal },
    );
    return (Messages ?? []).map((m) => ({
      messageId: m.MessageId ?? "",
      receiptHandle: m.ReceiptHandle ?? "",
      body: m.Body ?? "",
      receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? "1"),
    }));
  }

  async delete(receiptHandle: string): Promise<void> {
    await this.client.send(new DeleteMessageCommand({ QueueUrl: this.url, ReceiptHandle: receiptHandle }));
  }

  async send(body: string, attributes: Record<string, string> = {}): Promise<void> {
    const messageAttributes = Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: "String", StringValue: v }]));
    await this.client.send(new SendMessageCommand({ QueueUrl: this.url, MessageBody: body, MessageAttributes: messageAttributes }));
  }
}
