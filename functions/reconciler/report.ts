import { countMetrics, type EmbeddedMetricFields } from "../shared/metrics";

/**
 * The reconciler's report: the counts of one run and the Embedded Metric
 * Format block that makes CloudWatch turn the summary log line into metrics.
 * Pure.
 */

export interface ReconcilerSummary {
  /** Pull request pipelines of this installation found in CodePipeline. */
  readonly prPipelines: number;
  /** Distinct pull requests whose state GitHub reported (with pipelines, or listed as open). */
  readonly prsChecked: number;
  /** Closed events put on the bus (planned, in a dry run). */
  readonly closedRequested: number;
  /** Reopened events put on the bus for open pull requests lacking pipelines (planned, in a dry run). */
  readonly created: number;
  /** Reopened events put on the bus for pull requests that waited for capacity and fit now (planned, in a dry run). */
  readonly pickedUp: number;
  /**
   * Pull requests left waiting for capacity: the ledger's queue as read, less those picked up or
   * forgotten this run (in a dry run, the queue as read; 0 when the ledger could not be read).
   */
  readonly waiting: number;
  /** Idle pull request pipelines removed (planned, in a dry run). */
  readonly idleRemoved: number;
  /** Pull requests left alone because GitHub could not tell their state. */
  readonly unknown: number;
  /** GitHub calls (or reads of its token) that failed after their retries. */
  readonly githubFailures: number;
  /** Events that could not be put on the bus, removals and pipeline look-ups that failed. */
  readonly awsFailures: number;
  readonly dryRun: boolean;
}

export const METRIC_DIMENSION = "Repository";

/** The dimension's value: the summary counts every repository of the catalog. */
export const ALL_REPOSITORIES = "all";

export const METRIC_NAMES = {
  closed: "ReconcilerClosed",
  created: "ReconcilerCreated",
  idleRemoved: "ReconcilerIdleRemoved",
  pickedUp: "ReconcilerPickedUp",
  waiting: "PullRequestsWaitingForCapacity",
  githubFailures: "ReconcilerGitHubFailures",
} as const;

/**
 * Fields to merge into the summary log line: CloudWatch Logs extracts the
 * metrics of a JSON line holding `_aws` (EMF). In a dry run nothing was
 * done, so the closed, created and idle metrics are 0; GitHub failures count
 * always.
 */
export function metricFields(summary: ReconcilerSummary, now: Date): EmbeddedMetricFields {
  const done = (count: number) => (summary.dryRun ? 0 : count);
  return countMetrics(
    now.getTime(),
    { [METRIC_DIMENSION]: ALL_REPOSITORIES },
    {
      [METRIC_NAMES.closed]: done(summary.closedRequested),
      [METRIC_NAMES.created]: done(summary.created),
      [METRIC_NAMES.idleRemoved]: done(summary.idleRemoved),
      [METRIC_NAMES.pickedUp]: done(summary.pickedUp),
      [METRIC_NAMES.waiting]: summary.waiting,
      [METRIC_NAMES.githubFailures]: summary.githubFailures,
    },
  );
}
