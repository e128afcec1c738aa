import { type DETAIL_TYPES, EVENT_SOURCE, type PullRequestEvent, type PushEvent } from "../shared/events";

/** An event for the GitHub bus: the GitHub event name as detail type, the normalized event as detail. */
export type BusEvent =
  | { detailType: typeof DETAIL_TYPES.pullRequest; detail: PullRequestEvent }
  | { detailType: typeof DETAIL_TYPES.push; detail: PushEvent };

/** Puts events on the bus; the AWS adapter retries and throws BusUnavailableError when it cannot. */
export interface BusPublisher {
  publish(event: BusEvent, time: Date): Promise<void>;
}

/** The PutEvents entry for `event` (the SDK's PutEventsRequestEntry shape, without SDK types). */
export function toBusEntry(
  event: BusEvent,
  eventBusName: string,
  time: Date,
): { Source: string; DetailType: string; Detail: string; EventBusName: string; Time: Date } {
  return {
    Source: EVENT_SOURCE,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    EventBusName: eventBusName,
    Time: time,
  };
}
