/** The post-traffic judgement and its settings (functions/post-traffic/{verdict,config,endpoint}.ts). */
import fc from "fast-check";
import { parsePostTrafficConfig } from "../../../functions/post-traffic/config";
import { EndpointNotFoundError, healthUrl } from "../../../functions/post-traffic/endpoint";
import { judgeProbes, percentile, type ProbeSample } from "../../../functions/post-traffic/verdict";
import { TrafficHookConfigError } from "../../../functions/shared/traffic-hook-config";

const URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/health";
const ok = (latencyMs: number): ProbeSample => ({ status: 200, latencyMs });
const limits = { requests: 10, maxLatencyMs: 1000 };

describe("percentile", () => {
  it("is the nearest rank", () => {
    const values = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    expect(percentile(values, 95)).toBe(10);
    expect(percentile(values, 50)).toBe(5);
    expect(percentile([42], 95)).toBe(42);
  });

  it("is one of the values, at least as large as the given share of them", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 100 }), (values, p) => {
        const result = percentile(values, p);
        expect(values).toContain(result);
        expect(values.filter((v) => v <= result).length / values.length).toBeGreaterThanOrEqual(p / 100);
      }),
    );
  });

  it("refuses an empty list", () => {
    expect(() => percentile([], 95)).toThrow(RangeError);
  });
});

describe("judgeProbes", () => {
  it("passes when every request answered 200 and p95 is within the limit", () => {
    const outcome = judgeProbes(
      URL,
      Array.from({ length: 10 }, (_, i) => ok(100 + i * 10)),
      limits,
    );
    expect(outcome).toEqual({
      passed: true,
      summary: `GET ${URL}: 10 of 10 requests answered 200, p95 latency 190 ms (limit 1000 ms)`,
      details: expect.objectContaining({ p95LatencyMs: 190, statuses: "10x HTTP 200", requests: 10 }),
    });
  });

  it("fails on any non-200, listing what came back", () => {
    const samples = [
      ...Array.from({ length: 8 }, () => ok(50)),
      { status: 502, latencyMs: 30 },
      { error: "timed out after 3000 ms", latencyMs: 3000 },
    ];
    const outcome = judgeProbes(URL, samples, limits);
    expect(outcome).toMatchObject({
      passed: false,
      reason: expect.stringContaining("2 of 10 requests did not answer 200 (1x HTTP 502, 1x no answer (timed out after 3000 ms))"),
    });
  });

  it("fails when p95 latency is over the limit", () => {
    const samples = [...Array.from({ length: 9 }, () => ok(100)), ok(1500)];
    expect(judgeProbes(URL, samples, limits)).toMatchObject({
      passed: false,
      reason: expect.stringContaining("p95 latency 1500 ms exceeds the limit of 1000 ms"),
    });
  });

  it("fails when fewer requests than planned could be made", () => {
    expect(judgeProbes(URL, [ok(10)], limits)).toMatchObject({ passed: false, reason: expect.stringContaining("only 1 of 10 requests") });
    expect(judgeProbes(URL, [], { requests: 0, maxLatencyMs: 1 })).toMatchObject({
      passed: false,
      reason: expect.stringContaining("no request was made"),
    });
  });
});

describe("parsePostTrafficConfig", () => {
  it("has defaults: 10 requests, p95 <= 1000 ms, 3 s per request, /health", () => {
    expect(parsePostTrafficConfig({})).toEqual({ requests: 10, maxLatencyMs: 1000, requestTimeoutMs: 3000, healthPath: "/health" });
  });

  it("reads every variable", () => {
    expect(parsePostTrafficConfig({ POST_TRAFFIC_REQUESTS: "25", MAX_LATENCY_MS: "2500", REQUEST_TIMEOUT_MS: "4000", HEALTH_PATH: "/ping" })).toEqual(
      {
        requests: 25,
        maxLatencyMs: 2500,
        requestTimeoutMs: 4000,
        healthPath: "/ping",
      },
    );
    expect(parsePostTrafficConfig({ MAX_LATENCY_MS: "2500" }).requestTimeoutMs).toBe(7500);
  });

  it.each([
    ["POST_TRAFFIC_REQUESTS", { POST_TRAFFIC_REQUESTS: "0" }],
    ["POST_TRAFFIC_REQUESTS", { POST_TRAFFIC_REQUESTS: "500" }],
    ["MAX_LATENCY_MS", { MAX_LATENCY_MS: "fast" }],
    ["REQUEST_TIMEOUT_MS", { REQUEST_TIMEOUT_MS: "10" }],
    ["HEALTH_PATH", { HEALTH_PATH: "health" }],
  ])("names %s when it is invalid", (variable, env) => {
    expect(() => parsePostTrafficConfig(env)).toThrow(TrafficHookConfigError);
    expect(() => parsePostTrafficConfig(env)).toThrow(new RegExp(`Environment variable ${variable} is invalid`));
  });
});

describe("healthUrl", () => {
  it("appends the path to the API's base URL, with or without a trailing slash", () => {
    expect(healthUrl("fn", "https://abc.execute-api.eu-west-1.amazonaws.com", "/health")).toBe(
      "https://abc.execute-api.eu-west-1.amazonaws.com/health",
    );
    expect(healthUrl("fn", "https://api.example.com/v1/", "/health")).toBe("https://api.example.com/v1/health");
    expect(healthUrl("fn", "http://127.0.0.1:8080", "/health")).toBe("http://127.0.0.1:8080/health");
  });

  it.each([
    ["not a URL", "abc", /is not a URL/],
    ["plain http to a real host", "http://abc.execute-api.eu-west-1.amazonaws.com", /is not an https URL/],
    ["a query", "https://api.example.com/?x=1", /query or fragment/],
  ])("refuses %s", (_name, apiUrl, problem) => {
    expect(() => healthUrl("fn", apiUrl, "/health")).toThrow(EndpointNotFoundError);
    expect(() => healthUrl("fn", apiUrl, "/health")).toThrow(problem);
  });
});
