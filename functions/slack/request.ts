import { bodySize, type HttpRequest } from "../shared/http-request";

/**
 * The parts of an API Gateway HTTP API (payload format 2.0) event the Slack
 * front reads, and which of its two routes a request came by. Pure.
 */

/** Slack's requests are small form bodies; the limit keeps the bus event under EventBridge's 256 KB. */
export const MAX_BODY_BYTES = 200_000;

export interface SlackHttpRequest extends HttpRequest {
  /** "POST /slack/commands" when the route matched (not "$default"). */
  routeKey?: string;
  /** The path as requested, with a stage prefix on a named stage. */
  rawPath?: string;
  requestContext?: { requestId?: string; http?: { method?: string } };
}

export type SlackRoute = "commands" | "interactions";

const ROUTES: ReadonlyArray<[SlackRoute, string]> = [
  ["commands", "/slack/commands"],
  ["interactions", "/slack/interactions"],
];

/** The route of a POST to /slack/commands or /slack/interactions; undefined for anything else. */
export function slackRouteOf(request: SlackHttpRequest): SlackRoute | undefined {
  for (const [route, path] of ROUTES) {
    if (request.routeKey === `POST ${path}`) return route;
  }
  const method = request.requestContext?.http?.method;
  if (method !== undefined && method !== "POST") return undefined;
  const rawPath = (request.rawPath ?? "").replace(/\/+$/, "");
  return ROUTES.find(([, path]) => rawPath === path || rawPath.endsWith(path))?.[0];
}

/** Whether the body is over MAX_BODY_BYTES, measured without decoding it. */
export function isTooLarge(request: HttpRequest): boolean {
  return bodySize(request) > MAX_BODY_BYTES;
}
