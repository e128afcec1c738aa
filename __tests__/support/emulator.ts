/** Jest helpers for tests that run against the AWS emulator (sandbox/emulator.ts). */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { type Emulator, EMULATOR_REGION, type EmulatorOptions, MOTO_ACCOUNT_HEADER, startEmulator } from "../../sandbox/emulator";

/**
 * Starts one emulator for the enclosing describe block and stops it afterwards, even when
 * tests fail. Returns a getter, because the emulator exists only once beforeAll has run.
 */
export function useEmulator(options?: EmulatorOptions): () => Emulator {
  let emulator: Emulator | undefined;
  beforeAll(async () => {
    emulator = await startEmulator(options);
  });
  afterAll(async () => {
    await emulator?.stop();
  });
  return () => {
    if (!emulator) throw new Error("The AWS emulator is not running: did beforeAll fail?");
    return emulator;
  };
}

export interface RawCall {
  /** Signing name, which moto routes by, e.g. "codedeploy" or "kms". */
  service: string;
  accountId?: string;
  region?: string;
}

export interface RawResponse {
  status: number;
  body: string;
}

/**
 * Calls an AWS JSON-protocol operation as raw HTTP: for tests of the emulator's wire format (the
 * answer's body as sent) and for services without an SDK client in package.json (KMS). moto routes
 * by the credential scope of the Authorization header and checks no signature (unless IAM checks
 * are on), so a well-formed unsigned header is enough.
 */
export async function callJsonApi(emulator: Pick<Emulator, "endpoint">, call: RawCall & { target: string; input: object }): Promise<RawResponse> {
  const scope = `testing/20240101/${call.region ?? EMULATOR_REGION}/${call.service}/aws4_request`;
  const headers: Record<string, string> = {
    "Content-Type": "application/x-amz-json-1.1",
    Authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host, Signature=0`,
    "X-Amz-Target": call.target,
  };
  if (call.accountId) headers[MOTO_ACCOUNT_HEADER] = call.accountId;
  const response = await fetch(`${emulator.endpoint}/`, { method: "POST", headers, body: JSON.stringify(call.input) });
  return { status: response.status, body: await response.text() };
}

/**
 * Runs a python3 script with the emulator's modules (sandbox/emulator) importable, for tests of
 * one module without a server; returns its standard output, and throws with its stderr on failure.
 */
export function runEmulatorPython(lines: readonly string[], args: readonly string[] = []): string {
  const script = ["import sys", `sys.path.insert(0, ${JSON.stringify(path.join(__dirname, "../../sandbox/emulator"))})`, ...lines].join("\n");
  const run = spawnSync("python3", ["-c", script, ...args], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`);
  return run.stdout;
}
