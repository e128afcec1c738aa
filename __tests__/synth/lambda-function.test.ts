import { Testing } from "cdktf";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LambdaFunction as LambdaFunctionResource } from "@cdktf/provider-aws/lib/lambda-function";
import { bundleFunction } from "../../stacks/bundle";
import { LambdaFunction, type LambdaFunctionProps } from "../../stacks/constructs/lambda-function";
import { Arns } from "../../stacks/iam";
import { statement, statementsOf } from "../support/synth";

const ENTRY = path.join(__dirname, "..", "fixtures", "hello", "handler.ts");
const base: LambdaFunctionProps = {
  arns: new Arns("aws", "eu-west-1", "111111111111"),
  functionName: "p-hello",
  entry: ENTRY,
  logRetentionDays: 14,
};
const synth = (overrides: Partial<LambdaFunctionProps> = {}) =>
  Testing.synthScope((scope) => void new LambdaFunction(scope, "fn", { ...base, ...overrides }));

describe("LambdaFunction", () => {
  it("runs Node.js 22 on arm64 with active tracing, JSON logs and source maps", () => {
    expect(synth({ environment: { TABLE: "t" } })).toHaveResourceWithProperties(LambdaFunctionResource, {
      function_name: "p-hello",
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: "index.handler",
      timeout: 10,
      memory_size: 256,
      tracing_config: { mode: "Active" },
      logging_config: { log_format: "JSON", log_group: expect.stringMatching(/aws_cloudwatch_log_group\.fn_logs_\w+\.name/) },
      environment: { variables: { NODE_OPTIONS: "--enable-source-maps", TABLE: "t" } },
    });
  });

  it("takes timeout and memory from props", () => {
    expect(synth({ timeoutSeconds: 30, memorySize: 512 })).toHaveResourceWithProperties(LambdaFunctionResource, { timeout: 30, memory_size: 512 });
  });

  it("owns its log group, with retention", () => {
    expect(synth()).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/aws/lambda/p-hello", retention_in_days: 14 });
  });

  it("builds its role from the caller's statements plus its own logs and traces only", () => {
    const resources = JSON.parse(
      synth({
        statements: [{ Sid: "ReadTable", Effect: "Allow", Action: "dynamodb:GetItem", Resource: "arn:aws:dynamodb:eu-west-1:111111111111:table/t" }],
      }),
    ).resource;
    const role = Object.values<any>(resources.aws_iam_role)[0];
    expect(statementsOf(role.assume_role_policy)[0]).toMatchObject({
      Principal: { Service: "lambda.amazonaws.com" },
      Condition: { StringEquals: { "aws:SourceAccount": "111111111111" } },
    });
    const policy = Object.values<any>(resources.aws_iam_role_policy)[0].policy;
    expect(statementsOf(policy).map((s: any) => s.Sid)).toEqual(["OwnLogs", "Traces", "ReadTable"]);
    expect(statement(policy, "OwnLogs").Resource).toMatch(/^\$\{aws_cloudwatch_log_group\.fn_logs_\w+\.arn\}:log-stream:\*$/);
  });

  it("bundles the handler with esbuild into a minified CommonJS file with a source map", () => {
    const dir = bundleFunction(ENTRY);
    const code = readFileSync(path.join(dir, "index.js"), "utf8");
    expect(existsSync(path.join(dir, "index.js.map"))).toBe(true);
    expect(code).toContain("hello ");
    expect(code.split("\n").length).toBeLessThanOrEqual(3);
    const loaded = require(path.join(dir, "index.js"));
    return expect(loaded.handler({ name: "pipewright" })).resolves.toEqual({ greeting: "hello pipewright" });
  });

  it("zips the bundle as a Terraform asset", () => {
    const fn = Object.values<any>(JSON.parse(synth()).resource.aws_lambda_function)[0];
    expect(fn.filename).toMatch(/assets\/fn_code_\w+\/.+\/archive\.zip/);
    expect(fn.source_code_hash).toMatch(/^[0-9A-F]{32,}$/i);
  });

  it.each<[string, Partial<LambdaFunctionProps>, RegExp]>([
    ["functionName", { functionName: "has spaces" }, /functionName "has spaces" must be 1-64 characters/],
    ["timeoutSeconds", { timeoutSeconds: 901 }, /timeoutSeconds must be 1-900, got 901/],
    ["memorySize", { memorySize: 64 }, /memorySize must be 128-10240 MB, got 64/],
    ["entry", { entry: "functions/nope/handler.ts" }, /entry functions\/nope\/handler\.ts does not exist/],
    ["environment", { environment: { WEBHOOK_SECRET: "x" } }, /environment\.WEBHOOK_SECRET looks like a secret\. Fix: keep it in Secrets Manager/],
  ])("rejects a bad %s, naming it", (_prop, overrides, message) => {
    expect(() => synth(overrides)).toThrow(message);
  });

  it("accepts the ARN of a secret in the environment", () => {
    expect(() => synth({ environment: { WEBHOOK_SECRET_ARN: "arn:aws:secretsmanager:..." } })).not.toThrow();
  });
});
