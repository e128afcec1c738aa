import type { QueueMessage } from "../../../sandbox/aws/sqs";
import { ASYNC_RETRY_DELAYS_MS, BusTargetDelivery, type MessageQueue } from "../../../sandbox/runtime/event-delivery";
import type { InvokeOutcome } from "../../../sandbox/runtime/function-pool";
import type { BusTargetSpec, RunnableFunction } from "../../../sandbox/runtime/manifest";

const RULE_ARN = "arn:aws:events:eu-west-1:100000000001:rule/pipewright-github/pipewright-pr-pipelines";
const NOW = Date.parse("2026-11-29T12:00:00Z");

/** A queue that hands out its messages once, then long-polls until stopped; records deletes and sends. */
class FakeQueue implements MessageQueue {
  readonly deleted: string[] = [];
  readonly sent: Array<{ body: string; attributes: Record<string, string> | undefined }> = [];
  private pending: QueueMessage[];

  constructor(
    readonly url: string,
    bodies: string[] = [],
  ) {
    this.pending = bodies.map((body, index) => ({ messageId: `m${index}`, receiptHandle: `r${index}`, body, receiveCount: 1 }));
  }

  async receive(options: { signal?: AbortSignal }): Promise<QueueMessage[]> {
    if (this.pending.length > 0) return this.pending.splice(0);
    await new Promise<void>((resolve) => options.signal?.addEventListener("abort", () => resolve(), { once: true }));
    throw new Error("aborted");
  }

  async delete(receiptHandle: string): Promise<void> {
    this.deleted.push(receiptHandle);
  }

  async send(body: string, attributes?: Record<string, string>): Promise<void> {
    this.sent.push({ body, attributes });
  }
}

function fn(overrides: Partial<RunnableFunction> = {}): RunnableFunction {
  return {
    name: "pipewright-pr-pipelines",
    arn: "arn:aws:lambda:eu-west-1:100000000001:function:pipewright-pr-pipelines",
    roleArn: "arn:aws:iam::100000000001:role/pipewright-pr-pipelines",
    handler: "index.handler",
    runtime: "nodejs22.x",
    archive: "/dev/null",
    timeoutSeconds: 30,
    memoryMb: 256,
    environment: {},
    logGroup: "/aws/lambda/pipewright-pr-pipelines",
    permissions: [{ principal: "events.amazonaws.com", sourceArn: RULE_ARN }],
    asyncInvoke: {
      maximumRetryAttempts: 2,
      maximumEventAgeSeconds: 3600,
      onFailure: "arn:aws:sqs:eu-west-1:100000000001:pipewright-pr-pipelines-dlq",
    },
    codeDir: "/dev/null",
    credentials: { accessKeyId: "AKIA", secretAccessKey: "secret" },
    ...overrides,
  };
}

const target: BusTargetSpec = {
  ruleName: "pipewright-pr-pipelines",
  ruleArn: RULE_ARN,
  functionName: "pipewright-pr-pipelines",
  targetArn: "arn:aws:lambda:eu-west-1:100000000001:function:pipewright-pr-pipelines",
  maximumRetryAttempts: 8,
  maximumEventAgeSeconds: 3600,
  deliveryQueueUrl: "http://127.0.0.1/100000000001/pipewright-pr-pipelines-sandbox-delivery",
};

const event = (time = new Date(NOW - 1_000).toISOString()) =>
  JSON.stringify({ id: "event-1", time, "detail-type": "pull_request", detail: { number: 7 } });
const ok: InvokeOutcome = { ok: true, requestId: "req", value: { outcome: "ran" }, durationMs: 5 };
const failed: InvokeOutcome = {
  ok: false,
  requestId: "req-failed",
  kind: "Unhandled",
  error: { errorType: "PullRequestPipelineError", errorMessage: "CreatePipeline failed", trace: [] },
  durationMs: 5,
};

/** Runs one delivery of `bodies` to its end: until the delivery queue deleted every message. */
async function deliver(options: { bodies: string[]; invoke: (event: unknown) => Promise<InvokeOutcome>; fn?: RunnableFunction }) {
  const deliveryQueue = new FakeQueue(target.deliveryQueueUrl, options.bodies);
  const ruleDeadLetterQueue = new FakeQueue("rule-dlq");
  const onFailureQueue = new FakeQueue("on-failure");
  const sleeps: number[] = [];
  const logs: string[] = [];
  const delivery = new BusTargetDelivery({
    target,
    fn: options.fn ?? fn(),
    invoke: options.invoke,
    deliveryQueue,
    ruleDeadLetterQueue,
    onFailureQueue,
    maxInFlight: 4,
    log: (message) => logs.push(message),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    now: () => NOW,
  });
  delivery.start();
  const deadline = Date.now() + 5_000;
  while (deliveryQueue.deleted.length < options.bodies.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  await delivery.stop();
  return { deliveryQueue, ruleDeadLetterQueue, onFailureQueue, sleeps, logs };
}

describe("BusTargetDelivery (EventBridge to a Lambda function, as the sandbox runs it)", () => {
  it("invokes the function once with the event and removes it from the delivery queue when it succeeds", async () => {
    const invoke = jest.fn(async () => ok);
    const { deliveryQueue, ruleDeadLetterQueue, onFailureQueue } = await deliver({ bodies: [event()], invoke });
    expect(invoke).toHaveBeenCalledTimes(1);
    expect(invoke).toHaveBeenCalledWith(expect.objectContaining({ id: "event-1", detail: { number: 7 } }));
    expect(deliveryQueue.deleted).toEqual(["r0"]);
    expect([...ruleDeadLetterQueue.sent, ...onFailureQueue.sent]).toEqual([]);
  });

  it("retries a failing function as Lambda does (1 + MaximumRetryAttempts, waits of 1 and 2 s), then sends the invocation record to the on-failure destination", async () => {
    const invoke = jest.fn(async () => failed);
    const { deliveryQueue, onFailureQueue, ruleDeadLetterQueue, sleeps } = await deliver({ bodies: [event()], invoke });
    expect(invoke).toHaveBeenCalledTimes(3);
    expect(sleeps).toEqual([...ASYNC_RETRY_DELAYS_MS]);
    expect(onFailureQueue.sent).toHaveLength(1);
    expect(JSON.parse(onFailureQueue.sent[0]?.body as string)).toMatchObject({
      requestContext: { condition: "RetriesExhausted", approximateInvokeCount: 3, functionArn: `${fn().arn}:$LATEST` },
      requestPayload: { id: "event-1" },
      responseContext: { functionError: "Unhandled" },
      responsePayload: { errorType: "PullRequestPipelineError", errorMessage: "CreatePipeline failed" },
    });
    expect(ruleDeadLetterQueue.sent).toEqual([]);
    expect(deliveryQueue.deleted).toEqual(["r0"]);
  });

  it("stops retrying once the function succeeds", async () => {
    const invoke = jest.fn<Promise<InvokeOutcome>, [unknown]>().mockResolvedValueOnce(failed).mockResolvedValueOnce(ok);
    const { onFailureQueue } = await deliver({ bodies: [event()], invoke });
    expect(invoke).toHaveBeenCalledTimes(2);
    expect(onFailureQueue.sent).toEqual([]);
  });

  it("dead-letters the event without invoking when the function's resource policy does not allow the rule (NO_PERMISSIONS)", async () => {
    const invoke = jest.fn(async () => ok);
    const otherRule = fn({ permissions: [{ principal: "events.amazonaws.com", sourceArn: `${RULE_ARN}-other` }] });
    const { ruleDeadLetterQueue, deliveryQueue } = await deliver({ bodies: [event()], invoke, fn: otherRule });
    expect(invoke).not.toHaveBeenCalled();
    expect(ruleDeadLetterQueue.sent).toEqual([
      {
        body: expect.stringContaining('"id":"event-1"'),
        attributes: expect.objectContaining({ ERROR_CODE: "NO_PERMISSIONS", RULE_ARN, TARGET_ARN: target.targetArn }),
      },
    ]);
    expect(deliveryQueue.deleted).toEqual(["r0"]);
  });

  it("dead-letters an event older than the target's maximum event age (EVENT_EXPIRED)", async () => {
    const invoke = jest.fn(async () => ok);
    const old = new Date(NOW - (target.maximumEventAgeSeconds + 1) * 1000).toISOString();
    const { ruleDeadLetterQueue } = await deliver({ bodies: [event(old)], invoke });
    expect(invoke).not.toHaveBeenCalled();
    expect(ruleDeadLetterQueue.sent[0]?.attributes).toMatchObject({ ERROR_CODE: "EVENT_EXPIRED" });
  });

  it("drops a message that is not JSON, saying so, instead of retrying it forever", async () => {
    const invoke = jest.fn(async () => ok);
    const { deliveryQueue, logs } = await deliver({ bodies: ["{not json"], invoke });
    expect(invoke).not.toHaveBeenCalled();
    expect(deliveryQueue.deleted).toEqual(["r0"]);
    expect(logs).toContain("Dropping a delivery that is not JSON");
  });
});
