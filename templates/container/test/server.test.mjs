// Unit tests of the container sample, run inside the built image by the pipeline's testCommand
// (npm test, from the image's WORKDIR) or from the repository root:
//   node --test templates/container/test/server.test.mjs
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { connect } from "node:net";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createAppServer, DEFAULT_PORT, InvalidPortError, portFrom, shutdown } from "../src/server.mjs";

const SERVER_FILE = fileURLToPath(new URL("../src/server.mjs", import.meta.url));

async function listening(server) {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${server.address().port}`;
}

async function get(url, init) {
  const response = await fetch(url, init);
  return { status: response.status, contentType: response.headers.get("content-type"), body: await response.json() };
}

/** A raw connection that has sent a request's start but not its end: a request in flight. */
async function requestInFlight(url) {
  const { port } = new URL(url);
  const socket = connect(Number(port), "127.0.0.1");
  await once(socket, "connect");
  socket.write("GET /hello?name=in-flight HTTP/1.1\r\nHost: localhost\r\n");
  let answer = "";
  socket.on("data", (chunk) => (answer += chunk));
  const closed = once(socket, "close").then(() => answer);
  return { finish: () => socket.write("\r\n"), closed };
}

describe("routes", () => {
  const logged = [];
  const server = createAppServer({ environment: "test", log: (entry) => logged.push(entry) });
  let base;
  before(async () => (base = await listening(server)));
  after(() => shutdown(server));

  test("GET /health answers ok with the environment, as JSON", async () => {
    assert.deepEqual(await get(`${base}/health`), { status: 200, contentType: "application/json", body: { status: "ok", environment: "test" } });
  });

  test("GET /hello greets the world, or the name given", async () => {
    assert.deepEqual((await get(`${base}/hello`)).body, { message: "Hello, world!" });
    assert.deepEqual((await get(`${base}/hello?name=pipewright`)).body, { message: "Hello, pipewright!" });
  });

  test("GET /hello refuses a name that is not plain text", async () => {
    assert.equal((await get(`${base}/hello?name=${encodeURIComponent("<script>")}`)).status, 400);
    assert.equal((await get(`${base}/hello?name=${"x".repeat(65)}`)).status, 400);
  });

  test("other paths and methods answer 404 with JSON", async () => {
    assert.deepEqual(await get(`${base}/nope`), { status: 404, contentType: "application/json", body: { message: "No route for GET /nope" } });
    assert.equal((await get(`${base}/health`, { method: "POST" })).status, 404);
  });

  test("logs one line per request, except successful health checks", async () => {
    logged.length = 0;
    await get(`${base}/health`);
    await get(`${base}/hello?name=log`);
    assert.equal(logged.length, 1);
    assert.deepEqual(
      { ...logged[0], durationMs: typeof logged[0].durationMs },
      {
        level: "info",
        message: "request",
        method: "GET",
        url: "/hello?name=log",
        status: 200,
        durationMs: "number",
      },
    );
  });
});

describe("PORT", () => {
  test("defaults to 8080", () => {
    assert.equal(DEFAULT_PORT, 8080);
    assert.equal(portFrom({}), 8080);
    assert.equal(portFrom({ PORT: " " }), 8080);
  });

  test("takes an integer port", () => {
    assert.equal(portFrom({ PORT: "3000" }), 3000);
    assert.equal(portFrom({ PORT: "0" }), 0);
  });

  test("refuses anything else with the fix", () => {
    for (const value of ["abc", "80.5", "-1", "65536"]) {
      assert.throws(
        () => portFrom({ PORT: value }),
        (error) => error instanceof InvalidPortError && error.message.includes(`PORT "${value}"`),
      );
    }
    assert.throws(() => portFrom({ PORT: "x" }), /Fix: set PORT to an integer from 0 to 65535/);
  });
});

describe("graceful shutdown", () => {
  test("refuses new connections, answers the request in flight with Connection: close, closes idle connections", async () => {
    const server = createAppServer({ environment: "test", log: () => {} });
    const base = await listening(server);
    await get(`${base}/health`); // leaves an idle keep-alive connection behind
    const inFlight = await requestInFlight(base);
    const started = Date.now();
    const stopped = shutdown(server, { timeoutMs: 5_000 });
    const refused = connect(Number(new URL(base).port), "127.0.0.1");
    await assert.rejects(once(refused, "connect"), { code: "ECONNREFUSED" });
    inFlight.finish();
    const answer = await inFlight.closed;
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(answer, /\r\nconnection: close\r\n/i);
    assert.match(answer, /"message":"Hello, in-flight!"/);
    await stopped;
    assert.ok(Date.now() - started < 5_000, "shutdown waited for its timeout instead of closing the connections");
  });

  test("cuts connections still open when the timeout runs out", async () => {
    const server = createAppServer({ environment: "test", log: () => {} });
    const base = await listening(server);
    const stuck = await requestInFlight(base);
    await shutdown(server, { timeoutMs: 100 });
    assert.equal(await stuck.closed, "");
  });
});

describe("the process", () => {
  function start(env) {
    const child = spawn(process.execPath, [SERVER_FILE], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    const lines = [];
    const waiters = [];
    createInterface({ input: child.stdout }).on("line", (line) => {
      const entry = JSON.parse(line);
      lines.push(entry);
      for (const waiter of waiters.splice(0)) waiter();
    });
    const next = async (message) => {
      while (!lines.some((entry) => entry.message === message)) {
        if (child.exitCode !== null) assert.fail(`the server exited (${child.exitCode}) before logging "${message}": ${JSON.stringify(lines)}`);
        await new Promise((resolve) => waiters.push(resolve));
      }
      return lines.find((entry) => entry.message === message);
    };
    const exited = once(child, "exit").then(([code]) => code);
    return { child, next, exited };
  }

  test("listens on PORT, reports ENVIRONMENT, and exits 0 after SIGTERM", async () => {
    const server = start({ PORT: "0", ENVIRONMENT: "dev" });
    const { port } = await server.next("listening");
    assert.deepEqual((await get(`http://127.0.0.1:${port}/health`)).body, { status: "ok", environment: "dev" });
    server.child.kill("SIGTERM");
    assert.equal(await server.exited, 0);
    await server.next("stopped");
  });

  test("exits 1 with the fix when PORT is not a port", async () => {
    const server = start({ PORT: "http" });
    assert.equal(await server.exited, 1);
    assert.match(
      (await server.next('PORT "http" is not a port number. Fix: set PORT to an integer from 0 to 65535, or leave it unset for 8080')).level,
      /error/,
    );
  });
});
