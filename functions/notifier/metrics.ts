import type { ChannelName } from "./channels";

/**
 * The NotificationFailures metric, in CloudWatch's Embedded Metric Format:
 * fields merged into the error log line of a failed channel, from which
 * CloudWatch Logs extracts the metric (namespace "pipewright", dimension
 * Channel). No API call, so reporting a failure cannot fail. Pure.
 */

export const METRIC_NAMESPACE = "pipewright";
export const NOTIFICATION_FAILURES = "NotificationFailures";

export interface NotificationFailureMetric {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  Channel: ChannelName;
  NotificationFailures: number;
}

export function notificationFailureMetric(channel: ChannelName, timestampMs: number): NotificationFailureMetric {
  return {
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [
        { Namespace: METRIC_NAMESPACE, Dimensions: [["Channel"]], Metrics: [{ Name: NOTIFICATION_FAILURES, Unit: "Count" }] },
      ],
    },
    Channel: channel,
    NotificationFailures: 1,
  };
}
