import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { CheckOutcome } from "../shared/traffic-hook";
import type { LambdaDeploymentTarget } from "../shared/traffic-hook-appspec";

/**
 * The pre-traffic smoke test, pure: the event sent to the new version
 * (what an HTTP API, payload format 2.0, sends for GET <path>) and the
 * judgement of its answer.
 */

/** Header that lets the application tell smoke requests from real traffic in its logs. */
export const SMOKE_HEADER = "x-pipewright-smoke-test";

export function smokeEvent(path: string, requestId: string, at: Date): APIGatewayProxyEventV2 {
  const routeKey = `GET ${path}`;
  return {
    version: "2.0",
    routeKey,
    rawPath: path,
    rawQueryString: "",
    headers: { accept: "application/json", "user-agent": "pipewright-pre-traffic", [SMOKE_HEADER]: "pre-traffic" },
    isBase64Encoded: false,
    requestContext: {
      accountId: "anonymous",
      apiId: "pipewright-pre-traffic",
      domainName: "pre-traffic.invalid",
      domainPrefix: "pre-traffic",
      http: { method: "GET", path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "pipewright-pre-traffic" },
      requestId,
      routeKey,
      stage: "$default",
      time: at.toISOString(),
      timeEpoch: at.getTime(),
    },
  };
}

/** What Lambda answered to the direct invocation of the new version. */
export interface InvokeAnswer {
  /** Set when the function threw or timed out ("Unhandled"). */
  functionError?: string;
  /** The response payload as text. */
  payload: string;
  /** The version that ran, as Lambda reports it. */
  executedVersion?: string;
}

export interface SmokeExpectation {
  path: string;
  /** The JSON body must hold `status` with this value. @default "ok" */
  status?: string;
}

function clip(text: string, length = 300): string {
  return text.length > length ? `${text.slice(0, length)}...` : text;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The HTTP response an HTTP API would make of the function's result (payload
 * format 2.0): an object with statusCode is a response; anything else is a
 * 200 whose body is the result itself as JSON.
 */
function httpResponse(result: unknown): { statusCode: unknown; body: string } {
  if (isObject(result) && "statusCode" in result) {
    const raw = typeof result.body === "string" ? result.body : result.body === undefined ? "" : JSON.stringify(result.body);
    const body = result.isBase64Encoded === true ? Buffer.from(raw, "base64").toString("utf8") : raw;
    return { statusCode: result.statusCode, body };
  }
  return { statusCode: 200, body: typeof result === "string" ? result : JSON.stringify(result) };
}

/** Judges the new version's answer to the smoke event. */
export function evaluateSmokeAnswer(answer: InvokeAnswer, target: LambdaDeploymentTarget, expectation: SmokeExpectation): CheckOutcome {
  const wanted = expectation.status ?? "ok";
  const request = `GET ${expectation.path} on ${target.functionName} version ${target.targetVersion}`;
  const details = { functionName: target.functionName, targetVersion: target.targetVersion, executedVersion: answer.executedVersion };
  if (answer.functionError) {
    return { passed: false, reason: `${request} failed with a ${answer.functionError} function error: ${clip(answer.payload)}`, details };
  }
  if (answer.executedVersion !== undefined && answer.executedVersion !== target.targetVersion) {
    return { passed: false, reason: `${request} was answered by version ${answer.executedVersion}, not the new version`, details };
  }
  const result = parseJson(answer.payload);
  if (!result.ok) return { passed: false, reason: `${request} returned a payload that is not JSON: ${clip(answer.payload)}`, details };
  const response = httpResponse(result.value);
  if (response.statusCode !== 200) {
    return { passed: false, reason: `${request} answered HTTP ${String(response.statusCode)}, expected 200: ${clip(response.body)}`, details };
  }
  const body = parseJson(response.body);
  if (!body.ok || !isObject(body.value)) {
    return { passed: false, reason: `${request} answered 200 with a body that is not a JSON object: ${clip(response.body)}`, details };
  }
  if (body.value.status !== wanted) {
    return {
      passed: false,
      reason: `${request} answered 200 but its body's status is ${JSON.stringify(body.value.status)}, expected "${wanted}"`,
      details,
    };
  }
  return { passed: true, summary: `${request} answered 200 with status "${wanted}"`, details: { ...details, body: body.value } };
}
