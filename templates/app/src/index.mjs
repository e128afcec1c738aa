/**
 * The pipewright sample application: what the pipeline builds, deploys through
 * CodeDeploy and tests. An HTTP API (payload format 2.0) sends every request here.
 *
 *   GET /health  -> 200 {"status":"ok","version":"<Lambda version>","environment":"dev|prod|pr"}
 *   GET /hello   -> 200 {"message":"Hello, <name>!"}  (?name=..., 1-64 letters, digits, spaces, - _ .)
 *   anything else -> 404
 *
 * No dependencies, so `aws cloudformation package` ships src/ as it is.
 */

const NAME = /^[\p{L}\p{N} _.-]{1,64}$/u;

function json(statusCode, body) {
  return {
    statusCode,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
    body: JSON.stringify(body),
  };
}

/** Routes one HTTP API event; exported for the unit tests. */
export function route(event, env = process.env) {
  const method = event?.requestContext?.http?.method ?? "GET";
  const path = event?.rawPath ?? "/";
  if (method === "GET" && path === "/health") {
    return json(200, {
      status: "ok",
      // The published version that answered ("$LATEST" when invoked unqualified).
      version: env.AWS_LAMBDA_FUNCTION_VERSION ?? "unknown",
      environment: env.ENVIRONMENT ?? "unknown",
    });
  }
  if (method === "GET" && path === "/hello") {
    const name = event?.queryStringParameters?.name ?? "world";
    if (!NAME.test(name)) {
      return json(400, { message: "name must be 1-64 letters, digits, spaces, '-', '_' or '.'" });
    }
    return json(200, { message: `Hello, ${name}!` });
  }
  return json(404, { message: `No route for ${method} ${path}` });
}

export const handler = async (event) => {
  const response = route(event);
  // One structured line per request; smoke requests of the pre-traffic hook say so.
  console.log(
    JSON.stringify({
      message: "request",
      method: event?.requestContext?.http?.method,
      path: event?.rawPath,
      status: response.statusCode,
      requestId: event?.requestContext?.requestId,
      smokeTest: event?.headers?.["x-pipewright-smoke-test"],
    }),
  );
  return response;
};
