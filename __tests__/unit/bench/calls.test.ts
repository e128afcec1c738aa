/**
 * Reading the emulator's request history for the benchmark (bench/calls.ts):
 * which function made which call, and how many steps its calls took.
 */
import {
  callsByFunction,
  compareCalls,
  countOperations,
  formatCounts,
  operationName,
  parseRequestHistory,
  RequestHistoryFormatError,
  longestChain,
  type RecordedCall,
} from "../../../bench/calls";

const HEADER = "# start (UTC)\tms\tclient port\tmethod\toperation\tservice\tcaller\tSDK invocation\tattempt\tstatus\tnote";
const WEBHOOK = "100000000001:assumed-role/pipewright-webhook/pipewright-webhook";
const PR = "100000000001:assumed-role/pipewright-pr-pipelines/pipewright-pr-pipelines";
const ADMIN = "100000000001:user/pipewright-sandbox-admin";
/** The session pr-pipelines obtains with AssumeRole to delete preview stacks in dev. */
const CLEANUP = "200000000002:assumed-role/pipewright-preview-cleanup/pr-7-cleanup";

function line(start: string, ms: number, method: string, operation: string, service: string, caller: string): string {
  return [
    start,
    ms.toFixed(1),
    "50123",
    method,
    operation,
    service,
    caller,
    "3f0c2a1e-0000-4000-8000-000000000000",
    "attempt=1;max=3",
    "200",
    "",
  ].join("\t");
}

const HISTORY = [
  HEADER,
  line("2026-12-02T17:00:00.000000Z", 1.0, "POST", "AWSEvents.PutEvents", "events", WEBHOOK),
  line("2026-12-02T17:00:00.005000Z", 20.0, "POST", "AmazonSQS.ReceiveMessage", "sqs", ADMIN),
  line("2026-12-02T17:00:00.010000Z", 1.5, "POST", "DynamoDB_20120810.UpdateItem", "dynamodb", PR),
  line("2026-12-02T17:00:00.013000Z", 2.0, "POST", "CodePipeline_20150709.DeletePipeline", "codepipeline", PR),
  line("2026-12-02T17:00:00.014000Z", 2.0, "POST", "CodePipeline_20150709.DeletePipeline", "codepipeline", PR),
  line("2026-12-02T17:00:00.020000Z", 1.0, "POST", "AssumeRole", "sts", PR),
  line(
    "2026-12-02T17:00:00.020500Z",
    1.0,
    "GET",
    "/pipewright-pr-artifacts/pipewright-orders-pr-7/SourceArti/abc1234?versions&prefix=pipewrigh",
    "s3",
    PR,
  ),
  line("2026-12-02T17:00:00.030000Z", 1.0, "POST", "/pipewright-pr-artifacts?delete", "s3", PR),
  line("2026-12-02T17:00:00.030500Z", 3.0, "POST", "DeleteStack", "cloudformation", CLEANUP),
  line("2026-12-02T17:00:00.040000Z", 0.2, "GET", "/pipewright/health", "-", "-"),
  line("2026-12-02T17:00:09.000000Z", 1.0, "POST", "AWSEvents.PutEvents", "events", WEBHOOK),
].join("\n");

describe("the emulator's request history, read by the benchmark", () => {
  const calls = parseRequestHistory(HISTORY);

  it("reads every request with its start to the microsecond, operation, service and caller", () => {
    expect(calls).toHaveLength(11);
    expect(calls[2]).toEqual({
      startMs: Date.UTC(2026, 11, 2, 17, 0, 0, 10),
      durationMs: 1.5,
      method: "POST",
      operation: "UpdateItem",
      service: "dynamodb",
      caller: PR,
      attempt: "attempt=1;max=3",
      status: "200",
    });
    expect((calls[6] as RecordedCall).startMs - (calls[5] as RecordedCall).startMs).toBeCloseTo(0.5, 6);
  });

  it("names operations of JSON, query and REST services", () => {
    expect(calls.map((call) => call.operation)).toEqual([
      "PutEvents",
      "ReceiveMessage",
      "UpdateItem",
      "DeletePipeline",
      "DeletePipeline",
      "AssumeRole",
      "ListObjectVersions",
      "DeleteObjects",
      "DeleteStack",
      "GET /pipewright/health",
      "PutEvents",
    ]);
    expect(operationName("PUT", "/bucket/some/key", "s3")).toBe("PutObject");
    expect(operationName("GET", "/bucket?list-type=2&prefix=a", "s3")).toBe("ListObjectsV2");
  });

  it("refuses a history in another format, naming the line and the fix", () => {
    expect(() => parseRequestHistory(`${HEADER}\n17:00:00.000\t1.0\t1\tPOST\tx\tdynamodb:esting\t-\t-\t200\t`)).toThrow(RequestHistoryFormatError);
    expect(() => parseRequestHistory(`${HEADER}\n${line("17:00:00.000", 1, "POST", "x", "s", "-")}`)).toThrow(
      /Line 2 of the emulator's request history starts with "17:00:00.000", not an ISO time with microseconds\. Fix: /,
    );
  });

  it("gives each function its own calls within a time window, and those of a role it assumed there; not the sandbox's own nor health checks", () => {
    const byFunction = callsByFunction(
      calls,
      ["pipewright-webhook", "pipewright-pr-pipelines"],
      Date.UTC(2026, 11, 2, 17, 0, 0),
      Date.UTC(2026, 11, 2, 17, 0, 1),
    );
    expect(byFunction.get("pipewright-webhook")?.map((call) => call.operation)).toEqual(["PutEvents"]);
    expect(countOperations(byFunction.get("pipewright-pr-pipelines") ?? [])).toEqual({
      UpdateItem: 1,
      DeletePipeline: 2,
      AssumeRole: 1,
      ListObjectVersions: 1,
      DeleteObjects: 1,
      DeleteStack: 1,
    });
    // Before any AssumeRole, another role's calls are nobody's.
    expect(
      callsByFunction(calls, ["pipewright-pr-pipelines"], Date.UTC(2026, 11, 2, 17, 0, 0, 25), Date.UTC(2026, 11, 2, 17, 0, 1))
        .get("pipewright-pr-pipelines")
        ?.map((call) => call.operation),
    ).toEqual(["DeleteObjects"]);
  });

  it("finds the longest chain of calls each started after the previous one's answer", () => {
    const pr =
      callsByFunction(calls, ["pipewright-webhook", "pipewright-pr-pipelines"], 0, Number.MAX_SAFE_INTEGER).get("pipewright-pr-pipelines") ?? [];
    // UpdateItem; a DeletePipeline (the two side by side); AssumeRole or the listing; DeleteObjects or DeleteStack.
    expect(longestChain(pr)).toBe(4);
    expect(longestChain([])).toBe(0);
  });

  it("does not merge two side-by-side branches that drift apart, nor chain calls that overlap", () => {
    const call = (startMs: number): RecordedCall => ({
      startMs,
      durationMs: 200,
      method: "POST",
      operation: "X",
      service: "s",
      caller: PR,
      attempt: "-",
      status: "200",
    });
    // Branch b runs 150 ms behind branch a: each of its calls overlaps two of a's.
    const a = [call(0), call(205), call(410)];
    const b = [call(150), call(355), call(560)];
    expect(longestChain([...a, ...b])).toBe(3);
    expect(longestChain([call(0), call(100), call(199)])).toBe(1);
  });

  it("finds calls made more often than expected, unexpected ones included, and those made less often", () => {
    expect(compareCalls({ PutEvents: 1, GetSecretValue: 1 }, { PutEvents: 2, ListTables: 1 })).toEqual({
      more: [
        { operation: "ListTables", expected: 0, actual: 1 },
        { operation: "PutEvents", expected: 1, actual: 2 },
      ],
      fewer: [{ operation: "GetSecretValue", expected: 1, actual: 0 }],
    });
    expect(formatCounts({ UpdateItem: 2, AssumeRole: 1 })).toBe("AssumeRole, UpdateItem x2");
  });
});
