/**
 * Integration tests of a deployed container sample, run by the pipeline after
 * the dev deployment (templates/container/buildspec-integration.yml):
 *
 *   API_URL=http://<load balancer DNS name> node --test templates/container/test/integration.mjs
 *
 * API_URL is the stack's ApiUrl output. EXPECTED_ENVIRONMENT (optional) is
 * what /health must report, e.g. "dev".
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";

const TIMEOUT_MS = Number(process.env.REQUEST_TIMEOUT_MS ?? 5000);
const ATTEMPTS = 3;
let base;

before(() => {
  const raw = process.env.API_URL ?? "";
  assert.ok(raw.trim() !== "", "API_URL is not set. Fix: pass the stack's ApiUrl output (a pipeline variable) as API_URL");
  const url = new URL(raw.trim());
  assert.ok(["https:", "http:"].includes(url.protocol), `API_URL ${raw} is not an http(s) URL`);
  base = `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
});

/** GET with a timeout; retries network errors and 5xx briefly (a target may be draining or registering). */
async function get(path, method = "GET") {
  let lastError;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const response = await fetch(`${base}${path}`, { method, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: "manual" });
      const text = await response.text();
      if (response.status < 500 || attempt === ATTEMPTS) return { status: response.status, contentType: response.headers.get("content-type"), text };
      lastError = new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 200)}`);
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
  }
  throw new Error(`${method} ${path} failed ${ATTEMPTS} times: ${lastError?.message ?? lastError}`, { cause: lastError });
}

const json = (text) => {
  try {
    return JSON.parse(text);
  } catch {
    assert.fail(`expected a JSON body, got: ${text.slice(0, 200)}`);
  }
};

test("GET /health answers 200 with status ok", async () => {
  const { status, contentType, text } = await get("/health");
  assert.equal(status, 200, text);
  assert.equal(contentType, "application/json");
  const body = json(text);
  assert.equal(body.status, "ok");
  if (process.env.EXPECTED_ENVIRONMENT) assert.equal(body.environment, process.env.EXPECTED_ENVIRONMENT);
});

test("GET /hello greets by name", async () => {
  const { status, text } = await get("/hello?name=pipewright");
  assert.equal(status, 200, text);
  assert.deepEqual(json(text), { message: "Hello, pipewright!" });
});

test("GET /hello refuses markup in the name", async () => {
  const { status } = await get(`/hello?name=${encodeURIComponent("<script>")}`);
  assert.equal(status, 400);
});

test("paths and methods that do not exist answer 404 with JSON", async () => {
  const missing = await get("/does-not-exist");
  assert.equal(missing.status, 404);
  assert.equal(json(missing.text).message, "No route for GET /does-not-exist");
  assert.equal((await get("/health", "POST")).status, 404);
});
