import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gatewayAnswer, toAnswer, toEvent, type HttpAnswer } from "./apigw-event";
import type { InvokeOutcome } from "./function-pool";
import type { HttpApiSpec, ResourcePermission } from "./manifest";
import { mayInvoke } from "./permissions";
import { TokenBucket } from "./throttle";

/** API Gateway HTTP APIs refuse request bodies above 10 MB. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Beyond this the front stops reading an oversized body and closes the connection. */
const DISCARD_LIMIT_BYTES = 4 * MAX_BODY_BYTES;

/** What a route's integration invokes: the function's resource policy and the function. */
export interface RouteTarget {
  readonly permissions: readonly ResourcePermission[];
  readonly invoke: (event: unknown) => Promise<InvokeOutcome>;
}

export interface HttpFrontOptions {
  readonly api: HttpApiSpec;
  readonly region: string;
  /** The target of each route's function, by function name. */
  readonly targets: ReadonlyMap<string, RouteTarget>;
  /** One line per request, in the stage's access-log format when it has one. */
  readonly accessLog: (line: string) => void;
}

export interface HttpFront {
  /** The stage's base URL (`http://127.0.0.1:<port>` for `$default`); a route is at `<url><path>`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Reads the body, or reports that it is over the limit (having read and dropped what fits). */
function readBody(request: IncomingMessage): Promise<Buffer | "too-large"> {
  const declared = Number(request.headers["content-length"] ?? "0");
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = declared > MAX_BODY_BYTES;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
      if (size > DISCARD_LIMIT_BYTES) {
        request.destroy();
        resolve("too-large");
      }
    });
    request.once("end", () => resolve(tooLarge ? "too-large" : Buffer.concat(chunks)));
    request.once("error", reject);
  });
}

/** API Gateway request ids: 16 characters of base64. */
function requestId(): string {
  return `${randomBytes(12).toString("base64").replace(/\+/g, "A").replace(/\//g, "B").slice(0, 15)}=`;
}

function accessLogLine(format: string | undefined, values: Record<string, string | number>): string {
  if (!format) return JSON.stringify(values);
  return format.replace(/\$context\.([\w.]+)/g, (_match, key: string) => String(values[key] ?? "-"));
}

/**
 * The HTTP API as API Gateway serves it: every route (`POST /webhook`, the
 * Slack routes) to its function, payload format 2.0, 10 MB bodies (413
 * beyond), each route's throttling (429), its integration timeout (503),
 * function errors (500), and the function's resource policy for that
 * route's source ARN checked before it is invoked. Other paths and methods: 404.
 */
export async function startHttpFront(options: HttpFrontOptions): Promise<HttpFront> {
  const { api } = options;
  const stagePrefix = api.stage === "$default" ? "" : `/${api.stage}`;
  const routes = new Map(
    api.routes.map((route) => {
      const target = options.targets.get(route.functionName);
      if (!target) throw new Error(`Route ${route.routeKey} integrates ${route.functionName}, which the runtime does not run`);
      return [
        `${route.method} ${stagePrefix}${route.path}`,
        { route, target, bucket: new TokenBucket(route.throttling.rateLimit, route.throttling.burstLimit) },
      ];
    }),
  );

  async function handle(
    request: IncomingMessage,
  ): Promise<{ answer: HttpAnswer; id: string; latency: number; integrationError: string; routeKey: string }> {
    const id = requestId();
    const path = new URL(request.url ?? "/", "http://sandbox").pathname;
    const matched = routes.get(`${request.method} ${path}`);
    let integrationError = "";
    const done = (answer: HttpAnswer, latency = 0) => ({ answer, id, latency, integrationError, routeKey: matched?.route.routeKey ?? "-" });
    if (!matched) {
      request.resume();
      return done(gatewayAnswer(404, "Not Found"));
    }
    const { route, target, bucket } = matched;
    const body = await readBody(request);
    if (body === "too-large") return done(gatewayAnswer(413, "Request Entity Too Large"));
    if (!bucket.tryTake()) return done(gatewayAnswer(429, "Too Many Requests"));
    const sourceArn = `${api.executionArn}/${api.stage}/${route.method}${route.path}`;
    if (!mayInvoke(target.permissions, "apigateway.amazonaws.com", sourceArn)) {
      integrationError = `API Gateway may not invoke ${route.functionName}: no lambda permission for ${sourceArn}`;
      return done(gatewayAnswer(500, "Internal Server Error"));
    }
    const event = toEvent(
      {
        method: request.method ?? "POST",
        url: request.url ?? "/",
        rawHeaders: request.rawHeaders,
        body,
        sourceIp: request.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "127.0.0.1",
        protocol: `HTTP/${request.httpVersion}`,
      },
      {
        apiId: api.apiId,
        accountId: api.accountId,
        region: options.region,
        routeKey: route.routeKey,
        stage: api.stage,
        requestId: id,
        time: new Date(),
      },
    );
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), route.timeoutMs)));
    // Past the integration timeout the function keeps running, as in AWS; only the answer is lost.
    const outcome = await Promise.race([target.invoke(event), timedOut]);
    clearTimeout(timer);
    const latency = Date.now() - started;
    if (outcome === "timeout") {
      integrationError = `The integration did not answer within ${route.timeoutMs} ms`;
      return done(gatewayAnswer(503, "Service Unavailable"), latency);
    }
    if (!outcome.ok) {
      integrationError = `${outcome.error.errorType}: ${outcome.error.errorMessage}`;
      return done(gatewayAnswer(500, "Internal Server Error"), latency);
    }
    return done(toAnswer(outcome.value), latency);
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const received = new Date();
    handle(request)
      .catch((error: unknown) => ({
        answer: gatewayAnswer(500, "Internal Server Error"),
        id: requestId(),
        latency: 0,
        integrationError: String(error),
        routeKey: "-",
      }))
      .then(({ answer, id, latency, integrationError, routeKey }) => {
        response.writeHead(answer.status, { ...answer.headers, "apigw-requestid": id, "content-length": String(answer.body.length) });
        response.end(answer.body);
        options.accessLog(
          accessLogLine(api.accessLogFormat, {
            requestId: id,
            "identity.sourceIp": request.socket.remoteAddress ?? "",
            requestTime: received.toISOString(),
            routeKey,
            status: answer.status,
            responseLength: answer.body.length,
            integrationLatency: latency,
            integrationErrorMessage: integrationError || "-",
          }),
        );
      });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${stagePrefix}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
