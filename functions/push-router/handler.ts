import { CodePipelineClient } from "@aws-sdk/client-codepipeline";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { EventBridgeEvent } from "aws-lambda";
import { optionalEnv, requireEnv } from "../shared/env";
import { type PushEvent, pushEventSchema } from "../shared/events";
import { DEFAULT_GITHUB_API_URL, parseGitHubApiUrl } from "../shared/github/api-url";
import { createLogger } from "../shared/logger";
import { CodePipelineStarter, secretsManagerGitHubToken } from "./aws";
import { parseMainBranch, parseRepository, parseServices, type PushRouterConfig } from "./config";
import { GitHubChangedFiles } from "./github";
import { type ChangedFiles, decidePush, fileListSource, planStarts } from "./route";
import { describeError, type PipelineStarter, type StartedPipeline, startPipelines } from "./start";

/**
 * Target of the "push" rule on the GitHub bus: starts the pipelines of the
 * services a push to the main branch changed, pinned to the pushed commit.
 */

/** The files that differ between two commits; github.ts holds the GitHub implementation. */
export interface ChangedFilesSource {
  changedFiles(before: string, after: string): Promise<ChangedFiles>;
}

/** The part of Powertools' structured logger the router uses. */
export type RouterLogger = Pick<Logger, "info" | "warn" | "error">;

export interface PushRouterDeps {
  pipelines: PipelineStarter;
  changes: ChangedFilesSource;
  config: PushRouterConfig;
  logger?: RouterLogger;
}

export type PushRouteResult =
  | { outcome: "skipped"; reason: string }
  | { outcome: "started"; everything: boolean; reason: string; started: StartedPipeline[] };

/** The event's detail is not a push event of the bus contract (functions/shared/events.ts). */
export class InvalidPushEventError extends Error {
  constructor(
    readonly eventId: string | undefined,
    readonly problems: readonly string[],
  ) {
    super(
      `Event ${eventId ?? "(no id)"} is not a push event of the GitHub bus: ${problems.join("; ")}. ` +
        "Fix: only the pipewright webhook should put \"push\" events on the bus; check the rule's pattern and the webhook's version",
    );
    this.name = "InvalidPushEventError";
  }
}

export function makeHandler(deps: PushRouterDeps) {
  const { config, pipelines, changes } = deps;
  const logger: RouterLogger = deps.logger ?? createLogger("push-router");

  async function changedFilesOf(push: PushEvent, context: Record<string, unknown>): Promise<ChangedFiles> {
    const source = fileListSource(push);
    if (source.kind === "event") return { complete: true, files: source.files };
    if (source.kind === "unknown") return { complete: false, reason: source.reason };
    logger.info("Asking GitHub's compare API for the changed files", { ...context, why: source.why });
    try {
      return await changes.changedFiles(source.before, source.after);
    } catch (error) {
      logger.error("Could not list the changed files", { ...context, error: error as Error });
      return { complete: false, reason: `listing them failed (${describeError(error)})` };
    }
  }

  return async (event: EventBridgeEvent<"push", unknown>): Promise<PushRouteResult> => {
    const parsed = pushEventSchema.safeParse(event.detail);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "detail"}: ${issue.message}`);
      throw new InvalidPushEventError(event.id, problems);
    }
    const push = parsed.data;
    const context = { deliveryId: push.deliveryId, repository: push.repository, ref: push.ref, commit: push.after };

    const decision = decidePush(push, config);
    if (decision.kind === "skip") {
      logger.info(`Starting no pipeline: ${decision.reason}`, context);
      return { outcome: "skipped", reason: decision.reason };
    }

    const files = await changedFilesOf(push, context);
    const plan = planStarts(config.services, files);
    if (plan.everything) logger.warn(`Starting every pipeline: ${plan.reason}`, context);
    else logger.info(plan.services.length === 0 ? `Starting no pipeline: ${plan.reason}` : `Routing: ${plan.reason}`, context);

    const started = await startPipelines(
      pipelines,
      plan.services.map((service) => service.pipeline),
      { deliveryId: push.deliveryId, commitId: push.after, sourceActionName: config.sourceActionName },
    ).catch((error: unknown) => {
      logger.error("Some pipelines could not be started", { ...context, error: error as Error });
      throw error;
    });
    if (started.length > 0) logger.info("Started pipelines", { ...context, started });
    return { outcome: "started", everything: plan.everything, reason: plan.reason, started };
  };
}

/** Builds the handler from the environment the stacks set and real AWS clients. */
export function handlerFromEnvironment(env: NodeJS.ProcessEnv = process.env) {
  const config: PushRouterConfig = {
    services: parseServices(requireEnv("SERVICES", env)),
    mainBranch: parseMainBranch(requireEnv("MAIN_BRANCH", env)),
    repository: parseRepository(requireEnv("GITHUB_REPOSITORY", env)),
    sourceActionName: optionalEnv("SOURCE_ACTION_NAME", env) ?? "Source",
  };
  const tokenSecretArn = optionalEnv("GITHUB_TOKEN_SECRET_ARN", env);
  const retry = { retryMode: "adaptive", maxAttempts: 5 } as const;
  return makeHandler({
    config,
    pipelines: new CodePipelineStarter(new CodePipelineClient(retry)),
    changes: new GitHubChangedFiles({
      repository: config.repository,
      baseUrl: parseGitHubApiUrl(optionalEnv("GITHUB_API_URL", env) ?? DEFAULT_GITHUB_API_URL),
      token: tokenSecretArn ? secretsManagerGitHubToken(tokenSecretArn, new SecretsManagerClient(retry)) : undefined,
    }),
  });
}

let built: ReturnType<typeof makeHandler> | undefined;

/** The Lambda entry point, built on first use so that importing this module reads no environment. */
export const handler = async (event: EventBridgeEvent<"push", unknown>): Promise<PushRouteResult> => {
  built ??= handlerFromEnvironment();
  return built(event);
};
