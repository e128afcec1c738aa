import { Construct } from "constructs";
import type { Arns } from "../iam";
import { LambdaFunction } from "./lambda-function";

export interface PostTrafficLimits {
  /** Calls of the live endpoint per deployment. @default 10 */
  readonly requests?: number;
  /** Highest acceptable p95 latency, in ms. @default 1000 */
  readonly maxLatencyMs?: number;
  /** Timeout of one call, in ms. @default 3000 */
  readonly requestTimeoutMs?: number;
}

export interface TrafficHooksProps {
  /** ARNs of this (dev or prod) account. */
  readonly arns: Arns;
  /** The project name: the functions are `CodeDeployHook_<project>-pre-traffic` and `-post-traffic`. */
  readonly project: string;
  /** Prefixes of the application stacks (`<project>-<service>`): the hooks test only their functions. */
  readonly stackPrefixes: readonly string[];
  readonly logRetentionDays: number;
  /** Path the hooks check on the new version and on the live API. @default "/health" */
  readonly healthPath?: string;
  readonly postTraffic?: PostTrafficLimits;
}

/**
 * CodeDeploy's traffic hooks for the applications' Lambda canaries. Their
 * names start with `CodeDeployHook_` because the managed role CodeDeploy uses
 * for Lambda (AWSCodeDeployRoleForLambda) may invoke only such functions.
 * Both always report the lifecycle hook's status, before their own timeout.
 */
export class TrafficHooks extends Construct {
  readonly preTraffic: LambdaFunction;
  readonly postTraffic: LambdaFunction;

  constructor(scope: Construct, id: string, props: TrafficHooksProps) {
    super(scope, id);
    if (props.stackPrefixes.length === 0) throw new Error("TrafficHooks: stackPrefixes is empty; configure at least one service");
    const { arns } = props;
    const limits = { requests: 10, maxLatencyMs: 1000, requestTimeoutMs: 3000, ...props.postTraffic };
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`TrafficHooks: postTraffic.${name} must be a whole number >= 1, got ${value}`);
    }
    const healthPath = props.healthPath ?? "/health";
    const each = (make: (prefix: string) => string) => props.stackPrefixes.map(make);
    const deploymentGroups = each((p) => arns.regional("codedeploy", `deploymentgroup:${p}-*/*`));
    const report = {
      Sid: "ReportHookStatus",
      Effect: "Allow" as const,
      Action: ["codedeploy:GetDeployment", "codedeploy:PutLifecycleEventHookExecutionStatus"],
      Resource: deploymentGroups,
    };
    // GetDeployment names the AppSpec by its hash only; its content comes from the application.
    const readAppSpec = {
      Sid: "ReadAppSpec",
      Effect: "Allow" as const,
      Action: "codedeploy:GetApplicationRevision",
      Resource: each((p) => arns.regional("codedeploy", `application:${p}-*`)),
    };

    this.preTraffic = new LambdaFunction(this, "pre-traffic", {
      arns,
      functionName: `CodeDeployHook_${props.project}-pre-traffic`,
      entry: "functions/pre-traffic/handler.ts",
      description: "Invokes the new version with a smoke request before CodeDeploy shifts traffic",
      timeoutSeconds: 60,
      logRetentionDays: props.logRetentionDays,
      environment: { HEALTH_PATH: healthPath },
      statements: [
        report,
        readAppSpec,
        {
          Sid: "InvokeNewVersions",
          Effect: "Allow",
          Action: "lambda:InvokeFunction",
          Resource: each((p) => arns.regional("lambda", `function:${p}-*:*`)),
        },
      ],
    });

    this.postTraffic = new LambdaFunction(this, "post-traffic", {
      arns,
      functionName: `CodeDeployHook_${props.project}-post-traffic`,
      entry: "functions/post-traffic/handler.ts",
      description: "Calls the live endpoint after CodeDeploy shifted traffic and checks status codes and latency",
      timeoutSeconds: 120,
      logRetentionDays: props.logRetentionDays,
      environment: {
        HEALTH_PATH: healthPath,
        POST_TRAFFIC_REQUESTS: String(limits.requests),
        MAX_LATENCY_MS: String(limits.maxLatencyMs),
        REQUEST_TIMEOUT_MS: String(limits.requestTimeoutMs),
      },
      statements: [
        report,
        readAppSpec,
        {
          Sid: "FindApplicationStack",
          Effect: "Allow",
          // GetFunction returns the function's tags (its stack's name) only with ListTags.
          Action: ["lambda:GetFunction", "lambda:ListTags"],
          Resource: each((p) => arns.regional("lambda", `function:${p}-*`)),
        },
        {
          Sid: "ReadApiUrl",
          Effect: "Allow",
          Action: "cloudformation:DescribeStacks",
          Resource: each((p) => arns.regional("cloudformation", `stack/${p}-*/*`)),
        },
      ],
    });
  }
}
