import { randomUUID } from "node:crypto";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { requireEnv } from "../shared/env";
import { headerValue, rawBody } from "../shared/http-request";
import { createLogger } from "../shared/logger";
import { APPROVE_ACTION_ID, REJECT_ACTION_ID } from "../shared/slack/approval";
import type { SlackRequestDetail } from "../shared/slack/bus-event";
import { commandText, helpText, parseCommandText } from "../shared/slack/command";
import { parseInteraction, parseSlashCommand, SlackRequestError } from "../shared/slack/requests";
import { type ResponseUrlPoster, responseUrlPoster } from "../shared/slack/response-url";
import {
  FRONT_MAX_AGE_SECONDS,
  SlackSignatureError,
  type SlackSigningSecretSource,
  SlackSigningSecretUnavailableError,
  verifySlackRequest,
} from "../shared/slack/signature";
import { SecretsManagerSlackSigningSecrets } from "../shared/slack/signing-secret";
import { EventBridgeSlackBus, SlackBusUnavailableError, type SlackRequestBus } from "./aws";
import { isTooLarge, MAX_BODY_BYTES, type SlackHttpRequest, type SlackRoute, slackRouteOf } from "./request";

/**
 * POST /slack/commands and POST /slack/interactions behind the webhook's
 * API Gateway HTTP API (payload format 2.0). Slack waits 3 s for an answer,
 * so the front only checks and hands on:
 *
 * route (404) → size (413) → signature on the raw body, at most 5 minutes
 * off (401) → form (400) → `help` and invalid commands answered at once;
 * `status`, `deploy` and approval clicks put on the bus for the worker
 * (functions/slack-actions) with the signed request as Slack sent it. When
 * the secret or the bus is unavailable Slack could do nothing with a 5xx:
 * the user is told to try again (200, ephemeral) and an error is logged.
 */

export interface SlackFrontDependencies {
  secrets: SlackSigningSecretSource;
  bus: SlackRequestBus;
  /** Tells a user whose click could not be handed on (interactions have no answer body). */
  respond: ResponseUrlPoster;
  logger?: Logger;
  now?: () => Date;
}

export type SlackFrontHandler = (request: SlackHttpRequest) => Promise<APIGatewayProxyStructuredResultV2>;

/** The clicks the worker answers; Slack reports every other button (the link buttons too), and those are ignored. */
const FORWARDED_ACTIONS: ReadonlySet<string> = new Set([APPROVE_ACTION_ID, REJECT_ACTION_ID]);

const TRY_AGAIN = "pipewright could not accept this request right now; try again in a minute.";

interface Outcome {
  response: APIGatewayProxyStructuredResultV2;
  log: { outcome: string; command?: string; user?: string; interaction?: string; actions?: string[]; reason?: string };
  level?: "info" | "warn" | "error";
  error?: unknown;
}

function json(status: number, body: Record<string, unknown>): APIGatewayProxyStructuredResultV2 {
  return { statusCode: status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/** A message only the user who asked sees. */
function ephemeral(text: string): APIGatewayProxyStructuredResultV2 {
  return json(200, { response_type: "ephemeral", text });
}

const EMPTY_OK: APIGatewayProxyStructuredResultV2 = { statusCode: 200, body: "" };

async function handleCommand(body: string, detail: SlackRequestDetail, deps: SlackFrontDependencies, received: Date): Promise<Outcome> {
  const form = parseSlashCommand(body);
  const command = parseCommandText(form.text);
  const user = form.user_id;
  switch (command.kind) {
    case "help":
      return { response: ephemeral(helpText(form.command)), log: { outcome: "answered", command: "help", user } };
    case "invalid":
      return {
        response: ephemeral(`That did not work: ${command.reason}.\n\n${helpText(form.command)}`),
        log: { outcome: "answered", command: "invalid", user, reason: command.reason },
      };
    case "status":
    case "deploy": {
      const asked = `\`${form.command} ${commandText(command)}\``;
      try {
        await deps.bus.publish(detail, received);
      } catch (error) {
        if (!(error instanceof SlackBusUnavailableError)) throw error;
        return {
          response: ephemeral(`${TRY_AGAIN} (${asked})`),
          log: { outcome: "unavailable", command: command.kind, user },
          level: "error",
          error,
        };
      }
      return { response: ephemeral(`Working on it: ${asked}`), log: { outcome: "accepted", command: command.kind, user } };
    }
  }
}

async function handleInteraction(body: string, detail: SlackRequestDetail, deps: SlackFrontDependencies, received: Date): Promise<Outcome> {
  const interaction = parseInteraction(body);
  if (interaction.type !== "block_actions" || interaction.payload === undefined) {
    return { response: EMPTY_OK, log: { outcome: "ignored", interaction: interaction.type } };
  }
  const { payload } = interaction;
  const actions = payload.actions.map((action) => action.action_id);
  const log = { interaction: payload.type, actions, user: payload.user.id };
  if (!actions.some((action) => FORWARDED_ACTIONS.has(action))) return { response: EMPTY_OK, log: { outcome: "ignored", ...log } };
  try {
    await deps.bus.publish(detail, received);
  } catch (error) {
    if (!(error instanceof SlackBusUnavailableError)) throw error;
    if (payload.response_url !== undefined) {
      await deps.respond(payload.response_url, { text: TRY_AGAIN, replace_original: false }).catch(() => undefined);
    }
    return { response: EMPTY_OK, log: { outcome: "unavailable", ...log }, level: "error", error };
  }
  return { response: EMPTY_OK, log: { outcome: "accepted", ...log } };
}

async function handleRequest(request: SlackHttpRequest, route: SlackRoute, deps: SlackFrontDependencies, received: Date): Promise<Outcome> {
  if (isTooLarge(request)) {
    return {
      response: json(413, { message: `The body is larger than the ${MAX_BODY_BYTES} bytes a Slack request has` }),
      log: { outcome: "refused", reason: "too large" },
      level: "warn",
    };
  }
  const body = rawBody(request);
  const timestamp = headerValue(request, "x-slack-request-timestamp");
  const signature = headerValue(request, "x-slack-signature");
  try {
    await verifySlackRequest({ body, timestamp, signature, now: received, maxAgeSeconds: FRONT_MAX_AGE_SECONDS }, deps.secrets);
  } catch (error) {
    if (error instanceof SlackSignatureError) {
      return { response: json(401, { message: error.message }), log: { outcome: "refused", reason: error.message }, level: "warn" };
    }
    if (error instanceof SlackSigningSecretUnavailableError) {
      return { response: ephemeral(TRY_AGAIN), log: { outcome: "unavailable" }, level: "error", error };
    }
    throw error;
  }
  const detail: SlackRequestDetail = {
    kind: route === "commands" ? "command" : "interaction",
    requestId: request.requestContext?.requestId ?? randomUUID(),
    receivedAt: received.toISOString(),
    // Both headers were checked by the verification.
    request: { body, timestamp: timestamp?.trim() ?? "", signature: signature?.trim() ?? "" },
  };
  try {
    return route === "commands" ? await handleCommand(body, detail, deps, received) : await handleInteraction(body, detail, deps, received);
  } catch (error) {
    if (!(error instanceof SlackRequestError)) throw error;
    return { response: json(400, { message: error.message }), log: { outcome: "refused", reason: error.message }, level: "warn" };
  }
}

/** Builds the front's handler around injected secrets, bus, response_url poster and logger. */
export function makeHandler(deps: SlackFrontDependencies): SlackFrontHandler {
  const logger = deps.logger ?? createLogger("slack");
  const now = deps.now ?? (() => new Date());
  return async (request) => {
    const received = now();
    const route = slackRouteOf(request);
    const durationMs = () => now().getTime() - received.getTime();
    if (route === undefined) {
      logger.warn("Slack request refused", { outcome: "refused", status: 404, path: request.rawPath, durationMs: durationMs() });
      return json(404, { message: "No such route. Slack's requests go to POST /slack/commands and POST /slack/interactions" });
    }
    try {
      const outcome = await handleRequest(request, route, deps, received);
      const fields = { route, ...outcome.log, status: outcome.response.statusCode, durationMs: durationMs() };
      if (outcome.level === "error") logger.error("Slack request not accepted; the user was asked to try again", { ...fields, error: outcome.error });
      else if (outcome.level === "warn") logger.warn("Slack request refused", fields);
      else logger.info("Slack request handled", fields);
      return outcome.response;
    } catch (error) {
      logger.error("Slack request failed unexpectedly", { route, outcome: "error", status: 500, error, durationMs: durationMs() });
      return json(500, { message: "Internal error" });
    }
  };
}

let productionLogger: Logger | undefined;
let productionHandler: SlackFrontHandler | undefined;

/** Real clients, read on the first invocation (never at module load, never in tests). */
function makeProductionHandler(logger: Logger): SlackFrontHandler {
  const secretId = requireEnv("SLACK_SIGNING_SECRET_ARN");
  const eventBusName = requireEnv("EVENT_BUS_NAME");
  // Slack waits 3 s and a cold start takes part of it: an uncached secret read takes at most ~1.6 s, PutEvents at most 1 s.
  const clientConfig = { maxAttempts: 2, requestHandler: { connectionTimeout: 300, requestTimeout: 800 } };
  return makeHandler({
    secrets: new SecretsManagerSlackSigningSecrets({ client: new SecretsManagerClient(clientConfig), secretId }),
    bus: new EventBridgeSlackBus({ client: new EventBridgeClient(clientConfig), eventBusName, timeoutMs: 1_000 }),
    respond: responseUrlPoster({ policy: { timeoutMs: 500, retries: 0 } }),
    logger,
  });
}

/** The Lambda entry point. */
export const handler = async (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
  productionLogger ??= createLogger("slack");
  productionLogger.addContext(context);
  try {
    productionHandler ??= makeProductionHandler(productionLogger);
  } catch (error) {
    productionLogger.error("Slack function is misconfigured", { error });
    return json(500, { message: "Internal error" });
  }
  return productionHandler(event);
};
