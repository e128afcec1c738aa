import type { QueueMessage, SqsQueue } from "../aws/sqs";
import type { InvokeOutcome } from "./function-pool";
import type { BusTargetSpec, RunnableFunction } from "./manifest";
import { mayInvoke } from "./permissions";

/**
 * Lambda retries a failed asynchronous invocation after about 1 and 2
 * minutes. The sandbox keeps the number of attempts but compresses the
 * waits, so a failure reaches the dead-letter queue in seconds.
 */
export const ASYNC_RETRY_DELAYS_MS = [1_000, 2_000] as const;

/** Long-poll length; stop() aborts a poll in progress. */
const POLL_WAIT_SECONDS = 10;

export interface EventBridgeEvent {
  readonly id: string;
  readonly time: string;
  readonly "detail-type": string;
  readonly [key: string]: unknown;
}

/** The queue calls delivery makes (SqsQueue; a fake in tests). */
export type MessageQueue = Pick<SqsQueue, "url" | "receive" | "delete" | "send">;

export interface DeliveryOptions {
  readonly target: BusTargetSpec;
  readonly fn: RunnableFunction;
  readonly invoke: (event: unknown) => Promise<InvokeOutcome>;
  /** The sandbox queue carrying the rule's matches (read as the sandbox administrator). */
  readonly deliveryQueue: MessageQueue;
  /** The rule's dead-letter queue, written as EventBridge (resource policy) would. */
  readonly ruleDeadLetterQueue?: MessageQueue;
  /** The function's on-failure destination, written with the function's own credentials, as Lambda does. */
  readonly onFailureQueue?: MessageQueue;
  /** Deliveries in progress at most (the function's environments do the real limiting). */
  readonly maxInFlight: number;
  readonly log: (message: string, details: Record<string, unknown>) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/**
 * One bus rule's function target, delivered as EventBridge and Lambda would:
 *
 * - EventBridge hands each matched event to Lambda. If the function's
 *   resource policy does not allow this rule, that is not retried: the
 *   event goes to the rule's dead-letter queue (ERROR_CODE NO_PERMISSIONS),
 *   as does an event older than the target's maximum event age.
 * - Lambda runs the function asynchronously: 1 + MaximumRetryAttempts
 *   attempts (the event invoke config), while the event is younger than
 *   MaximumEventAgeInSeconds; then the on-failure destination gets the
 *   invocation record (condition RetriesExhausted or EventAgeExceeded).
 *
 * A matched event stays in the sandbox delivery queue (invisible) until
 * this is over, so an event survives a crash of the runtime.
 */
export class BusTargetDelivery {
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private polling?: Promise<void>;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: DeliveryOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.polling = this.poll();
  }

  /** Stops polling; deliveries in progress are abandoned and reappear in the queue later. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.polling;
  }

  /** How long a received message stays hidden: every attempt with its timeout and waits, and a margin. */
  private get visibilitySeconds(): number {
    const { fn } = this.options;
    const attempts = 1 + fn.asyncInvoke.maximumRetryAttempts;
    return Math.min(43_200, attempts * fn.timeoutSeconds + ASYNC_RETRY_DELAYS_MS.reduce((a, b) => a + b, 0) / 1000 + 60);
  }

  private async poll(): Promise<void> {
    const { deliveryQueue, maxInFlight, log, target } = this.options;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      if (this.inFlight.size >= maxInFlight) {
        await Promise.race(this.inFlight);
        continue;
      }
      let messages: QueueMessage[];
      try {
        messages = await deliveryQueue.receive({
          waitSeconds: POLL_WAIT_SECONDS,
          visibilitySeconds: this.visibilitySeconds,
          max: Math.min(10, maxInFlight - this.inFlight.size),
          signal,
        });
      } catch (error) {
        if (signal.aborted) return;
        log("Polling the delivery queue failed; retrying", { rule: target.ruleName, error: String(error) });
        await this.sleep(1_000);
        continue;
      }
      for (const message of messages) {
        const delivery: Promise<void> = this.handle(message)
          .catch((error: unknown) =>
            log("Delivery failed; the event stays in the queue", { rule: target.ruleName, messageId: message.messageId, error: String(error) }),
          )
          .finally(() => this.inFlight.delete(delivery));
        this.inFlight.add(delivery);
      }
    }
  }

  private async handle(message: QueueMessage): Promise<void> {
    const { deliveryQueue, log, target } = this.options;
    let event: EventBridgeEvent;
    try {
      event = JSON.parse(message.body) as EventBridgeEvent;
    } catch {
      log("Dropping a delivery that is not JSON", { rule: target.ruleName, messageId: message.messageId });
      await deliveryQueue.delete(message.receiptHandle);
      return;
    }
    await this.deliver(event);
    // Stopping mid-delivery: leave the event in its queue, as a crash would.
    if (this.abort.signal.aborted) return;
    await deliveryQueue.delete(message.receiptHandle);
  }

  private async deliver(event: EventBridgeEvent): Promise<void> {
    const { target, fn } = this.options;
    const ageSeconds = (this.now() - Date.parse(event.time)) / 1000;
    if (ageSeconds > target.maximumEventAgeSeconds) {
      return this.deadLetter(event, {
        ERROR_CODE: "EVENT_EXPIRED",
        ERROR_MESSAGE: `Event is older than ${target.maximumEventAgeSeconds} s`,
        EXHAUSTED_RETRY_CONDITION: "MaximumEventAgeInSeconds",
      });
    }
    if (!mayInvoke(fn.permissions, "events.amazonaws.com", target.ruleArn)) {
      return this.deadLetter(event, {
        ERROR_CODE: "NO_PERMISSIONS",
        ERROR_MESSAGE: `The resource policy of ${fn.name} does not allow events.amazonaws.com to invoke it for ${target.ruleArn}`,
      });
    }
    await this.invokeAsynchronously(event);
  }

  private async invokeAsynchronously(event: EventBridgeEvent): Promise<void> {
    const { fn, invoke, log } = this.options;
    const queued = this.now();
    const attempts = 1 + fn.asyncInvoke.maximumRetryAttempts;
    let last: InvokeOutcome | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if ((this.now() - queued) / 1000 > fn.asyncInvoke.maximumEventAgeSeconds) {
        return this.onFailure(event, "EventAgeExceeded", last, attempt - 1);
      }
      last = await invoke(event);
      if (last.ok) return;
      // An environment stopped with the runtime is not the function's failure.
      if (this.abort.signal.aborted) return;
      log("Invocation failed", {
        function: fn.name,
        eventId: event.id,
        attempt,
        of: attempts,
        kind: last.kind,
        error: `${last.error.errorType}: ${last.error.errorMessage}`,
      });
      const delay = ASYNC_RETRY_DELAYS_MS[attempt - 1];
      if (attempt < attempts && delay !== undefined) await this.sleep(delay);
    }
    return this.onFailure(event, "RetriesExhausted", last, attempts);
  }

  /** Lambda's on-failure destination record for an asynchronous invocation. */
  private async onFailure(
    event: EventBridgeEvent,
    condition: "RetriesExhausted" | "EventAgeExceeded",
    last: InvokeOutcome | undefined,
    invokeCount: number,
  ): Promise<void> {
    const { fn, onFailureQueue, log } = this.options;
    const error = last && !last.ok ? last.error : undefined;
    const record = {
      version: "1.0",
      timestamp: new Date(this.now()).toISOString(),
      requestContext: { requestId: last?.requestId ?? "", functionArn: `${fn.arn}:$LATEST`, condition, approximateInvokeCount: invokeCount },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: last && !last.ok ? last.kind : undefined },
      responsePayload: error ? { errorType: error.errorType, errorMessage: error.errorMessage, stackTrace: error.trace } : undefined,
    };
    if (!onFailureQueue) {
      log("Event dropped: the function failed and has no on-failure destination", { function: fn.name, eventId: event.id, condition });
      return;
    }
    try {
      await onFailureQueue.send(JSON.stringify(record));
      log("Event sent to the on-failure destination", { function: fn.name, eventId: event.id, condition, queue: onFailureQueue.url });
    } catch (sendError) {
      // Lambda counts this as a DestinationDeliveryFailure and drops the event; so does the sandbox, loudly.
      log("Event lost: the on-failure destination refused it", { function: fn.name, eventId: event.id, error: String(sendError) });
    }
  }

  /** EventBridge's dead-letter message: the event itself, with the reason in message attributes. */
  private async deadLetter(event: EventBridgeEvent, reason: Record<string, string>): Promise<void> {
    const { target, ruleDeadLetterQueue, log } = this.options;
    const attributes = { ...reason, RULE_ARN: target.ruleArn, TARGET_ARN: target.targetArn, RETRY_ATTEMPTS: "0" };
    if (!ruleDeadLetterQueue) {
      log("Event dropped: the rule could not deliver it and has no dead-letter queue", { rule: target.ruleName, eventId: event.id, ...reason });
      return;
    }
    await ruleDeadLetterQueue.send(JSON.stringify(event), attributes);
    log("Event sent to the rule's dead-letter queue", { rule: target.ruleName, eventId: event.id, ...reason });
  }
}
