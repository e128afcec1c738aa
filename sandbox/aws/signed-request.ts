/**
 * Signed calls to AWS services that have no SDK v3 client in package.json
 * (IAM, SQS): the sandbox needs a few of their operations, and the emulator
 * verifies SigV4 signatures once IAM checks are on. Signing uses
 * @smithy/signature-v4, which every SDK v3 client already depends on.
 */
import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Hash as SmithyHash, SourceData } from "@smithy/types";

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface AwsTarget {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
  /**
   * Account to act in while the emulator checks no IAM (its `x-moto-account-id`
   * header). Once IAM checks are on, the credentials' account decides.
   */
  readonly accountId?: string;
}

/** An AWS error answer, with the service's error code. */
export class AwsCallError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(`${operation} failed (HTTP ${status} ${code}): ${detail}`);
    this.name = "AwsCallError";
  }
}

function bytes(data: SourceData): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 and HMAC-SHA-256 from node:crypto, in the shape the signer expects. */
class NodeSha256 implements SmithyHash {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }

  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }

  async digest(): Promise<Uint8Array> {
    const digest = new Uint8Array(this.hash.digest());
    this.hash = this.fresh();
    return digest;
  }

  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(this.secret));
  }
}

async function send(
  target: AwsTarget,
  service: string,
  operation: string,
  headers: Record<string, string>,
  body: string,
  signal?: AbortSignal,
): Promise<unknown> {
  const url = new URL(target.endpoint);
  const signer = new SignatureV4({ service, region: target.region, credentials: target.credentials, sha256: NodeSha256 });
  const allHeaders: Record<string, string> = { host: url.host, ...headers };
  if (target.accountId) allHeaders["x-moto-account-id"] = target.accountId;
  const signed = await signer.sign({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: "/",
    query: {},
    headers: allHeaders,
    body,
  });
  const response = await fetch(`${target.endpoint}/`, { method: "POST", headers: signed.headers, body, signal });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === "" ? {} : JSON.parse(text);
  } catch {
    // XML errors (moto's IAM checks answer in XML): the code is in <Code>.
  }
  if (!response.ok) {
    const json = (parsed ?? {}) as { __type?: string; message?: string; Message?: string; Error?: { Code?: string; Message?: string } };
    const code = json.__type?.split("#").pop() ?? json.Error?.Code ?? /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? "Unknown";
    const message = json.message ?? json.Message ?? json.Error?.Message ?? /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? text.slice(0, 300);
    throw new AwsCallError(operation, response.status, code, message);
  }
  if (parsed === undefined) throw new AwsCallError(operation, response.status, "UnparsableResponse", text.slice(0, 300));
  return parsed;
}

/** A query-protocol call (IAM, STS), answered in JSON (`ContentType=JSON`). */
export async function queryCall(
  target: AwsTarget,
  service: string,
  action: string,
  version: string,
  params: Record<string, string>,
): Promise<Record<string, unknown>> {
  const body = new URLSearchParams({ Action: action, Version: version, ContentType: "JSON", ...params }).toString();
  const answer = (await send(target, service, action, { "content-type": "application/x-www-form-urlencoded; charset=utf-8" }, body)) as Record<string, unknown>;
  const envelope = answer[`${action}Response`] as Record<string, unknown> | undefined;
  return ((envelope?.[`${action}Result`] ?? envelope ?? answer) as Record<string, unknown>) ?? {};
}

/** A JSON-protocol call (SQS): `amzTarget` is the X-Amz-Target, e.g. AmazonSQS.ReceiveMessage. */
export async function jsonCall(
  target: AwsTarget,
  service: string,
  amzTarget: string,
  input: object,
  options: { jsonVersion?: "1.0" | "1.1"; signal?: AbortSignal } = {},
): Promise<Record<string, unknown>> {
  const operation = amzTarget.split(".").pop() ?? amzTarget;
  const headers = { "content-type": `application/x-amz-json-${options.jsonVersion ?? "1.0"}`, "x-amz-target": amzTarget };
  return (await send(target, service, operation, headers, JSON.stringify(input), options.signal)) as Record<string, unknown>;
}
