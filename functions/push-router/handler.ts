import { CodePipelineClient } from "@aws-sdk/client-codepipeline";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context, EventBridgeEvent } from "aws-lambda";
import { parseApiUrl } from "../shared/config-fields";
import { optionalEnv, requireEnv } from "../shared/env";
import { type PushEvent, pushEventSchema } from "../shared/events";
import { gitHubClientFromSecret } from "../shared/github/source";
import { createLogger } from "../shared/logger";
import { countMetrics } from "../shared/metrics";
import { loadRepositoryCatalog } from "../shared/repositories";
import { CodePipelineStarter } from "./aws";
import { claimPipelines, type IgnoredPipeline, type PushOrderStore } from "./claim";
import { checkServiceGlobs, parseStateTable, type PushRouterConfig } from "./config";
import { GitHubChangedFiles } from "./github";
import { ignoredMessage, type IgnoreReason } from "./order";
import { type ChangedFiles, decidePush, fileListSource, planStarts } from "./route";
import { describeError, type PipelineStarter, type StartedPipeline, startPipelines } from "./start";
import { DynamoPushOrderStore } from "./state";

/**
 * Target of the "push" rule on the GitHub bus: starts the pipelines of the
 * services a push to its repository's main branch changed, pinned to the
 * pushed commit, each only when the push is newer than the newest push that
 * started it. The push's repository selects its catalog entry: only that
 * repository's main branch and services count.
 */

/** The files that differ between two commits of a repository; github.ts holds the GitHub implementation. */
export interface ChangedFilesSource {
  changedFiles(repository: string, before: string, after: string): Promise<ChangedFiles>;
}

/** The part of Powertools' structured logger the router uses. */
export type RouterLogger = Pick<Logger, "info" | "warn" | "error">;

export interface PushRouterDeps {
  pipelines: PipelineStarter;
  changes: ChangedFilesSource;
  /** Orders pushes per pipeline, so an older or replayed push never starts one. */
  order: PushOrderStore;
  config: PushRouterConfig;
  logger?: RouterLogger;
  /** Epoch ms, for metric timestamps. */
  now?: () => number;
}

export type PushRouteResult =
  | { outcome: "skipped"; reason: string }
  | {
      outcome: "started";
      everything: boolean;
      reason: string;
      started: StartedPipeline[];
      /** Pipelines the push would start but does not: a newer push, or this one, already started them. */
      ignored: Array<{ pipeline: string; reason: IgnoreReason }>;
    };

/** The metric counting pipelines a push did not start, by reason (namespace "pipewright"). */
export const PUSHES_IGNORED = "PushesIgnored";

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
  const { config, pipelines, changes, order } = deps;
  const logger: RouterLogger = deps.logger ?? createLogger("push-router");
  const now = deps.now ?? Date.now;

  async function changedFilesOf(push: PushEvent, context: Record<string, unknown>): Promise<ChangedFiles> {
    const source = fileListSource(push);
    if (source.kind === "event") return { complete: true, files: source.files };
    if (source.kind === "unknown") return { complete: false, reason: source.reason };
    logger.info("Asking GitHub's compare API for the changed files", { ...context, why: source.why });
    try {
      return await changes.changedFiles(push.repository, source.before, source.after);
    } catch (error) {
      logger.error("Could not list the changed files", { ...context, error: error as Error });
      return { complete: false, reason: `listing them failed (${describeError(error)})` };
    }
  }

  /** One line per pipeline: an ambiguous tie is a warning, since a deploy may be missing until the next push. */
  function logIgnored({ pipeline, reason, newest }: IgnoredPipeline, push: PushEvent, context: Record<string, unknown>): void {
    const fields = {
      ...context,
      pipeline,
      pushedAt: push.pushedAt,
      newest: { commit: newest.after, pushedAt: newest.pushedAt, deliveryId: newest.deliveryId },
      ...countMetrics(now(), { Reason: reason }, { [PUSHES_IGNORED]: 1 }),
    };
    const message = ignoredMessage(pipeline, reason, push, newest);
    if (reason === "ambiguous") logger.warn(message, fields);
    else logger.info(message, fields);
  }

  return async (event: EventBridgeEvent<"push", unknown>): Promise<PushRouteResult> => {
    const parsed = pushEventSchema.safeParse(event.detail);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "detail"}: ${issue.message}`);
      throw new InvalidPushEventError(event.id, problems);
    }
    const push = parsed.data;
    const context = { deliveryId: push.deliveryId, repository: push.repository, ref: push.ref, commit: push.after };

    const repository = config.catalog.get(push.repository);
    if (repository === undefined) {
      // The webhook drops deliveries of repositories it does not serve; one here means the two were deployed with different catalogs.
      const reason = `${push.repository} is not a configured repository`;
      logger.warn(`Starting no pipeline: ${reason}`, context);
      return { outcome: "skipped", reason };
    }
    const decision = decidePush(push, repository);
    if (decision.kind === "skip") {
      logger.info(`Starting no pipeline: ${decision.reason}`, context);
      return { outcome: "skipped", reason: decision.reason };
    }

    const files = await changedFilesOf(push, context);
    const plan = planStarts(repository.services, files);
    if (plan.everything) logger.warn(`Starting every pipeline: ${plan.reason}`, context);
    else logger.info(plan.services.length === 0 ? `Starting no pipeline: ${plan.reason}` : `Routing: ${plan.reason}`, context);

    const claims = await claimPipelines(
      order,
      plan.services.map((service) => service.pipeline),
      push,
    ).catch((error: unknown) => {
      logger.error("Could not record the push; no pipeline was started", { ...context, error: error as Error });
      throw error;
    });
    for (const ignored of claims.ignored) logIgnored(ignored, push, context);

    const started = await startPipelines(pipelines, claims.admitted, {
      deliveryId: push.deliveryId,
      commitId: push.after,
      sourceActionName: config.sourceActionName,
    }).catch((error: unknown) => {
      logger.error("Some pipelines could not be started", { ...context, error: error as Error });
      throw error;
    });
    if (started.length > 0) logger.info("Started pipelines", { ...context, started });
    const ignored = claims.ignored.map(({ pipeline, reason }) => ({ pipeline, reason }));
    return { outcome: "started", everything: plan.everything, reason: plan.reason, started, ignored };
  };
}

/**
 * Builds the handler from the environment the stacks set, the repository
 * catalog bundled with the function, and real AWS clients. The GitHub
 * clients (Octokit) and their Secrets Manager client are made on the first
 * push that needs the compare API, not on every cold start.
 */
export function handlerFromEnvironment(env: NodeJS.ProcessEnv = process.env, logger: Logger = createLogger("push-router")) {
  const config: PushRouterConfig = {
    catalog: checkServiceGlobs(loadRepositoryCatalog(env)),
    sourceActionName: optionalEnv("SOURCE_ACTION_NAME", env) ?? "Source",
  };
  const apiUrl = parseApiUrl(optionalEnv("GITHUB_API_URL", env));
  const tokenSecretArn = optionalEnv("GITHUB_TOKEN_SECRET_ARN", env);
  const retry = { retryMode: "adaptive", maxAttempts: 5 } as const;
  const gitHubClients =
    tokenSecretArn === undefined
      ? undefined
      : gitHubClientFromSecret(tokenSecretArn, () => new SecretsManagerClient(retry), {
          baseUrl: apiUrl,
          userAgent: "pipewright-push-router",
          log: logger,
        });
  return makeHandler({
    config,
    pipelines: new CodePipelineStarter(new CodePipelineClient(retry)),
    order: new DynamoPushOrderStore(new DynamoDBClient(retry), parseStateTable(requireEnv("PUSH_STATE_TABLE", env))),
    changes: new GitHubChangedFiles(gitHubClients === undefined ? {} : { client: gitHubClients }),
    logger,
  });
}

let productionLogger: Logger | undefined;
let built: ReturnType<typeof makeHandler> | undefined;

/** The Lambda entry point, built on first use so that importing this module reads no environment; its log lines carry the invocation's context. */
export const handler = async (event: EventBridgeEvent<"push", unknown>, context: Context): Promise<PushRouteResult> => {
  productionLogger ??= createLogger("push-router");
  productionLogger.addContext(context);
  built ??= handlerFromEnvironment(process.env, productionLogger);
  return built(event);
};
