import { countMetrics, type EmbeddedMetricFields } from "../shared/metrics";
import type { ChannelName } from "./channels";

/**
 * The NotificationFailures metric (namespace "pipewright", dimension
 * Channel), merged into the error log line of a failed channel. Pure.
 */

export const NOTIFICATION_FAILURES = "NotificationFailures";

export function notificationFailureMetric(channel: ChannelName, timestampMs: number): EmbeddedMetricFields {
  return countMetrics(timestampMs, { Channel: channel }, { [NOTIFICATION_FAILURES]: 1 });
}
