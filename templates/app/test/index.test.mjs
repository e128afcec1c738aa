// Unit tests of the sample application: node --test templates/app/test/index.test.mjs
import assert from "node:assert/strict";
import { test } from "node:test";
import { handler, route } from "../src/index.mjs";

const event = (path, query) => ({
  version: "2.0",
  rawPath: path,
  queryStringParameters: query,
  requestContext: { http: { method: "GET", path }, requestId: "r-1" },
  headers: {},
});

const body = (response) => JSON.parse(response.body);

test("GET /health answers ok with the version and environment", () => {
  const response = route(event("/health"), { AWS_LAMBDA_FUNCTION_VERSION: "7", ENVIRONMENT: "dev" });
  assert.equal(response.statusCode, 200);
  assert.equal(response.headers["content-type"], "application/json");
  assert.deepEqual(body(response), { status: "ok", version: "7", environment: "dev" });
});

test("GET /hello greets the world, or the name given", () => {
  assert.deepEqual(body(route(event("/hello"))), { message: "Hello, world!" });
  assert.deepEqual(body(route(event("/hello", { name: "pipewright" }))), { message: "Hello, pipewright!" });
});

test("GET /hello refuses a name that is not plain text", () => {
  assert.equal(route(event("/hello", { name: "<script>" })).statusCode, 400);
  assert.equal(route(event("/hello", { name: "x".repeat(65) })).statusCode, 400);
});

test("other routes answer 404", () => {
  assert.equal(route(event("/nope")).statusCode, 404);
  assert.equal(route({ ...event("/health"), requestContext: { http: { method: "POST" } } }).statusCode, 404);
});

test("the Lambda handler answers like route() and survives an empty event", async () => {
  assert.equal((await handler(event("/health"))).statusCode, 200);
  assert.equal((await handler({})).statusCode, 404);
});
