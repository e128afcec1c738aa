import * as path from "node:path";
import { ManifestError } from "../errors";
import { block, num, str, type TerraformState, type Attributes } from "../tfstate";
import type { AwsCredentials } from "../aws/clients";

/**
 * What the sandbox runtime runs, as Terraform applied it: the functions
 * (code, role, environment, limits), the HTTP API in front of the webhook,
 * and the bus rules' targets with their retry and dead-letter settings.
 * Everything comes from the build stack's state, so the runtime behaves
 * like the deployed stack and not like a second copy of its configuration.
 */

export interface ResourcePermission {
  readonly principal: string;
  /** ARN pattern the caller must match (`*` wildcards); undefined allows any source. */
  readonly sourceArn?: string;
}

/** Lambda's asynchronous-invocation settings (aws_lambda_function_event_invoke_config). */
export interface AsyncInvokeSettings {
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeSeconds: number;
  /** ARN of the on-failure destination (an SQS queue here). */
  readonly onFailure?: string;
}

export interface FunctionSpec {
  readonly name: string;
  readonly arn: string;
  readonly roleArn: string;
  /** `index.handler`: file and export. */
  readonly handler: string;
  /** The Lambda runtime, e.g. `nodejs22.x`. */
  readonly runtime: string;
  /** The deployed archive (zip) as Terraform uploaded it. */
  readonly archive: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly reservedConcurrency?: number;
  readonly environment: Readonly<Record<string, string>>;
  readonly logGroup: string;
  readonly permissions: readonly ResourcePermission[];
  readonly asyncInvoke: AsyncInvokeSettings;
}

export interface BusTargetSpec {
  readonly ruleName: string;
  readonly ruleArn: string;
  readonly functionName: string;
  /** The function target's ARN, for dead-letter messages. */
  readonly targetArn: string;
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeSeconds: number;
  readonly deadLetterArn?: string;
  /** The sandbox-only queue that carries the rule's matches. */
  readonly deliveryQueueUrl: string;
}

export interface HttpApiSpec {
  readonly apiId: string;
  readonly accountId: string;
  readonly executionArn: string;
  readonly routeKey: string;
  readonly stage: string;
  readonly functionName: string;
  readonly payloadFormatVersion: string;
  readonly timeoutMs: number;
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
  readonly accessLogFormat?: string;
}

export interface QueueSpec {
  readonly name: string;
  readonly arn: string;
  readonly url: string;
}

export interface RuntimeManifest {
  readonly region: string;
  readonly functions: readonly FunctionSpec[];
  readonly httpApi: HttpApiSpec;
  readonly busTargets: readonly BusTargetSpec[];
  readonly queues: readonly QueueSpec[];
}

/** A function as the runtime starts it: its spec, its unpacked code and its role's credentials. */
export interface RunnableFunction extends FunctionSpec {
  readonly codeDir: string;
  readonly credentials: AwsCredentials;
}

/** Lambda's defaults when a function has no event invoke config. */
const DEFAULT_ASYNC_INVOKE: AsyncInvokeSettings = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 6 * 3600 };

const LAMBDA_FROM_INVOKE_URI = /functions\/(arn:[^/]+:function:[^/:]+)(?::[^/]+)?\/invocations$/;

function functionSpec(state: TerraformState, stackDir: string, fn: Attributes): FunctionSpec {
  const name = str(fn, "function_name");
  const invokeConfig = state.resources("aws_lambda_function_event_invoke_config").find((c) => c.function_name === name);
  const onFailure = invokeConfig && block(block(invokeConfig, "destination_config") ?? {}, "on_failure");
  const reserved = num(fn, "reserved_concurrent_executions");
  return {
    name,
    arn: str(fn, "arn"),
    roleArn: str(fn, "role"),
    handler: str(fn, "handler"),
    runtime: str(fn, "runtime"),
    archive: path.resolve(stackDir, str(fn, "filename")),
    timeoutSeconds: num(fn, "timeout"),
    memoryMb: num(fn, "memory_size"),
    ...(reserved >= 0 ? { reservedConcurrency: reserved } : {}),
    environment: (block(fn, "environment")?.variables ?? {}) as Record<string, string>,
    logGroup: (block(fn, "logging_config")?.log_group as string | undefined) || `/aws/lambda/${name}`,
    permissions: state
      .resources("aws_lambda_permission")
      .filter((p) => p.function_name === name && p.action === "lambda:InvokeFunction")
      .map((p) => ({ principal: str(p, "principal"), ...(p.source_arn ? { sourceArn: str(p, "source_arn") } : {}) })),
    asyncInvoke: invokeConfig
      ? {
          maximumRetryAttempts: num(invokeConfig, "maximum_retry_attempts"),
          maximumEventAgeSeconds: num(invokeConfig, "maximum_event_age_in_seconds"),
          ...(onFailure?.destination ? { onFailure: str(onFailure, "destination") } : {}),
        }
      : DEFAULT_ASYNC_INVOKE,
  };
}

function httpApiSpec(state: TerraformState, functions: readonly FunctionSpec[]): HttpApiSpec {
  const api = state.one("aws_apigatewayv2_api");
  const route = state.one("aws_apigatewayv2_route");
  const integrationId = str(route, "target").replace(/^integrations\//, "");
  const integration = state.one("aws_apigatewayv2_integration", (i) => i.id === integrationId);
  const functionArn = LAMBDA_FROM_INVOKE_URI.exec(str(integration, "integration_uri"))?.[1];
  const fn = functions.find((f) => f.arn === functionArn);
  if (!fn) throw new ManifestError(`The HTTP API integrates ${str(integration, "integration_uri")}, which is none of the stack's functions`);
  const stage = state.one("aws_apigatewayv2_stage");
  const settings = block(stage, "default_route_settings");
  const executionArn = str(api, "execution_arn");
  return {
    apiId: str(api, "id"),
    accountId: executionArn.split(":")[4] ?? "",
    executionArn,
    routeKey: str(route, "route_key"),
    stage: str(stage, "name"),
    functionName: fn.name,
    payloadFormatVersion: str(integration, "payload_format_version"),
    timeoutMs: num(integration, "timeout_milliseconds"),
    throttling: { rateLimit: Number(settings?.throttling_rate_limit ?? 10_000), burstLimit: Number(settings?.throttling_burst_limit ?? 5_000) },
    ...(block(stage, "access_log_settings")?.format ? { accessLogFormat: str(block(stage, "access_log_settings") as Attributes, "format") } : {}),
  };
}

/**
 * The runtime's view of an applied build stack. `deliveryTargetId` names the
 * sandbox-only SQS target every function-fed rule carries.
 */
export function manifestFromState(state: TerraformState, stackDir: string, region: string, deliveryTargetId: string): RuntimeManifest {
  const functions = state.resources("aws_lambda_function").map((fn) => functionSpec(state, stackDir, fn));
  const queues = state.resources("aws_sqs_queue").map((q) => ({ name: str(q, "name"), arn: str(q, "arn"), url: str(q, "url") }));
  const targets = state.resources("aws_cloudwatch_event_target");
  const busTargets = targets
    .filter((t) => functions.some((f) => f.arn === t.arn))
    .map((t): BusTargetSpec => {
      const fn = functions.find((f) => f.arn === t.arn) as FunctionSpec;
      const rule = state.one("aws_cloudwatch_event_rule", (r) => r.name === t.rule && r.event_bus_name === t.event_bus_name);
      const delivery = targets.find((d) => d.rule === t.rule && d.event_bus_name === t.event_bus_name && d.target_id === deliveryTargetId);
      const queue = delivery && queues.find((q) => q.arn === delivery.arn);
      if (!queue) throw new ManifestError(`Rule ${String(t.rule)} has no sandbox delivery queue; was the stack synthesized by the sandbox?`);
      const retry = block(t, "retry_policy");
      const deadLetter = block(t, "dead_letter_config");
      return {
        ruleName: str(rule, "name"),
        ruleArn: str(rule, "arn"),
        functionName: fn.name,
        targetArn: fn.arn,
        // EventBridge's defaults when the target sets no retry policy.
        maximumRetryAttempts: Number(retry?.maximum_retry_attempts ?? 185),
        maximumEventAgeSeconds: Number(retry?.maximum_event_age_in_seconds ?? 86_400),
        ...(deadLetter?.arn ? { deadLetterArn: str(deadLetter, "arn") } : {}),
        deliveryQueueUrl: queue.url,
      };
    });
  return { region, functions, httpApi: httpApiSpec(state, functions), busTargets, queues };
}
