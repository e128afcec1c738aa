import { type EventBridgeClient, PutEventsCommand, type PutEventsCommandOutput } from "@aws-sdk/client-eventbridge";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { toBusEntry, type BusEvent, type BusPublisher } from "./bus-event";
import { BusUnavailableError, WebhookSecretUnavailableError } from "./errors";
import { parseWebhookSecrets, type WebhookSecrets, type WebhookSecretSource } from "./signature";

/**
 * The only file of the webhook function that talks to AWS. Clients are
 * injected, so tests pass mocked ones and the handler builds real ones lazily.
 */

export interface SecretsManagerWebhookSecretsOptions {
  client: SecretsManagerClient;
  /** ARN (or name) of the secret holding {"current": "...", "previous": "..."}. */
  secretId: string;
  /** How long a read value is reused. */
  maxAgeSeconds?: number;
  /** Forced refreshes (after a signature mismatch) happen at most this often. */
  minRefreshIntervalMs?: number;
  /** Milliseconds clock, for tests. */
  clock?: () => number;
}

/**
 * Reads the webhook secrets from Secrets Manager through the Powertools
 * secrets provider, which caches them for `maxAgeSeconds`.
 *
 * A signature mismatch may mean the secret was rotated after it was cached;
 * the handler then asks for a forced refresh. Those are rate-limited so a
 * stream of forged requests cannot turn into a stream of Secrets Manager calls.
 */
export class SecretsManagerWebhookSecrets implements WebhookSecretSource {
  private readonly provider: SecretsProvider;
  private readonly maxAgeSeconds: number;
  private readonly minRefreshIntervalMs: number;
  private readonly clock: () => number;
  private lastForcedRefresh = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: SecretsManagerWebhookSecretsOptions) {
    this.provider = new SecretsProvider({ awsSdkV3Client: options.client });
    this.maxAgeSeconds = options.maxAgeSeconds ?? 300;
    this.minRefreshIntervalMs = options.minRefreshIntervalMs ?? 30_000;
    this.clock = options.clock ?? Date.now;
  }

  async getSecrets(request: { forceRefresh?: boolean } = {}): Promise<WebhookSecrets> {
    const { secretId } = this.options;
    let forceFetch = false;
    if (request.forceRefresh && this.clock() - this.lastForcedRefresh >= this.minRefreshIntervalMs) {
      forceFetch = true;
      this.lastForcedRefresh = this.clock();
    }
    let value: string | Uint8Array | undefined;
    try {
      value = await this.provider.get(secretId, { maxAge: this.maxAgeSeconds, forceFetch });
    } catch (error) {
      throw new WebhookSecretUnavailableError(
        `Could not read the webhook secret ${secretId}. Fix: check that it exists, has a value, and that the function's role may call secretsmanager:GetSecretValue on it (and kms:Decrypt on its key)`,
        { cause: error },
      );
    }
    if (typeof value !== "string") {
      throw new WebhookSecretUnavailableError(
        `The webhook secret ${secretId} has no string value. Fix: store {"current": "<webhook secret>"} as its SecretString`,
      );
    }
    return parseWebhookSecrets(value, secretId);
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
