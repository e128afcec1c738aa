/**
 * The pipewright container sample: a Node HTTP service that ECS runs on Fargate
 * behind an Application Load Balancer (templates/container/template.yaml).
 *
 *   GET /health  -> 200 {"status":"ok","environment":"dev|prod|pr"}  (the target group's health check)
 *   GET /hello   -> 200 {"message":"Hello, <name>!"}  (?name=..., 1-64 letters, digits, spaces, - _ .)
 *   anything else -> 404 {"message":"No route for <method> <path>"}
 *
 * Environment: PORT (default 8080), ENVIRONMENT. On SIGTERM (how ECS stops a task)
 * it stops accepting connections, finishes the requests in flight and exits.
 * No dependencies, so the image needs no npm install.
 */
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";

export const DEFAULT_PORT = 8080;
const NAME = /^[\p{L}\p{N} _.-]{1,64}$/u;
// Longer than the load balancer's idle timeout, so the load balancer closes idle connections,
// never Node: a request sent on a connection Node has just closed would get a 502.
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
const SHUTDOWN_TIMEOUT_MS = 10_000;

export class InvalidPortError extends Error {
  constructor(value) {
    super(`PORT "${value}" is not a port number. Fix: set PORT to an integer from 0 to 65535, or leave it unset for ${DEFAULT_PORT}`);
    this.name = "InvalidPortError";
  }
}

/** The port to listen on, from PORT. */
export function portFrom(env = process.env) {
  const raw = env.PORT?.trim();
  if (!raw) return DEFAULT_PORT;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65_535) throw new InvalidPortError(raw);
  return port;
}

function send(response, statusCode, body) {
  response.writeHead(statusCode, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));
}

/** Answers one request; returns the status it sent. */
function route(request, response, environment) {
  const url = new URL(request.url ?? "/", "http://localhost");
  if (request.method === "GET" && url.pathname === "/health") {
    send(response, 200, { status: "ok", environment });
    return 200;
  }
  if (request.method === "GET" && url.pathname === "/hello") {
    const name = url.searchParams.get("name") ?? "world";
    if (!NAME.test(name)) {
      send(response, 400, { message: "name must be 1-64 letters, digits, spaces, '-', '_' or '.'" });
      return 400;
    }
    send(response, 200, { message: `Hello, ${name}!` });
    return 200;
  }
  send(response, 404, { message: `No route for ${request.method} ${url.pathname}` });
  return 404;
}

/**
 * The service as a node:http server, not yet listening.
 * log receives one object per request (health checks excepted) and per failure.
 */
export function createAppServer({ environment = process.env.ENVIRONMENT ?? "unknown", log = (entry) => console.log(JSON.stringify(entry)) } = {}) {
  const server = createServer((request, response) => {
    const started = performance.now();
    // Shutting down: the connection closes after this answer instead of waiting for another request.
    if (!server.listening) response.setHeader("connection", "close");
    let status;
    try {
      status = route(request, response, environment);
    } catch (error) {
      log({ level: "error", message: "request failed", method: request.method, url: request.url, error: String(error?.stack ?? error) });
      if (!response.headersSent) send(response, 500, { message: "Internal Server Error" });
      return;
    }
    // The target group's health checks would be most of the log (and of its cost).
    if (request.url === "/health" && status === 200) return;
    log({ level: "info", message: "request", method: request.method, url: request.url, status, durationMs: Math.round(performance.now() - started) });
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  return server;
}

/**
 * Graceful stop: no new connections, idle keep-alive connections closed at once,
 * requests in flight answered; whatever is still open after timeoutMs is cut.
 */
export function shutdown(server, { timeoutMs = SHUTDOWN_TIMEOUT_MS } = {}) {
  return new Promise((resolve, reject) => {
    const cut = setTimeout(() => server.closeAllConnections(), timeoutMs);
    cut.unref();
    server.close((error) => {
      clearTimeout(cut);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}

/** Runs the service until SIGTERM or SIGINT. */
function main() {
  const log = (entry) => console.log(JSON.stringify(entry));
  let port;
  try {
    port = portFrom();
  } catch (error) {
    log({ level: "error", message: error.message });
    process.exit(1);
  }
  const server = createAppServer({ log });
  server.listen(port, () => log({ level: "info", message: "listening", port: server.address().port, environment: process.env.ENVIRONMENT }));
  const stop = (signal) => {
    log({ level: "info", message: "stopping", signal });
    shutdown(server).then(
      () => {
        log({ level: "info", message: "stopped" });
        process.exit(0);
      },
      (error) => {
        log({ level: "error", message: "stopping failed", error: String(error) });
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
