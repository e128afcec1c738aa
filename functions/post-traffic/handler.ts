import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { CodeDeployClient } from "@aws-sdk/client-codedeploy";
import { LambdaClient } from "@aws-sdk/client-lambda";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import { optionalEnv } from "../shared/env";
import { createLogger } from "../shared/logger";
import {
  type HookLogger,
  type HookResult,
  type LifecycleStatusReporter,
  makeTrafficHookHandler,
  type TrafficCheck,
  type TrafficHookOptions,
} from "../shared/traffic-hook";
import { CodeDeployStatusReporter, CodeDeployTargets, type DeploymentTargets, misconfiguredHookHandler } from "../shared/traffic-hook-aws";
import { type ApiEndpoints, StackApiEndpoints } from "./aws";
import { parsePostTrafficConfig, type PostTrafficConfig } from "./config";
import { healthUrl } from "./endpoint";
import { probe } from "./probe";
import { judgeProbes } from "./verdict";

/**
 * CodeDeploy AfterAllowTraffic hook (CodeDeployHook_<project>-post-traffic):
 * once all traffic is on the new version, requests the live endpoint
 * (<ApiUrl output>/health) several times and reports Succeeded only when
 * every answer is 200 and the p95 latency is within MAX_LATENCY_MS. Failed
 * makes CodeDeploy roll the alias back to the previous version.
 */

export interface PostTrafficDeps {
  targets: DeploymentTargets;
  endpoints: ApiEndpoints;
  reporter: LifecycleStatusReporter;
  config: PostTrafficConfig;
  fetch?: typeof fetch;
  logger?: HookLogger;
  /** Timing of the runner; tests shorten it. */
  hookOptions?: Omit<TrafficHookOptions, "hook" | "check" | "reporter" | "logger">;
}

export function makeHandler(deps: PostTrafficDeps) {
  const { config } = deps;
  const check: TrafficCheck = async ({ ids, signal, deadline }) => {
    const target = await deps.targets.lambdaTarget(ids.deploymentId, signal);
    const { stackName, apiUrl } = await deps.endpoints.apiUrl(target.functionName, signal);
    const url = healthUrl(target.functionName, apiUrl, config.healthPath);
    const samples = await probe({ url, requests: config.requests, requestTimeoutMs: config.requestTimeoutMs, deadline, signal, fetch: deps.fetch });
    const outcome = judgeProbes(url, samples, { requests: config.requests, maxLatencyMs: config.maxLatencyMs });
    return { ...outcome, details: { ...outcome.details, stackName, functionName: target.functionName, targetVersion: target.targetVersion } };
  };
  return makeTrafficHookHandler({
    ...deps.hookOptions,
    hook: "post-traffic",
    check,
    reporter: deps.reporter,
    logger: deps.logger ?? createLogger("post-traffic"),
  });
}

/** Builds the handler from the environment the stacks set and real AWS clients. */
export function handlerFromEnvironment(env: NodeJS.ProcessEnv = process.env, logger?: HookLogger) {
  const config = parsePostTrafficConfig({
    POST_TRAFFIC_REQUESTS: optionalEnv("POST_TRAFFIC_REQUESTS", env),
    MAX_LATENCY_MS: optionalEnv("MAX_LATENCY_MS", env),
    REQUEST_TIMEOUT_MS: optionalEnv("REQUEST_TIMEOUT_MS", env),
    HEALTH_PATH: optionalEnv("HEALTH_PATH", env),
  });
  const retry = { retryMode: "adaptive", maxAttempts: 3 } as const;
  return makeHandler({
    config,
    targets: new CodeDeployTargets(new CodeDeployClient(retry)),
    endpoints: new StackApiEndpoints(new LambdaClient(retry), new CloudFormationClient(retry)),
    // The runner retries reports itself, with a deadline per attempt.
    reporter: new CodeDeployStatusReporter(new CodeDeployClient({ maxAttempts: 1 })),
    logger,
  });
}

let productionLogger: Logger | undefined;
let built: ReturnType<typeof makeHandler> | undefined;

function build(logger: Logger): ReturnType<typeof makeHandler> {
  try {
    return handlerFromEnvironment(process.env, logger);
  } catch (error) {
    // Still report (Failed, with the reason) rather than leave the deployment waiting.
    return misconfiguredHookHandler("post-traffic", error, logger);
  }
}

/** The Lambda entry point, built on first use so that importing this module reads no environment. */
export const handler = async (event: unknown, context: Context): Promise<HookResult> => {
  productionLogger ??= createLogger("post-traffic");
  productionLogger.addContext(context);
  built ??= build(productionLogger);
  return built(event, context);
};
