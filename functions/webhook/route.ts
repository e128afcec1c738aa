import { DETAIL_TYPES } from "../shared/events";
import type { RepositoryEntry } from "../shared/repositories";
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

/**
 * GitHub App events about the App's installations rather than a repository's
 * code. The App's installations are looked up when a repository needs one, so
 * nothing has to happen when they change.
 */
export const INSTALLATION_EVENTS: ReadonlySet<string> = new Set(["installation", "installation_repositories", "installation_target"]);

/**
 * The configured repositories, found by owner/name in any case: the bundled
 * RepositoryCatalog. Only a lookup, so routing cannot scan the list.
 */
export interface RepositoryLookup {
  get(repository: string): RepositoryEntry | undefined;
}

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
 * Deliveries of every configured repository are handed on, whether they come
 * from a repository webhook, an organization webhook or a GitHub App's
 * webhook; the repository is found by name (case-insensitively, as GitHub
 * treats names) in one lookup, whatever the number of repositories.
 */
export function routeDelivery(headers: DeliveryHeaders, payload: Record<string, unknown>, repositories: RepositoryLookup): Routing {
  const { event, deliveryId } = headers;
  if (event === "ping") return { outcome: "pong" };
  if (INSTALLATION_EVENTS.has(event)) {
    return {
      outcome: "ignored",
      reason: `event ${event} changes the GitHub App's installation, not a repository; pipewright looks installations up when it calls GitHub, so nothing is needed`,
    };
  }
  if (event !== DETAIL_TYPES.pullRequest && event !== DETAIL_TYPES.push) {
    return { outcome: "ignored", reason: `event ${event} is not used by pipewright` };
  }

  const source = validatePayload(repositoryEnvelopeSchema, payload, event).repository.full_name;
  const action = actionOf(payload);
  if (repositories.get(source) === undefined) {
    return {
      outcome: "ignored",
      reason: `repository ${source} is not configured in pipewright. Fix: add it to repositories[] of the configuration if its changes should start pipelines`,
      repository: source,
      action,
    };
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
