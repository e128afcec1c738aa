// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";

/**
 * The event the Slack front puts on the GitHub bus for the worker: the
 * signed request as Slack sent it, so the worker verifies the signature
 * again and a principal that may put events on the bus still cannot forge a
 * click. The bus policy lets only the front's role use this source.
 */
export const SLACK_EVENT_SOURCE = "pipewright.slack";
export const SLACK_REQUEST_DETAIL_TYPE = "Slack request";

/** The worker's rule on the bus. */
export const SLACK_ACTIONS_EVENT_PATTERN = { source: [SLACK_EVENT_SOURCE], "detail-type": [SLACK_REQUEST_DETAIL_TYPE] };

const SLACK_REQUEST_KINDS = ["command", "interaction"] as const;

// EventBridge takes at most 256 KB an entry; Slack's interaction payloads stay far below.
const MAX_BODY_CHARS = 200_000;

export const slackRequestDetailSchema = z.object({
  kind: z.enum(SLACK_REQUEST_KINDS),
  /** The front's Lambda request id: names the request in logs and makes deploys idempotent. */
  requestId: z.string().min(1).max(128),
  /** When the front received the request (ISO 8601). */
  receivedAt: z.iso.datetime({ offset: true }),
  request: z.object({
    /** The raw body, utf-8, as Slack signed it. */
    body: z.string().max(MAX_BODY_CHARS),
    /** X-Slack-Request-Timestamp. */
    timestamp: z.string().min(1).max(32),
    /** X-Slack-Signature. */
    signature: z.string().min(1).max(128),
  }),
});
export type SlackRequestDetail = z.infer<typeof slackRequestDetailSchema>;

/** The PutEvents entry for a Slack request (the SDK's PutEventsRequestEntry shape, without SDK types). */
export function toSlackBusEntry(
  detail: SlackRequestDetail,
  eventBusName: string,
  time: Date,
): { Source: string; DetailType: string; Detail: string; EventBusName: string; Time: Date } {
  return {
    Source: SLACK_EVENT_SOURCE,
    DetailType: SLACK_REQUEST_DETAIL_TYPE,
    Detail: JSON.stringify(detail),
    EventBusName: eventBusName,
    Time: time,
  };
}
