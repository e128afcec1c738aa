import { jsonCall, type AwsTarget } from "./signed-request";

export interface QueueMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  /** How often the message was received, this time included. */
  readonly receiveCount: number;
}

interface RawMessage {
  MessageId: string;
  ReceiptHandle: string;
  Body: string;
  Attributes?: Record<string, string>;
}

/** The few SQS calls the sandbox runtime makes (JSON protocol), signed as `target`. */
export class SqsQueue {
  constructor(
    private readonly target: AwsTarget,
    readonly url: string,
  ) {}

  /** Long-polls for up to 10 messages; hides them for `visibilitySeconds` while they are worked on. */
  async receive(options: { waitSeconds: number; visibilitySeconds: number; max?: number; signal?: AbortSignal }): Promise<QueueMessage[]> {
    const input = {
      QueueUrl: this.url,
      MaxNumberOfMessages: options.max ?? 10,
      WaitTimeSeconds: options.waitSeconds,
      VisibilityTimeout: options.visibilitySeconds,
      MessageSystemAttributeNames: ["ApproximateReceiveCount"],
    };
    const result = await jsonCall(this.target, "sqs", "AmazonSQS.ReceiveMessage", input, { signal: options.signal });
    return ((result.Messages as RawMessage[] | undefined) ?? []).map((m) => ({
      messageId: m.MessageId,
      receiptHandle: m.ReceiptHandle,
      body: m.Body,
      receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? "1"),
    }));
  }

  async delete(receiptHandle: string): Promise<void> {
    await jsonCall(this.target, "sqs", "AmazonSQS.DeleteMessage", { QueueUrl: this.url, ReceiptHandle: receiptHandle });
  }

  async send(body: string, attributes: Record<string, string> = {}): Promise<void> {
    const messageAttributes = Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: "String", StringValue: v }]));
    await jsonCall(this.target, "sqs", "AmazonSQS.SendMessage", { QueueUrl: this.url, MessageBody: body, MessageAttributes: messageAttributes });
  }
}
