/**
 * The sandbox's execution environments (sandbox/runtime/function-pool.ts):
 * real child processes running a bundle with the function's configuration,
 * the sandbox's V8 flags, Lambda's failure kinds.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { FunctionPool, SANDBOX_NODE_FLAGS } from "../../../sandbox/runtime/function-pool";
import type { RunnableFunction } from "../../../sandbox/runtime/manifest";
import { compileFunctionHost } from "../../../sandbox/runtime/runtime";

const BUNDLE = `
exports.describe = async () => ({
  execArgv: process.execArgv,
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  endpoint: process.env.AWS_ENDPOINT_URL,
  accessKeyId: process.env.AWS_ACCESS_KEY_ID,
  table: process.env.TABLE_NAME,
});
exports.fails = async () => {
  const error = new Error("the claim was lost");
  error.name = "ClaimLostError";
  throw error;
};
exports.hangs = () => new Promise(() => undefined);
`;

describe("sandbox function environments", () => {
  let dir: string;
  let hostScript: string;
  const pools: FunctionPool[] = [];

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "pipewright-pool-"));
    writeFileSync(path.join(dir, "index.js"), BUNDLE);
    hostScript = compileFunctionHost(path.join(dir, "bin"));
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.stop()));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function pool(handler: string, overrides: Partial<RunnableFunction> = {}): FunctionPool {
    const fn: RunnableFunction = {
      name: "pipewright-pr-pipelines",
      arn: "arn:aws:lambda:eu-west-1:100000000001:function:pipewright-pr-pipelines",
      roleArn: "arn:aws:iam::100000000001:role/pipewright-pr-pipelines",
      handler,
      runtime: "nodejs22.x",
      archive: "/dev/null",
      timeoutSeconds: 30,
      memoryMb: 256,
      environment: { TABLE_NAME: "pipewright-pr-state" },
      logGroup: "/aws/lambda/pipewright-pr-pipelines",
      permissions: [],
      asyncInvoke: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 3600 },
      codeDir: dir,
      credentials: { accessKeyId: "ASIA-PR-ROLE", secretAccessKey: "secret", sessionToken: "token" },
      ...overrides,
    };
    const created = new FunctionPool(fn, {
      hostScript,
      endpoint: "http://127.0.0.1:4566",
      region: "eu-west-1",
      nodePath: dir,
      logFile: path.join(dir, `${handler}.log`),
      maxEnvironments: 1,
    });
    pools.push(created);
    return created;
  }

  it("runs the bundle with the function's variables, its role's credentials and the sandbox's V8 flags", async () => {
    const outcome = await pool("index.describe").invoke({});
    expect(outcome).toMatchObject({
      ok: true,
      value: {
        execArgv: [...SANDBOX_NODE_FLAGS],
        functionName: "pipewright-pr-pipelines",
        endpoint: "http://127.0.0.1:4566",
        accessKeyId: "ASIA-PR-ROLE",
        table: "pipewright-pr-state",
      },
    });
  });

  it("reports what a failed invocation threw as Unhandled, and logs it", async () => {
    const outcome = await pool("index.fails").invoke({});
    expect(outcome).toMatchObject({ ok: false, kind: "Unhandled", error: { errorType: "ClaimLostError", errorMessage: "the claim was lost" } });
    await pools.splice(0)[0]?.stop();
    expect(readFileSync(path.join(dir, "index.fails.log"), "utf8")).toMatch(/ERROR\tInvoke Error \t.*ClaimLostError/);
  });

  it("kills an environment that runs past the function's timeout and reports Timeout", async () => {
    const outcome = await pool("index.hangs", { timeoutSeconds: 1 }).invoke({});
    expect(outcome).toMatchObject({ ok: false, kind: "Timeout", error: { errorMessage: "Task timed out after 1.00 seconds" } });
  });
});
