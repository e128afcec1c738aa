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

/** One route of the HTTP API and the function its Lambda proxy integration invokes. */
export interface HttpRouteSpec {
  /** As declared, e.g. `POST /webhook`. */
  readonly routeKey: string;
  readonly method: string;
  /** The literal path, e.g. `/slack/commands`. */
  readonly path: string;
  readonly functionName: string;
  readonly payloadFormatVersion: string;
  readonly timeoutMs: number;
  /** The stage's throttling for this route: its own route settings, else the stage's default route settings. */
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
}

export interface HttpApiSpec {
  readonly apiId: string;
  readonly accountId: string;
  readonly executionArn: string;
  readonly stage: string;
  readonly routes: readonly HttpRouteSpec[];
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

/** Route keys the sandbox's HTTP front serves: one method and a literal path. */
const LITERAL_ROUTE_KEY = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (\/[\w./~-]*)$/;

/** API Gateway's defaults when the stage sets no route throttling. */
const DEFAULT_THROTTLING = { rateLimit: 10_000, burstLimit: 5_000 };

function routeSpec(state: TerraformState, route: Attributes, stage: Attributes, functions: readonly FunctionSpec[]): HttpRouteSpec {
  const routeKey = str(route, "route_key");
  const key = LITERAL_ROUTE_KEY.exec(routeKey);
  if (!key) {
    throw new ManifestError(
      `The HTTP API has route "${routeKey}"; the sandbox's HTTP front serves only routes of one method and a literal path (no ANY, $default or {variables}). Fix: teach sandbox/runtime/http-front.ts to match it`,
    );
  }
  const integrationId = str(route, "target").replace(/^integrations\//, "");
  const integration = state.one("aws_apigatewayv2_integration", (i) => i.id === integrationId);
  const functionArn = LAMBDA_FROM_INVOKE_URI.exec(str(integration, "integration_uri"))?.[1];
  const fn = functions.find((f) => f.arn === functionArn);
  if (!fn) throw new ManifestError(`Route ${routeKey} integrates ${str(integration, "integration_uri")}, which is none of the stack's functions`);
  const payloadFormatVersion = str(integration, "payload_format_version");
  if (payloadFormatVersion !== "2.0") {
    throw new ManifestError(
      `Route ${routeKey} uses payload format ${payloadFormatVersion}; the sandbox's HTTP front speaks 2.0 only. Fix: use "2.0"`,
    );
  }
  const defaults = block(stage, "default_route_settings");
  const own = ((stage.route_settings as Attributes[] | undefined) ?? []).find((settings) => settings.route_key === routeKey);
  const setting = (name: string, fallback: number) => Number(own?.[name] ?? defaults?.[name] ?? fallback);
  return {
    routeKey,
    method: key[1] as string,
    path: key[2] as string,
    functionName: fn.name,
    payloadFormatVersion,
    timeoutMs: num(integration, "timeout_milliseconds"),
    throttling: {
      rateLimit: setting("throttling_rate_limit", DEFAULT_THROTTLING.rateLimit),
      burstLimit: setting("throttling_burst_limit", DEFAULT_THROTTLING.burstLimit),
    },
  };
}

function httpApiSpec(state: TerraformState, functions: readonly FunctionSpec[]): HttpApiSpec {
  const api = state.one("aws_apigatewayv2_api");
  const stage = state.one("aws_apigatewayv2_stage");
  const routes = state
    .resources("aws_apigatewayv2_route")
    .filter((route) => route.api_id === api.id)
    .map((route) => routeSpec(state, route, stage, functions));
  if (routes.length === 0) throw new ManifestError(`The HTTP API ${str(api, "id")} has no routes`);
  const executionArn = str(api, "execution_arn");
  const accessLogSettings = block(stage, "access_log_settings");
  return {
    apiId: str(api, "id"),
    accountId: executionArn.split(":")[4] ?? "",
    executionArn,
    stage: str(stage, "name"),
    routes,
    ...(accessLogSettings?.format ? { accessLogFormat: str(accessLogSettings, "format") } : {}),
  };
}

/** The URL of route `routeKey` of the HTTP API served at `httpApiUrl`; fails when the API has no such route. */
export function routeUrl(api: HttpApiSpec, httpApiUrl: string, routeKey: string): string {
  const route = api.routes.find((r) => r.routeKey === routeKey);
  if (!route) throw new ManifestError(`The HTTP API has no route ${routeKey} (it has ${api.routes.map((r) => r.routeKey).join(", ")})`);
  return `${httpApiUrl}${route.path}`;
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
