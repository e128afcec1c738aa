/**
 * The emulator's cheaper SQS attribute lookups (sandbox/emulator/sqs_attributes.py)
 * answer as moto's did: the attributes asked for, in full or by name, errors for
 * unknown names, and messages within their retention period delivered.
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type QueueAttributeName,
} from "@aws-sdk/client-sqs";
import { emulatorClientConfig } from "../../sandbox/emulator";
import { useEmulator } from "../support/emulator";

const emulator = useEmulator();
let sqs: SQSClient;
let queueUrl: string;
let fifoUrl: string;

beforeAll(async () => {
  sqs = new SQSClient(emulatorClientConfig(emulator()));
  ({ QueueUrl: queueUrl = "" } = await sqs.send(
    new CreateQueueCommand({ QueueName: "pipewright-deliveries", Attributes: { MessageRetentionPeriod: "600", VisibilityTimeout: "45" } }),
  ));
  ({ QueueUrl: fifoUrl = "" } = await sqs.send(
    new CreateQueueCommand({ QueueName: "pipewright-ordered.fifo", Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true" } }),
  ));
  for (const body of ["one", "two", "three"]) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
});

afterAll(() => sqs?.destroy());

async function attributes(url: string, names: string[]): Promise<Record<string, string> | undefined> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names as QueueAttributeName[] }));
  return Attributes;
}

describe("AWS emulator: SQS queue attributes", () => {
  it("answer named attributes with the values All gives, counting the messages", async () => {
    const all = await attributes(queueUrl, ["All"]);
    expect(all).toMatchObject({ MessageRetentionPeriod: "600", VisibilityTimeout: "45", ApproximateNumberOfMessages: "3" });
    const named = ["VisibilityTimeout", "ApproximateNumberOfMessages", "MessageRetentionPeriod", "QueueArn"];
    expect(await attributes(queueUrl, named)).toEqual(Object.fromEntries(named.map((name) => [name, all?.[name]])));
  });

  it("leave out attributes the queue does not have", async () => {
    expect(await attributes(queueUrl, ["FifoQueue", "DelaySeconds"])).toEqual({ DelaySeconds: "0" });
    expect(await attributes(fifoUrl, ["FifoQueue", "ContentBasedDeduplication"])).toEqual({ FifoQueue: "true", ContentBasedDeduplication: "true" });
  });

  it("refuse an unknown attribute name", async () => {
    await expect(attributes(queueUrl, ["ApproximateNumberOfMessages", "Colour"])).rejects.toMatchObject({
      name: expect.stringMatching(/InvalidAttributeName/),
    });
  });

  it("deliver messages that are within their retention period", async () => {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    expect((Messages ?? []).map((message) => message.Body).sort()).toEqual(["one", "three", "two"]);
  });
});
