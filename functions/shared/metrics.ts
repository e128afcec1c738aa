/**
 * CloudWatch Embedded Metric Format: fields merged into a structured log line,
 * from which CloudWatch Logs extracts metrics. No API call, so reporting a
 * metric cannot fail or slow a function down. Pure.
 */

/** The namespace of every pipewright metric. */
export const METRIC_NAMESPACE = "pipewright";

export interface EmbeddedMetricFields {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: "Count" }>;
    }>;
  };
  [field: string]: unknown;
}

/**
 * Count metrics with their dimensions, for the top level of one log line
 * (where CloudWatch looks for `_aws`): each count under its metric name,
 * each dimension under its name, one dimension set of all of them.
 */
export function countMetrics(
  timestampMs: number,
  dimensions: Readonly<Record<string, string>>,
  counts: Readonly<Record<string, number>>,
): EmbeddedMetricFields {
  return {
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [Object.keys(dimensions)],
          Metrics: Object.keys(counts).map((name) => ({ Name: name, Unit: "Count" })),
        },
      ],
    },
    ...dimensions,
    ...counts,
  };
}
