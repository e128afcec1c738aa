import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { requireEnv } from "../shared/env";
import { headerValue, type HttpRequest, rawBody } from "../shared/http-request";
import { createLogger } from "../shared/logger";
import { loadRepositoryCatalog } from "../shared/repositories";
import { EventBridgeBusPublisher, SecretsManagerWebhookSecrets } from "./aws";
import type { BusPublisher } from "./bus-event";
import { SignatureError, WebhookError } from "./errors";
import { assertBodySize, deliveryIdOf, parseJsonObject, readDeliveryHeaders } from "./request";
import { type RepositoryLookup, routeDelivery } from "./route";
import { readSignatureHeader, verifySignature, type WebhookSecretSource } from "./signature";

/**
 * POST /webhook behind an API Gateway HTTP API (payload format 2.0).
 *
 * size (413) → signature (401) → headers and JSON (400) → routing:
 * ping 200, events we use of a configured repository 202 accepted (after
 * PutEvents), everything else 202 ignored. The one 5xx is 503, when the
 * secret or the bus is unavailable: our fault, and GitHub can redeliver.
 * Bad input never reaches the bus.
 */

export interface WebhookDependencies {
  secrets: WebhookSecretSource;
  bus: BusPublisher;
  /** The configured repositories (the bundled catalog); deliveries of others are ignored. */
  repositories: RepositoryLookup;
  logger?: Logger;
  now?: () => Date;
}

export type WebhookHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

interface Outcome {
  status: number;
  body: Record<string, unknown>;
  /** What the log line says about the delivery (never the payload). */
  log: { outcome: string; action?: string; repository?: string; reason?: string };
}

function json(status: number, body: Record<string, unknown>): APIGatewayProxyStructuredResultV2 {
  return { statusCode: status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

const UNAVAILABLE_MESSAGE = "The webhook cannot accept deliveries right now; redeliver this one later";

/** The event name header when well-formed; for logging before the headers are validated. */
function eventNameOf(request: HttpRequest): string | undefined {
  const value = headerValue(request, "x-github-event")?.trim();
  return value !== undefined && /^[a-z][a-z0-9_]{0,63}$/.test(value) ? value : undefined;
}

/**
 * Verifies the signature. A mismatch may come from a secret rotated after it
 * was cached: then the secrets are read once more (the source rate-limits that).
 */
async function verifyDelivery(body: string, signatureHeader: string | undefined, source: WebhookSecretSource): Promise<void> {
  readSignatureHeader(signatureHeader); // 401 before the secret is fetched
  const secrets = await source.getSecrets();
  try {
    await verifySignature(body, signatureHeader, secrets);
  } catch (error) {
    if (!(error instanceof SignatureError) || error.reason !== "mismatch" || body === "") throw error;
    const fresh = await source.getSecrets({ forceRefresh: true });
    if (fresh.current === secrets.current && fresh.previous === secrets.previous) throw error;
    await verifySignature(body, signatureHeader, fresh);
  }
}

async function handleDelivery(request: HttpRequest, deps: WebhookDependencies, received: Date): Promise<Outcome> {
  assertBodySize(request);
  const body = rawBody(request);
  await verifyDelivery(body, headerValue(request, "x-hub-signature-256"), deps.secrets);
  const headers = readDeliveryHeaders(request);
  const payload = parseJsonObject(request, body);
  const routing = routeDelivery(headers, payload, deps.repositories);
  const { deliveryId } = headers;
  switch (routing.outcome) {
    case "pong":
      return { status: 200, body: { deliveryId, message: "pong" }, log: { outcome: "pong" } };
    case "ignored":
      return {
        status: 202,
        body: { deliveryId, status: "ignored", reason: routing.reason },
        log: { outcome: "ignored", action: routing.action, repository: routing.repository, reason: routing.reason },
      };
    case "publish":
      await deps.bus.publish(routing.event, received);
      return {
        status: 202,
        body: { deliveryId, status: "accepted" },
        log: { outcome: "accepted", action: routing.action, repository: routing.repository },
      };
  }
}

/** Builds the webhook handler around injected secrets, bus, repositories and logger. */
export function makeHandler(deps: WebhookDependencies): WebhookHandler {
  const logger = deps.logger ?? createLogger("webhook");
  const now = deps.now ?? (() => new Date());
  return async (request) => {
    const received = now();
    const context = { deliveryId: deliveryIdOf(request), event: eventNameOf(request) };
    const durationMs = () => now().getTime() - received.getTime();
    try {
      const outcome = await handleDelivery(request, deps, received);
      logger.info("Webhook delivery handled", { ...context, ...outcome.log, status: outcome.status, durationMs: durationMs() });
      return json(outcome.status, outcome.body);
    } catch (error) {
      if (error instanceof WebhookError && error.status < 500) {
        logger.warn("Webhook delivery refused", {
          ...context,
          outcome: "refused",
          status: error.status,
          reason: error.message,
          durationMs: durationMs(),
        });
        return json(error.status, { message: error.message });
      }
      if (error instanceof WebhookError) {
        logger.error("Webhook delivery not accepted; the sender was asked to redeliver", {
          ...context,
          outcome: "unavailable",
          status: error.status,
          error,
          durationMs: durationMs(),
        });
        return json(error.status, { message: UNAVAILABLE_MESSAGE });
      }
      logger.error("Webhook delivery failed unexpectedly", { ...context, outcome: "error", status: 500, error, durationMs: durationMs() });
      return json(500, { message: "Internal error" });
    }
  };
}

let productionLogger: Logger | undefined;
let productionHandler: WebhookHandler | undefined;

/** Real clients and the bundled repository catalog, read on the first invocation (never at module load, never in tests). */
function makeProductionHandler(logger: Logger): WebhookHandler {
  const secretId = requireEnv("WEBHOOK_SECRET_ARN");
  const eventBusName = requireEnv("EVENT_BUS_NAME");
  const repositories = loadRepositoryCatalog();
  // GitHub waits 10 s, API Gateway 9 s and the function runs at most 8 s (webhook-intake.ts):
  // an uncached secret read takes at most ~4 s (2 attempts of 2 s), PutEvents at most 3 s.
  const clientConfig = { maxAttempts: 2, requestHandler: { connectionTimeout: 500, requestTimeout: 1_500 } };
  return makeHandler({
    secrets: new SecretsManagerWebhookSecrets({ client: new SecretsManagerClient(clientConfig), secretId }),
    bus: new EventBridgeBusPublisher({ client: new EventBridgeClient(clientConfig), eventBusName, timeoutMs: 3_000 }),
    repositories,
    logger,
  });
}

/** The Lambda entry point. */
export const handler = async (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
  productionLogger ??= createLogger("webhook");
  productionLogger.addContext(context);
  try {
    productionHandler ??= makeProductionHandler(productionLogger);
  } catch (error) {
    productionLogger.error("Webhook function is misconfigured", { error });
    return json(500, { message: "Internal error" });
  }
  return productionHandler(event);
};
