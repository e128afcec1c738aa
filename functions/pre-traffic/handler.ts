import { CodeDeployClient } from "@aws-sdk/client-codedeploy";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { randomUUID } from "node:crypto";
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
import { parseHealthPath } from "../shared/traffic-hook-config";
import { LambdaVersionInvoker, type VersionInvoker } from "./aws";
import { evaluateSmokeAnswer, smokeEvent } from "./smoke";

/**
 * CodeDeploy BeforeAllowTraffic hook (CodeDeployHook_<project>-pre-traffic):
 * invokes the new version directly with the HTTP API event of GET /health,
 * before it gets any traffic, and reports Succeeded only for a 200 with
 * {"status":"ok"}. Everything else, including its own failures, reports
 * Failed, so CodeDeploy never shifts traffic to an untested version.
 */

export interface PreTrafficConfig {
  /** Path of the smoke request. */
  healthPath: string;
}

export interface PreTrafficDeps {
  targets: DeploymentTargets;
  invoker: VersionInvoker;
  reporter: LifecycleStatusReporter;
  config: PreTrafficConfig;
  logger?: HookLogger;
  /** Timing of the runner; tests shorten it. */
  hookOptions?: Omit<TrafficHookOptions, "hook" | "check" | "reporter" | "logger">;
  now?: () => Date;
}

export function makeHandler(deps: PreTrafficDeps) {
  const now = deps.now ?? (() => new Date());
  const check: TrafficCheck = async ({ ids, signal }) => {
    const target = await deps.targets.lambdaTarget(ids.deploymentId, signal);
    const event = smokeEvent(deps.config.healthPath, `pre-traffic-${ids.lifecycleEventHookExecutionId}-${randomUUID()}`, now());
    const answer = await deps.invoker.invoke(
      { functionName: target.functionName, qualifier: target.targetVersion, payload: JSON.stringify(event) },
      signal,
    );
    return evaluateSmokeAnswer(answer, target, { path: deps.config.healthPath });
  };
  return makeTrafficHookHandler({
    ...deps.hookOptions,
    hook: "pre-traffic",
    check,
    reporter: deps.reporter,
    logger: deps.logger ?? createLogger("pre-traffic"),
  });
}

/** Builds the handler from the environment the stacks set and real AWS clients. */
export function handlerFromEnvironment(env: NodeJS.ProcessEnv = process.env, logger?: HookLogger) {
  const config: PreTrafficConfig = { healthPath: parseHealthPath(optionalEnv("HEALTH_PATH", env)) };
  return makeHandler({
    config,
    targets: new CodeDeployTargets(new CodeDeployClient({ retryMode: "adaptive", maxAttempts: 3 })),
    invoker: new LambdaVersionInvoker(new LambdaClient({ maxAttempts: 2 })),
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
    return misconfiguredHookHandler("pre-traffic", error, logger);
  }
}

/** The Lambda entry point, built on first use so that importing this module reads no environment. */
export const handler = async (event: unknown, context: Context): Promise<HookResult> => {
  productionLogger ??= createLogger("pre-traffic");
  productionLogger.addContext(context);
  built ??= build(productionLogger);
  return built(event, context);
};
