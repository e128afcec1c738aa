import { Construct } from "constructs";
import { AssetType, TerraformAsset } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction as LambdaFunctionResource } from "@cdktf/provider-aws/lib/lambda-function";
import { bundleFunction, withDataFiles } from "../bundle";
import { type Arns, type PolicyStatement, policyDocument, serviceTrustPolicy } from "../iam";

export interface LambdaFunctionProps {
  /** ARNs of the account the function runs in. */
  readonly arns: Arns;
  /** Function name; also names its role and log group. 1-64 characters. */
  readonly functionName: string;
  /** Handler module exporting `handler`, e.g. `functions/webhook/handler.ts`. */
  readonly entry: string;
  /** What the function is for. @default none */
  readonly description?: string;
  /** Timeout in seconds (1-900). @default 10 */
  readonly timeoutSeconds?: number;
  /** Memory in MB (128-10240). @default 256 */
  readonly memorySize?: number;
  /** Environment variables. Never secrets: those stay in Secrets Manager. @default none */
  readonly environment?: Readonly<Record<string, string>>;
  /** What the function may do, beyond writing its logs and traces. @default none */
  readonly statements?: readonly PolicyStatement[];
  /** Retention of the function's log group, in days. */
  readonly logRetentionDays: number;
  /** Reserved concurrency, to bound a function's blast radius. @default unreserved */
  readonly reservedConcurrency?: number;
  /**
   * Data files shipped beside `index.js`, by file name, for configuration
   * larger than an environment (4 KB in all), e.g. the repository catalog.
   * @default none
   */
  readonly files?: Readonly<Record<string, string>>;
}

const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The Lambda runtime. nodejs20.x reached end of support on 2026-04-30 (AWS
 * blocks creating and updating such functions), so functions run on Node.js
 * 22; bundles still target Node.js 20, which Node.js 22 runs unchanged.
 */
export const LAMBDA_RUNTIME = "nodejs22.x";

/**
 * The one way pipewright creates a Lambda function: an esbuild bundle
 * (Node.js 20 target, minified, source maps) on arm64, its own log group with
 * retention, X-Ray tracing, and a role with only the statements given.
 */
export class LambdaFunction extends Construct {
  readonly function: LambdaFunctionResource;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: LambdaFunctionProps) {
    super(scope, id);
    const timeoutSeconds = props.timeoutSeconds ?? 10;
    const memorySize = props.memorySize ?? 256;
    if (!FUNCTION_NAME.test(props.functionName)) {
      throw new Error(`LambdaFunction: functionName "${props.functionName}" must be 1-64 characters of letters, digits, "-" and "_"`);
    }
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 900) {
      throw new Error(`LambdaFunction ${props.functionName}: timeoutSeconds must be 1-900, got ${timeoutSeconds}`);
    }
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240) {
      throw new Error(`LambdaFunction ${props.functionName}: memorySize must be 128-10240 MB, got ${memorySize}`);
    }
    for (const key of Object.keys(props.environment ?? {})) {
      if (/SECRET|PASSWORD|TOKEN/i.test(key) && !/_(ARN|NAME|ID)$/.test(key)) {
        throw new Error(
          `LambdaFunction ${props.functionName}: environment.${key} looks like a secret. Fix: keep it in Secrets Manager and pass its ARN as ${key}_ARN`,
        );
      }
    }

    const { arns } = props;
    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays,
    });
    this.role = new IamRole(this, "role", {
      name: props.functionName,
      description: `Execution role of the ${props.functionName} function`,
      assumeRolePolicy: serviceTrustPolicy("lambda.amazonaws.com", arns.accountId),
    });
    new IamRolePolicy(this, "policy", {
      role: this.role.name,
      name: "function",
      policy: policyDocument([
        {
          Sid: "OwnLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `${this.logGroup.arn}:log-stream:*`,
        },
        // X-Ray has no resource-level permissions for these.
        { Sid: "Traces", Effect: "Allow", Action: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], Resource: "*" },
        ...(props.statements ?? []),
      ]),
    });

    const asset = new TerraformAsset(this, "code", { path: withDataFiles(bundleFunction(props.entry), props.files ?? {}), type: AssetType.ARCHIVE });
    this.function = new LambdaFunctionResource(this, "function", {
      functionName: props.functionName,
      description: props.description,
      role: this.role.arn,
      runtime: LAMBDA_RUNTIME,
      architectures: ["arm64"],
      handler: "index.handler",
      filename: asset.path,
      sourceCodeHash: asset.assetHash,
      timeout: timeoutSeconds,
      memorySize,
      reservedConcurrentExecutions: props.reservedConcurrency,
      tracingConfig: { mode: "Active" },
      loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
      environment: {
        variables: { NODE_OPTIONS: "--enable-source-maps", ...props.environment },
      },
      dependsOn: [this.logGroup],
    });
  }
}
