/**
 * Serves the sample application on 127.0.0.1 the way an HTTP API would call it
 * (payload format 2.0), to try it or its integration tests without AWS:
 *
 *   node templates/app/test/local-server.mjs [port]     # prints: LISTENING http://127.0.0.1:<port>
 *   API_URL=http://127.0.0.1:<port> node --test templates/app/test/integration.mjs
 *
 * Like the deployed API, only GET /health and GET /hello reach the function;
 * other routes get API Gateway's own 404.
 */
import { createServer } from "node:http";
import { handler } from "../src/index.mjs";

// What Lambda would set behind the live alias: a published version, and the stack's environment.
process.env.AWS_LAMBDA_FUNCTION_VERSION ??= "1";
process.env.ENVIRONMENT ??= "local";

const ROUTES = new Set(["GET /health", "GET /hello"]);

function toEvent(request, url) {
  const routeKey = `${request.method} ${url.pathname}`;
  return {
    version: "2.0",
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    queryStringParameters: url.search ? Object.fromEntries(url.searchParams) : undefined,
    headers: Object.fromEntries(Object.entries(request.headers).map(([key, value]) => [key, String(value)])),
    isBase64Encoded: false,
    requestContext: {
      http: { method: request.method, path: url.pathname, protocol: `HTTP/${request.httpVersion}`, sourceIp: "127.0.0.1" },
      requestId: `local-${Date.now()}`,
      routeKey,
      stage: "$default",
    },
  };
}

const server = createServer(async (request, response) => {
  const url = new URL(request.url ?? "/", "http://127.0.0.1");
  if (!ROUTES.has(`${request.method} ${url.pathname}`)) {
    response.writeHead(404, { "content-type": "application/json" }).end('{"message":"Not Found"}');
    return;
  }
  try {
    const result = await handler(toEvent(request, url));
    response.writeHead(result.statusCode, result.headers).end(result.body);
  } catch (error) {
    console.error(error);
    response.writeHead(500, { "content-type": "application/json" }).end('{"message":"Internal Server Error"}');
  }
});

server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  console.log(`LISTENING http://127.0.0.1:${server.address().port}`);
});
