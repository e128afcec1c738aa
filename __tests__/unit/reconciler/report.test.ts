import { metricFields, type ReconcilerSummary } from "../../../functions/reconciler/report";
import { createLogger } from "../../../functions/shared/logger";
import { NOW } from "./support/fixtures";

const summary: ReconcilerSummary = {
  prPipelines: 6,
  prsChecked: 4,
  closedRequested: 2,
  created: 1,
  pickedUp: 2,
  waiting: 5,
  idleRemoved: 3,
  unknown: 1,
  githubFailures: 1,
  awsFailures: 0,
  dryRun: false,
};

describe("metricFields", () => {
  it("puts the counts into an Embedded Metric Format block", () => {
    expect(metricFields(summary, NOW)).toEqual({
      _aws: {
        Timestamp: NOW.getTime(),
        CloudWatchMetrics: [
          {
            Namespace: "pipewright",
            Dimensions: [["Repository"]],
            Metrics: [
              { Name: "ReconcilerClosed", Unit: "Count" },
              { Name: "ReconcilerCreated", Unit: "Count" },
              { Name: "ReconcilerIdleRemoved", Unit: "Count" },
              { Name: "ReconcilerPickedUp", Unit: "Count" },
              { Name: "PullRequestsWaitingForCapacity", Unit: "Count" },
              { Name: "ReconcilerGitHubFailures", Unit: "Count" },
            ],
          },
        ],
      },
      Repository: "all",
      ReconcilerClosed: 2,
      ReconcilerCreated: 1,
      ReconcilerIdleRemoved: 3,
      ReconcilerPickedUp: 2,
      PullRequestsWaitingForCapacity: 5,
      ReconcilerGitHubFailures: 1,
    });
  });

  it("reports nothing done in a dry run, but GitHub failures and the waiting pull requests still", () => {
    expect(metricFields({ ...summary, dryRun: true }, NOW)).toMatchObject({
      ReconcilerClosed: 0,
      ReconcilerCreated: 0,
      ReconcilerIdleRemoved: 0,
      ReconcilerPickedUp: 0,
      PullRequestsWaitingForCapacity: 5,
      ReconcilerGitHubFailures: 1,
    });
  });

  it("stays at the top level of the Powertools log line, where CloudWatch looks for it", () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      createLogger("reconciler").info("Reconciler summary", { ...summary, ...metricFields(summary, NOW) });
    } finally {
      spy.mockRestore();
    }
    const lines = written
      .join("")
      .split("\n")
      .filter((line) => line.trim() !== "");
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ message: "Reconciler summary", closedRequested: 2, Repository: "all", ReconcilerClosed: 2 });
    expect((line._aws as { CloudWatchMetrics: Array<{ Namespace: string }> }).CloudWatchMetrics[0]?.Namespace).toBe("pipewright");
  });
});
