import { DETAIL_TYPES } from "../shared/events";
import type { BusEvent } from "./bus-event";
import {
  normalizePullRequest,
  normalizePush,
  pullRequestPayloadSchema,
  pushPayloadSchema,
  repositoryEnvelopeSchema,
  validatePayload,
} from "./normalize";
import type { DeliveryHeaders } from "./request";

/** Pull request actions that change what a PR pipeline should do; others are ignored. */
export const FORWARDED_PULL_REQUEST_ACTIONS: ReadonlySet<string> = new Set([
  "opened",
  "reopened",
  "ready_for_review",
  "synchronize",
  "closed",
  "labeled",
]);

/** What to do with a verified delivery. */
export type Routing =
  | { outcome: "pong" }
  | { outcome: "ignored"; reason: string; repository?: string; action?: string }
  | { outcome: "publish"; event: BusEvent; repository: string; action?: string };

/** The payload's action when it looks like one (it ends up in responses and logs). */
function actionOf(payload: Record<string, unknown>): string | undefined {
  const action = payload.action;
  return typeof action === "string" && /^[a-z_]{1,64}$/.test(action) ? action : undefined;
}

/**
 * Decides what a verified delivery becomes. Throws MalformedDeliveryError when
 * the payload of an event we handle does not have the fields we read.
 * `repository` is the configured owner/name, compared case-insensitively
 * (GitHub names are case-insensitive).
 */
export function routeDelivery(headers: DeliveryHeaders, payload: Record<string, unknown>, repository: string): Routing {
  const { event, deliveryId } = headers;
  if (event === "ping") return { outcome: "pong" };
  if (event !== DETAIL_TYPES.pullRequest && event !== DETAIL_TYPES.push) {
    return { outcome: "ignored", reason: `event ${event} is not used by pipewright` };
  }

  const source = validatePayload(repositoryEnvelopeSchema, payload, event).repository.full_name;
  const action = actionOf(payload);
  if (source.toLowerCase() !== repository.toLowerCase()) {
    return { outcome: "ignored", reason: `repository ${source} is not ${repository}`, repository: source, action };
  }

  if (event === DETAIL_TYPES.push) {
    const push = validatePayload(pushPayloadSchema, payload, event);
    return { outcome: "publish", repository: source, event: { detailType: event, detail: normalizePush(push, deliveryId) } };
  }

  if (action === undefined || !FORWARDED_PULL_REQUEST_ACTIONS.has(action)) {
    return { outcome: "ignored", reason: `pull_request action ${action ?? "(none)"} is not used by pipewright`, repository: source, action };
  }
  const pullRequest = validatePayload(pullRequestPayloadSchema, payload, event);
  return {
    outcome: "publish",
    repository: source,
    action,
    event: { detailType: event, detail: normalizePullRequest(pullRequest, deliveryId) },
  };
}
