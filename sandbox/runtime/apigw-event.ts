import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

/**
 * API Gateway HTTP API, Lambda proxy integration, payload format 2.0: the
 * event a function receives and how its result becomes the HTTP answer.
 * Pure functions, so the HTTP front stays a thin shell.
 */

export interface IncomingRequest {
  readonly method: string;
  /** Path and query, e.g. /webhook?x=1. */
  readonly url: string;
  /** Header names as sent; several values of one header in order. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly protocol: string;
}

export interface RouteContext {
  readonly apiId: string;
  readonly accountId: string;
  readonly region: string;
  readonly routeKey: string;
  readonly stage: string;
  readonly requestId: string;
  readonly time: Date;
}

/**
 * Content types API Gateway passes as text; every other body arrives base64-encoded, form bodies
 * (`application/x-www-form-urlencoded`, as Slack posts) and bodies without a content type included.
 */
const TEXT_CONTENT_TYPE = /^(text\/|application\/(json|[\w.+-]+\+json|xml|[\w.+-]+\+xml|javascript)\b)/i;

/** `22/Nov/2026:04:17:31 +0000`, API Gateway's requestContext.time. */
export function requestTime(time: Date): string {
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(time.getUTCDate())}/${months[time.getUTCMonth()]}/${time.getUTCFullYear()}:${pad(time.getUTCHours())}:${pad(time.getUTCMinutes())}:${pad(time.getUTCSeconds())} +0000`;
}

/** Lower-cased header names; repeated headers joined with commas (cookies go to `cookies`). */
function headersOf(rawHeaders: readonly string[]): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    if (name === "cookie") cookies.push(...value.split(/;\s*/).filter(Boolean));
    else headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return { headers, cookies };
}

export function toEvent(request: IncomingRequest, route: RouteContext): APIGatewayProxyEventV2 {
  const url = new URL(request.url, "http://sandbox");
  const { headers, cookies } = headersOf(request.rawHeaders);
  const domainName = `${route.apiId}.execute-api.${route.region}.amazonaws.com`;
  headers.host = domainName;
  headers["x-forwarded-for"] = request.sourceIp;
  headers["x-forwarded-proto"] = "https";
  headers["x-forwarded-port"] = "443";
  headers["x-amzn-trace-id"] = `Root=1-${Math.floor(route.time.getTime() / 1000).toString(16)}-${route.requestId.replace(/-/g, "").slice(0, 24)}`;
  const isText = TEXT_CONTENT_TYPE.test(headers["content-type"] ?? "");
  const query = url.searchParams;
  const queryStringParameters: Record<string, string> = {};
  for (const key of new Set(query.keys())) queryStringParameters[key] = query.getAll(key).join(",");
  const event: APIGatewayProxyEventV2 = {
    version: "2.0",
    routeKey: route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ""),
    headers,
    requestContext: {
      accountId: route.accountId,
      apiId: route.apiId,
      domainName,
      domainPrefix: route.apiId,
      http: {
        method: request.method,
        path: url.pathname,
        protocol: request.protocol,
        sourceIp: request.sourceIp,
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: route.requestId,
      routeKey: route.routeKey,
      stage: route.stage,
      time: requestTime(route.time),
      timeEpoch: route.time.getTime(),
    },
    isBase64Encoded: !isText && request.body.length > 0,
  };
  if (cookies.length > 0) event.cookies = cookies;
  if (query.size > 0) event.queryStringParameters = queryStringParameters;
  if (request.body.length > 0) event.body = isText ? request.body.toString("utf8") : request.body.toString("base64");
  return event;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

/**
 * The HTTP answer for a function's result. Payload 2.0: a result with a
 * statusCode is used as given; anything else is a 200 JSON body.
 */
export function toAnswer(result: unknown): HttpAnswer {
  if (result !== null && typeof result === "object" && "statusCode" in result) {
    const structured = result as APIGatewayProxyStructuredResultV2;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(structured.headers ?? {})) headers[name.toLowerCase()] = String(value);
    if (structured.cookies && structured.cookies.length > 0) headers["set-cookie"] = structured.cookies;
    const raw = structured.body ?? "";
    return {
      status: Number(structured.statusCode),
      headers,
      body: structured.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8"),
    };
  }
  const body = typeof result === "string" ? result : JSON.stringify(result);
  return { status: 200, headers: { "content-type": "application/json" }, body: Buffer.from(body ?? "", "utf8") };
}

/** The answers API Gateway gives on its own, before or instead of the function's. */
export function gatewayAnswer(status: number, message: string): HttpAnswer {
  return { status, headers: { "content-type": "application/json" }, body: Buffer.from(JSON.stringify({ message })) };
}
