import { metricFields, type ReconcilerSummary } from "../../../functions/reconciler/report";
import { createLogger } from "../../../functions/shared/logger";
import { NOW, REPOSITORY } from "./support/fixtures";

const summary: ReconcilerSummary = {
  prPipelines: 6,
  prsChecked: 4,
  closedRequested: 2,
  created: 1,
  idleRemoved: 3,
  unknown: 1,
  githubFailures: 1,
  awsFailures: 0,
  dryRun: false,
};

describe("metricFields", () => {
  it("puts the counts into an Embedded Metric Format block", () => {
    expect(metricFields(summary, REPOSITORY, NOW)).toEqual({
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
              { Name: "ReconcilerGitHubFailures", Unit: "Count" },
            ],
          },
        ],
      },
      Repository: REPOSITORY,
      ReconcilerClosed: 2,
      ReconcilerCreated: 1,
      ReconcilerIdleRemoved: 3,
      ReconcilerGitHubFailures: 1,
    });
  });

  it("reports nothing done in a dry run, but GitHub failures still", () => {
    expect(metricFields({ ...summary, dryRun: true }, REPOSITORY, NOW)).toMatchObject({
      ReconcilerClosed: 0,
      ReconcilerCreated: 0,
      ReconcilerIdleRemoved: 0,
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
      createLogger("reconciler").info("Reconciler summary", { ...summary, ...metricFields(summary, REPOSITORY, NOW) });
    } finally {
      spy.mockRestore();
    }
    const lines = written
      .join("")
      .split("\n")
      .filter((line) => line.trim() !== "");
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ message: "Reconciler summary", closedRequested: 2, Repository: REPOSITORY, ReconcilerClosed: 2 });
    expect((line._aws as { CloudWatchMetrics: Array<{ Namespace: string }> }).CloudWatchMetrics[0]?.Namespace).toBe("pipewright");
  });
});
