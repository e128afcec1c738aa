/**
 * The emulator's request history (sandbox/emulator/request_history.py): the
 * last requests, written to a file when it stops, with each SDK call's
 * invocation id and attempt, so a call a client sent again can be found.
 */
import { DescribeTableCommand, DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { emulatorClientConfig, startEmulator } from "../../sandbox/emulator";

describe("AWS emulator: request history", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "pw-history-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes every request, its SDK attempt and its status when the emulator stops", async () => {
    const file = path.join(dir, "emulator-requests.log");
    const emulator = await startEmulator({ requestHistoryFile: file });
    try {
      const dynamodb = new DynamoDBClient(emulatorClientConfig(emulator));
      const sts = new STSClient(emulatorClientConfig(emulator));
      await dynamodb.send(new ListTablesCommand({}));
      await expect(dynamodb.send(new DescribeTableCommand({ TableName: "missing" }))).rejects.toThrow();
      await sts.send(new GetCallerIdentityCommand({}));
    } finally {
      await emulator.stop();
    }

    const rows = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .filter((line) => !line.startsWith("#"))
      .map((line) => line.split("\t"));
    const calls = rows.filter((row) => row[4] !== "/pipewright/health").map(([, , , method, operation, key, invocation, attempt, status]) => ({ method, operation, key, invocation, attempt, status }));
    expect(calls).toEqual([
      { method: "POST", operation: "DynamoDB_20120810.ListTables", key: "dynamodb:esting", invocation: expect.stringMatching(/^[0-9a-f-]{36}$/), attempt: "attempt=1;max=1", status: "200" },
      { method: "POST", operation: "DynamoDB_20120810.DescribeTable", key: "dynamodb:esting", invocation: expect.stringMatching(/^[0-9a-f-]{36}$/), attempt: "attempt=1;max=1", status: "400" },
      // Query-protocol services name the action in the body.
      { method: "POST", operation: "GetCallerIdentity", key: "sts:esting", invocation: expect.stringMatching(/^[0-9a-f-]{36}$/), attempt: "attempt=1;max=1", status: "200" },
    ]);
    expect(new Set(calls.map((call) => call.invocation)).size).toBe(3);
  });
});
