import { type EventBridgeClient, PutEventsCommand, type PutEventsCommandOutput } from "@aws-sdk/client-eventbridge";
import { type SlackRequestDetail, toSlackBusEntry } from "../shared/slack/bus-event";

/** Puts Slack requests on the bus for the worker; throws SlackBusUnavailableError when it cannot. */
export interface SlackRequestBus {
  publish(detail: SlackRequestDetail, time: Date): Promise<void>;
}

/** EventBridge did not take the request within the front's time. */
export class SlackBusUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SlackBusUnavailableError";
  }
}

export interface EventBridgeSlackBusOptions {
  client: EventBridgeClient;
  eventBusName: string;
  /** Give up on the publish (the SDK's retries included) after this long: Slack waits 3 s for the whole answer. */
  timeoutMs?: number;
}

/** The only AWS call of the front besides the signing secret: one PutEvents, bounded in time. */
export class EventBridgeSlackBus implements SlackRequestBus {
  private readonly timeoutMs: number;

  constructor(private readonly options: EventBridgeSlackBusOptions) {
    this.timeoutMs = options.timeoutMs ?? 1_000;
  }

  async publish(detail: SlackRequestDetail, time: Date): Promise<void> {
    const { client, eventBusName } = this.options;
    let output: PutEventsCommandOutput;
    try {
      output = await client.send(new PutEventsCommand({ Entries: [toSlackBusEntry(detail, eventBusName, time)] }), {
        abortSignal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new SlackBusUnavailableError(
        `PutEvents to event bus ${eventBusName} failed (${(error as Error).name}: ${(error as Error).message}). Fix: check that the bus exists and that the function's role may call events:PutEvents on it`,
        { cause: error },
      );
    }
    const result = output.Entries?.[0];
    if ((output.FailedEntryCount ?? 0) > 0 || result === undefined || result.ErrorCode !== undefined) {
      throw new SlackBusUnavailableError(
        `Event bus ${eventBusName} rejected Slack request ${detail.requestId} (${result?.ErrorCode ?? "no result"}${result?.ErrorMessage ? `: ${result.ErrorMessage}` : ""})`,
      );
    }
  }
}
