import { countMetrics, METRIC_NAMESPACE } from "../../../functions/shared/metrics";

describe("countMetrics", () => {
  it("builds one EMF block: every count as a metric of the pipewright namespace, the dimensions as one set, values at the top level", () => {
    expect(countMetrics(1_764_000_000_000, { Repository: "acme/mono", Reason: "older" }, { PushesIgnored: 1, Other: 0 })).toEqual({
      _aws: {
        Timestamp: 1_764_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: METRIC_NAMESPACE,
            Dimensions: [["Repository", "Reason"]],
            Metrics: [
              { Name: "PushesIgnored", Unit: "Count" },
              { Name: "Other", Unit: "Count" },
            ],
          },
        ],
      },
      Repository: "acme/mono",
      Reason: "older",
      PushesIgnored: 1,
      Other: 0,
    });
    expect(METRIC_NAMESPACE).toBe("pipewright");
  });
});
