import { type EventBridgeClient, PutEventsCommand, type PutEventsCommandOutput } from "@aws-sdk/client-eventbridge";
import { SecretsManagerRotatingSecret, type SecretsManagerRotatingSecretOptions } from "../shared/rotating-secret";
import { toBusEntry, type BusEvent, type BusPublisher } from "./bus-event";
import { BusUnavailableError } from "./errors";
import { WEBHOOK_SECRET_KIND } from "./signature";

/**
 * The only file of the webhook function that talks to AWS. Clients are
 * injected, so tests pass mocked ones and the handler builds real ones lazily.
 */

/**
 * Reads the webhook secrets from Secrets Manager, cached, with rate-limited
 * forced refreshes after a mismatch (functions/shared/rotating-secret.ts).
 */
export class SecretsManagerWebhookSecrets extends SecretsManagerRotatingSecret {
  constructor(options: SecretsManagerRotatingSecretOptions) {
    super(options, WEBHOOK_SECRET_KIND);
  }
}

export interface EventBridgeBusPublisherOptions {
  client: EventBridgeClient;
  eventBusName: string;
  /** PutEvents calls per event when the entry fails on its own (FailedEntryCount). */
  maxAttempts?: number;
  /** Wait before attempt `attempt + 1`, in milliseconds. */
  backoffMs?: (attempt: number) => number;
  sleep?: (ms: number) => Promise<void>;
  /** Give up on the whole publish (all attempts) after this long: GitHub waits 10 s for an answer. */
  timeoutMs?: number;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Puts normalized events on the GitHub bus. The SDK retries failed calls
 * (throttling, 5xx, network) by itself; entries EventBridge rejects one by
 * one inside a successful call are retried here. When the bus stays
 * unavailable it throws BusUnavailableError (the handler answers 503).
 */
export class EventBridgeBusPublisher implements BusPublisher {
  private readonly maxAttempts: number;
  private readonly backoffMs: (attempt: number) => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly timeoutMs: number;

  constructor(private readonly options: EventBridgeBusPublisherOptions) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.backoffMs = options.backoffMs ?? ((attempt) => 100 * 2 ** (attempt - 1));
    this.sleep = options.sleep ?? wait;
    this.timeoutMs = options.timeoutMs ?? 3_000;
  }

  async publish(event: BusEvent, time: Date): Promise<void> {
    const { client, eventBusName } = this.options;
    const entry = toBusEntry(event, eventBusName, time);
    const abortSignal = AbortSignal.timeout(this.timeoutMs);
    let problem = "";
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      let output: PutEventsCommandOutput;
      try {
        output = await client.send(new PutEventsCommand({ Entries: [entry] }), { abortSignal });
      } catch (error) {
        throw new BusUnavailableError(
          `PutEvents to event bus ${eventBusName} failed (${(error as Error).name}: ${(error as Error).message}). Fix: check that the bus exists and that the function's role may call events:PutEvents on it`,
          { cause: error },
        );
      }
      const result = output.Entries?.[0];
      if ((output.FailedEntryCount ?? 0) === 0 && result !== undefined && result.ErrorCode === undefined) return;
      problem = `${result?.ErrorCode ?? "no result"}${result?.ErrorMessage ? `: ${result.ErrorMessage}` : ""}`;
      if (attempt < this.maxAttempts) await this.sleep(this.backoffMs(attempt));
    }
    throw new BusUnavailableError(
      `Event bus ${eventBusName} rejected the ${event.detailType} event of delivery ${event.detail.deliveryId} ${this.maxAttempts} times (${problem}). The sender was told to retry later`,
    );
  }
}
