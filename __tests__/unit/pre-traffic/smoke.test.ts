/** The pre-traffic smoke test's pure parts (functions/pre-traffic/smoke.ts). */
import { evaluateSmokeAnswer, smokeEvent } from "../../../functions/pre-traffic/smoke";
import { parseHealthPath, parseIntegerSetting, TrafficHookConfigError } from "../../../functions/shared/traffic-hook-config";
import { FUNCTION_NAME } from "./support/hooks";

const target = { resourceName: "AppFunction", functionName: FUNCTION_NAME, alias: "live", currentVersion: "3", targetVersion: "4" };
const expectation = { path: "/health" };
const payload = (value: unknown) => ({ payload: JSON.stringify(value), executedVersion: "4" });

describe("smokeEvent", () => {
  it("is what an HTTP API sends for GET <path> (payload format 2.0)", () => {
    const at = new Date("2026-01-02T03:04:05.000Z");
    expect(smokeEvent("/health", "req-1", at)).toMatchObject({
      version: "2.0",
      routeKey: "GET /health",
      rawPath: "/health",
      rawQueryString: "",
      isBase64Encoded: false,
      requestContext: { http: { method: "GET", path: "/health" }, requestId: "req-1", routeKey: "GET /health", timeEpoch: at.getTime() },
    });
  });
});

describe("evaluateSmokeAnswer", () => {
  it("passes a 200 whose JSON body has status ok", () => {
    expect(evaluateSmokeAnswer(payload({ statusCode: 200, body: '{"status":"ok"}' }), target, expectation)).toMatchObject({ passed: true });
  });

  it("reads a base64-encoded body", () => {
    const body = Buffer.from('{"status":"ok"}').toString("base64");
    expect(evaluateSmokeAnswer(payload({ statusCode: 200, body, isBase64Encoded: true }), target, expectation)).toMatchObject({ passed: true });
  });

  it("treats a result without statusCode as API Gateway does: a 200 whose body is the result", () => {
    expect(evaluateSmokeAnswer(payload({ status: "ok" }), target, expectation)).toMatchObject({ passed: true });
    expect(evaluateSmokeAnswer(payload({ hello: "world" }), target, expectation)).toMatchObject({
      passed: false,
      reason: expect.stringContaining("status is undefined"),
    });
  });

  it("fails a payload that is not JSON, and an empty one", () => {
    expect(evaluateSmokeAnswer({ payload: "OK" }, target, expectation)).toMatchObject({ passed: false, reason: expect.stringContaining("not JSON") });
    expect(evaluateSmokeAnswer({ payload: "" }, target, expectation)).toMatchObject({ passed: false });
  });

  it("clips long payloads in the reason", () => {
    const outcome = evaluateSmokeAnswer({ payload: "x".repeat(5000), executedVersion: "4" }, target, expectation);
    expect(outcome.passed).toBe(false);
    expect(outcome.passed === false && outcome.reason.length).toBeLessThan(500);
  });
});

describe("hook settings", () => {
  it("HEALTH_PATH defaults to /health and must be a path", () => {
    expect(parseHealthPath(undefined)).toBe("/health");
    expect(parseHealthPath("/status/deep")).toBe("/status/deep");
    expect(() => parseHealthPath("/health?x=1")).toThrow(TrafficHookConfigError);
    expect(() => parseHealthPath("health")).toThrow(/HEALTH_PATH/);
  });

  it("whole-number settings respect their bounds", () => {
    expect(parseIntegerSetting("N", undefined, { min: 1, max: 5, default: 3 })).toBe(3);
    expect(parseIntegerSetting("N", " 5 ", { min: 1, max: 5, default: 3 })).toBe(5);
    for (const bad of ["0", "6", "1.5", "-1", "ten", ""]) {
      expect(() => parseIntegerSetting("N", bad, { min: 1, max: 5, default: 3 })).toThrow(/Environment variable N is invalid/);
    }
  });
});
