/**
 * The emulator's request history (sandbox/emulator/request_history.py): the
 * last requests, written to a file when it stops, with who made each call
 * and each SDK call's invocation id and attempt, so the benchmark can count a
 * function's calls and a call a client sent again can be found.
 */
import { DescribeTableCommand, DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { EMULATOR_DEFAULT_ACCOUNT, emulatorClientConfig, setLatency, startEmulator } from "../../sandbox/emulator";

const HEADER = "# start (UTC)\tms\tclient port\tmethod\toperation\tservice\tcaller\tSDK invocation\tattempt\tstatus\tnote";

describe("AWS emulator: request history", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "pw-history-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes every request, who made it, its SDK attempt and its status when the emulator stops", async () => {
    const file = path.join(dir, "emulator-requests.log");
    const emulator = await startEmulator({ requestHistoryFile: file });
    const before = Date.now();
    try {
      const config = emulatorClientConfig(emulator);
      const dynamodb = new DynamoDBClient(config);
      const sts = new STSClient(config);
      const iam = new IAMClient(config);
      await dynamodb.send(new ListTablesCommand({}));
      await expect(dynamodb.send(new DescribeTableCommand({ TableName: "missing" }))).rejects.toThrow();
      await sts.send(new GetCallerIdentityCommand({}));

      await iam.send(new CreateUserCommand({ UserName: "operator" }));
      const { AccessKey: key } = await iam.send(new CreateAccessKeyCommand({ UserName: "operator" }));
      const trust = {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${EMULATOR_DEFAULT_ACCOUNT}:root` }, Action: "sts:AssumeRole" }],
      };
      await iam.send(new CreateRoleCommand({ RoleName: "worker", AssumeRolePolicyDocument: JSON.stringify(trust) }));
      const { Credentials: session } = await sts.send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${EMULATOR_DEFAULT_ACCOUNT}:role/worker`, RoleSessionName: "pipewright-worker" }),
      );
      await new DynamoDBClient({
        ...config,
        credentials: { accessKeyId: key?.AccessKeyId as string, secretAccessKey: key?.SecretAccessKey as string },
      }).send(new ListTablesCommand({}));
      await new DynamoDBClient({
        ...config,
        credentials: {
          accessKeyId: session?.AccessKeyId as string,
          secretAccessKey: session?.SecretAccessKey as string,
          sessionToken: session?.SessionToken as string,
        },
      }).send(new ListTablesCommand({}));
    } finally {
      await emulator.stop();
    }

    const [header, ...lines] = readFileSync(file, "utf8").trim().split("\n");
    expect(header).toBe(HEADER);
    const rows = lines.map((line) => line.split("\t")).filter((row) => row[4] !== "/pipewright/health");
    for (const [start] of rows) {
      expect(start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      expect(Date.parse(start as string)).toBeGreaterThanOrEqual(before - 1);
    }
    const calls = rows.map(([, , , method, operation, service, caller, invocation, attempt, status]) => ({
      method,
      operation,
      service,
      caller,
      invocation,
      attempt,
      status,
    }));
    const sdkCall = (operation: string, service: string, caller: string, status = "200") => ({
      method: "POST",
      operation,
      service,
      caller,
      invocation: expect.stringMatching(/^[0-9a-f-]{36}$/),
      attempt: "attempt=1;max=1",
      status,
    });
    // The launcher's credentials are no key the emulator issued.
    const unknown = "unknown:esting";
    expect(calls).toEqual([
      sdkCall("DynamoDB_20120810.ListTables", "dynamodb", unknown),
      sdkCall("DynamoDB_20120810.DescribeTable", "dynamodb", unknown, "400"),
      // Query-protocol services name the action in the body.
      sdkCall("GetCallerIdentity", "sts", unknown),
      sdkCall("CreateUser", "iam", unknown),
      sdkCall("CreateAccessKey", "iam", unknown),
      sdkCall("CreateRole", "iam", unknown),
      sdkCall("AssumeRole", "sts", unknown),
      sdkCall("DynamoDB_20120810.ListTables", "dynamodb", `${EMULATOR_DEFAULT_ACCOUNT}:user/operator`),
      sdkCall("DynamoDB_20120810.ListTables", "dynamodb", `${EMULATOR_DEFAULT_ACCOUNT}:assumed-role/worker/pipewright-worker`),
    ]);
    expect(new Set(calls.map((call) => call.invocation)).size).toBe(calls.length);
  });

  it("shows calls sent side by side overlapping, and a call that waited after them, once a latency is asked for", async () => {
    const file = path.join(dir, "with-latency.log");
    const emulator = await startEmulator({ requestHistoryFile: file });
    try {
      const dynamodb = new DynamoDBClient(emulatorClientConfig(emulator));
      await setLatency(emulator, 200);
      await Promise.all([dynamodb.send(new ListTablesCommand({})), dynamodb.send(new ListTablesCommand({ Limit: 5 }))]);
      await dynamodb.send(new ListTablesCommand({ Limit: 1 }));
      await fetch(`${emulator.endpoint}/pipewright/health`);
      await setLatency(emulator, 0);
      await dynamodb.send(new ListTablesCommand({}));
      const refused = await fetch(`${emulator.endpoint}/pipewright/latency`, { method: "POST", body: JSON.stringify({ milliseconds: "fast" }) });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toEqual({
        message: `milliseconds must be a whole number from 0 to 10000, not 'fast'. Fix: POST /pipewright/latency with a body like {"milliseconds": 200}`,
      });
    } finally {
      await emulator.stop();
    }

    const rows = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => line.split("\t"));
    // Microseconds matter here: Date.parse keeps milliseconds only.
    const timed = rows.map(([start = "", ms, , , operation]) => ({
      operation,
      startMs: Date.parse(start) + Number(start.slice(23, 26)) / 1000,
      ms: Number(ms),
    }));
    const [a, b, waited, undelayed] = timed.filter((row) => row.operation === "DynamoDB_20120810.ListTables");
    if (!a || !b || !waited || !undelayed) throw new Error(`expected four ListTables in the history, got ${JSON.stringify(timed)}`);
    expect([a.ms, b.ms, waited.ms].every((ms) => ms >= 200)).toBe(true);
    expect(b.startMs).toBeLessThan(a.startMs + a.ms);
    expect(waited.startMs).toBeGreaterThanOrEqual(Math.max(a.startMs + a.ms, b.startMs + b.ms));
    expect(undelayed.ms).toBeLessThan(200);
    // The emulator's own routes are never held back.
    expect(timed.filter((row) => row.operation?.startsWith("/pipewright/")).every((row) => row.ms < 200)).toBe(true);
  });
});
