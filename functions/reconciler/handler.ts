import { CodePipelineClient } from "@aws-sdk/client-codepipeline";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { STSClient } from "@aws-sdk/client-sts";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import type { PrLogger } from "../pr-pipelines/apply";
import { mapWithConcurrency } from "../shared/concurrency";
import { CodePipelineGateway, S3ArtifactGateway } from "../pr-pipelines/aws";
import { CloudFormationPreviewStacks } from "../pr-pipelines/cloudformation";
import type { ArtifactGateway, PipelineGateway } from "../pr-pipelines/gateways";
import type { PreviewStackCleanup } from "../pr-pipelines/preview-stacks";
import { optionalEnv, requireEnv } from "../shared/env";
import { gitHubClientFromSecret } from "../shared/github/source";
import type { RequestPolicy } from "../shared/retry-policy";
import { createLogger } from "../shared/logger";
import { EventBridgeBusPublisher } from "../webhook/aws";
import type { BusPublisher } from "../webhook/bus-event";
import { applyDecisions, type Outcome } from "./apply";
import { CodePipelineInventory, stsPipelineArnPrefix, type Inventory, type PrPipelineInventory } from "./aws";
import { parseReconcilerConfig, type ReconcilerConfig } from "./config";
import type { PrPipeline } from "./discover";
import { PipelineInventoryError, ReconciliationIncompleteError, type ReconcilerFailure } from "./errors";
import { GitHubPullRequests, type GitHubPullRequest, type PullRequestLookup, type PullRequestSource } from "./github";
import { isAction, planReconciliation, type Decision, type GitHubView, type PullRequestStatus } from "./plan";
import { metricFields, type ReconcilerSummary } from "./report";

/**
 * The reconciler: on a schedule, finds the pull request pipelines, asks
 * GitHub about their pull requests, and repairs what missed webhooks left
 * behind (see plan.ts for the rules). Thin: discover, ask, plan, apply, report.
 */

/**
 * GitHub's answers for one run (its time budget starts now); undefined while
 * the token secret holds no value. Throws when the credentials cannot be
 * read or used (a GitHub App's installation lookup included).
 */
export type GitHubAccess = () => Promise<PullRequestSource | undefined>;

export interface ReconcilerDeps {
  readonly config: ReconcilerConfig;
  readonly inventory: PrPipelineInventory;
  /** Absent when no token secret is configured: then only idle pipelines are removed. */
  readonly github?: GitHubAccess;
  readonly publisher: BusPublisher;
  readonly pipelines: PipelineGateway;
  readonly artifacts: ArtifactGateway;
  readonly previewStacks: PreviewStackCleanup;
  readonly logger?: PrLogger;
  readonly now?: () => Date;
}

export interface ReconcilerResult {
  readonly summary: ReconcilerSummary;
  /** The plan: every decision, including what is left alone and why. */
  readonly decisions: readonly Decision[];
  /** What became of each action (empty in a dry run). */
  readonly outcomes: readonly Outcome[];
  readonly failures: readonly ReconcilerFailure[];
}

/** Parallel GitHub and ListPipelineExecutions calls. */
const CONCURRENCY = 4;

/** A manual invoke may force a dry run with {"dryRun": true}; the schedule's event never does. */
export function isDryRunRequest(event: unknown): boolean {
  return typeof event === "object" && event !== null && (event as { dryRun?: unknown }).dryRun === true;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** A compact view of a decision for the log. */
function forLog(decision: Decision): Record<string, unknown> {
  const base = { kind: decision.kind, pullRequest: decision.number, reason: decision.reason };
  switch (decision.kind) {
    case "close":
      return { ...base, pipelines: decision.pipelines, deliveryId: decision.event.deliveryId, updatedAt: decision.event.updatedAt };
    case "create":
      return { ...base, missing: decision.missing, deliveryId: decision.event.deliveryId, updatedAt: decision.event.updatedAt };
    case "remove-idle":
      return { ...base, pipeline: decision.pipeline, lastActivity: decision.lastActivity };
    default:
      return { ...base, pipelines: decision.pipelines };
  }
}

export function makeHandler(deps: ReconcilerDeps): (event?: unknown) => Promise<ReconcilerResult> {
  const { config } = deps;
  const logger: PrLogger = deps.logger ?? createLogger("reconciler");
  const clock = deps.now ?? (() => new Date());

  return async (event) => {
    const now = clock();
    const dryRun = config.dryRun || isDryRunRequest(event);
    const failures: ReconcilerFailure[] = [];
    const fail = (failure: ReconcilerFailure) => {
      failures.push(failure);
      logger.error(`Reconciler: ${failure.operation} failed`, { ...failure });
    };

    // 1. The pull request pipelines.
    let inventory: Inventory;
    try {
      inventory = await deps.inventory.listPrPipelines();
    } catch (error) {
      const wrapped = new PipelineInventoryError({ cause: error });
      logger.error("Reconciler: listing the pipelines failed; nothing was changed", { error: wrapped.message });
      throw wrapped;
    }
    for (const failure of inventory.failures) fail({ source: "aws", ...failure });
    if (inventory.ignored.length > 0)
      logger.info("Pipelines named like pull request pipelines whose tags disagree are left alone", { ignored: inventory.ignored });
    let pipelines: PrPipeline[] = inventory.pipelines;
    const numbers = [...new Set(pipelines.map((pipeline) => pipeline.number))];

    // 2. GitHub.
    const { view, checked } = await askGitHub(numbers, deps, logger, fail);

    // 3. When pipelines that may be idle last ran.
    const activity = new Map<string, Date>();
    const gone = new Set<string>();
    if (config.idleDays > 0) {
      const isOpen = (number: number) => {
        if (!view.asked) return true;
        const status = view.statuses.get(number);
        return status?.kind === "found" && status.pullRequest.state === "open";
      };
      const toCheck = pipelines.filter((pipeline) => isOpen(pipeline.number));
      await mapWithConcurrency(toCheck, CONCURRENCY, async (pipeline) => {
        try {
          const last = await deps.inventory.lastActivity(pipeline);
          if (last === "missing") gone.add(pipeline.name);
          else if (last !== undefined) activity.set(pipeline.name, last);
        } catch (error) {
          fail({
            source: "aws",
            operation: "ListPipelineExecutions",
            pipeline: pipeline.name,
            pullRequest: pipeline.number,
            message: describe(error),
          });
        }
      });
      pipelines = pipelines.filter((pipeline) => !gone.has(pipeline.name));
    }

    // 4. Plan, and 5. apply.
    const unverified = new Set(inventory.failures.map((failure) => failure.pullRequest));
    const decisions = planReconciliation({ pipelines, github: view, activity, now, settings: config, unverified });
    const actions = decisions.filter(isAction);
    logger.info(dryRun ? "Reconciler plan (dry run: nothing is changed)" : "Reconciler plan", {
      dryRun,
      actions: actions.length,
      decisions: decisions.map(forLog),
    });
    const outcomes = dryRun ? [] : await applyDecisions(actions, { ...deps, logger, now });
    for (const outcome of outcomes) {
      if (outcome.result !== "failed") continue;
      const decision = outcome.decision;
      failures.push({
        source: "aws",
        operation:
          decision.kind === "remove-idle" ? "remove idle pull request pipeline" : `put ${decision.event.action} event on ${config.eventBusName}`,
        pullRequest: decision.number,
        ...(decision.kind === "remove-idle" ? { pipeline: decision.pipeline } : {}),
        message: outcome.error,
      });
    }

    // 6. Report.
    const count = (kind: Decision["kind"], result: Outcome["result"]) =>
      dryRun
        ? decisions.filter((decision) => decision.kind === kind).length
        : outcomes.filter((outcome) => outcome.decision.kind === kind && outcome.result === result).length;
    const summary: ReconcilerSummary = {
      prPipelines: inventory.pipelines.length,
      prsChecked: checked,
      closedRequested: count("close", "published"),
      created: count("create", "published"),
      idleRemoved: count("remove-idle", "removed"),
      unknown: decisions.filter((decision) => decision.kind === "unknown").length,
      githubFailures: failures.filter((failure) => failure.source === "github").length,
      awsFailures: failures.filter((failure) => failure.source === "aws").length,
      dryRun,
    };
    logger.info("Reconciler summary", { ...summary, ...metricFields(summary, config.repository, now) });
    if (failures.length > 0) throw new ReconciliationIncompleteError(summary, failures);
    return { summary, decisions, outcomes, failures };
  };
}

/** What GitHub says about the pull requests that have pipelines (and, with createMissing, the open ones). */
async function askGitHub(
  numbers: readonly number[],
  deps: ReconcilerDeps,
  logger: PrLogger,
  fail: (failure: ReconcilerFailure) => void,
): Promise<{ view: GitHubView; checked: number }> {
  const notAsked = (reason: string) => {
    logger.warn("Reconciler: GitHub is not asked, so only idle pull request pipelines are removed", { reason });
    return { view: { asked: false, reason } as const, checked: 0 };
  };
  if (deps.github === undefined) return notAsked("no GitHub token is configured (GITHUB_TOKEN_SECRET_ARN is not set)");
  let source: PullRequestSource | undefined;
  try {
    source = await deps.github();
  } catch (error) {
    fail({ source: "github", operation: "connect to GitHub", message: describe(error) });
    return notAsked("the GitHub credentials could not be read or used");
  }
  if (source === undefined) return notAsked("the GitHub token secret holds no value");

  const statuses = new Map<number, PullRequestStatus>();
  let openPullRequests: GitHubPullRequest[] | undefined;
  if (deps.config.createMissing) {
    try {
      openPullRequests = await source.openPullRequests();
      for (const pullRequest of openPullRequests) statuses.set(pullRequest.number, { kind: "found", pullRequest });
    } catch (error) {
      fail({ source: "github", operation: "list open pull requests", message: describe(error) });
    }
  }

  const toAsk = numbers.filter((number) => !statuses.has(number));
  const lookups = await mapWithConcurrency(toAsk, CONCURRENCY, async (number): Promise<[number, PullRequestLookup | { error: unknown }]> => {
    try {
      return [number, await source.pullRequest(number)];
    } catch (error) {
      return [number, { error }];
    }
  });
  const notFound: number[] = [];
  for (const [number, lookup] of lookups) {
    if ("error" in lookup) {
      const message = describe(lookup.error);
      fail({ source: "github", operation: "get pull request", pullRequest: number, message });
      statuses.set(number, { kind: "unknown", reason: `GitHub failed: ${message}` });
    } else if (lookup.kind === "found") {
      statuses.set(number, { kind: "found", pullRequest: lookup.pullRequest });
    } else {
      notFound.push(number);
    }
  }

  // A 404 may also mean the token cannot see the repository: closing every
  // pull request then would be a disaster, so the repository is checked once.
  if (notFound.length > 0) {
    let reason: string | undefined;
    try {
      if (!(await source.repositoryVisible())) {
        reason = `GitHub answers 404 for repository ${deps.config.repository} too: the token cannot see it`;
        fail({ source: "github", operation: "get repository", message: `${reason}. Fix: check GITHUB_REPOSITORY and the token's repository access` });
      }
    } catch (error) {
      reason = `GitHub answered 404 for the pull request, and checking the repository failed: ${describe(error)}`;
      fail({ source: "github", operation: "get repository", message: describe(error) });
    }
    for (const number of notFound) statuses.set(number, reason === undefined ? { kind: "deleted" } : { kind: "unknown", reason });
  }

  const checked = [...statuses.values()].filter((status) => status.kind !== "unknown").length;
  return { view: { asked: true, statuses, ...(openPullRequests === undefined ? {} : { openPullRequests }) }, checked };
}

/** Knobs for tests and tools; the Lambda uses the defaults. */
export interface ReconcilerTuning {
  readonly github?: { readonly policy?: Partial<RequestPolicy>; readonly budgetMs?: number };
  readonly logger?: PrLogger;
  readonly now?: () => Date;
}

/** Builds the handler from the environment the Reconciler construct sets, with real AWS clients. */
export function handlerFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  tuning: ReconcilerTuning = {},
): (event?: unknown) => Promise<ReconcilerResult> {
  const config = parseReconcilerConfig({
    SERVICE_PIPELINES: requireEnv("SERVICE_PIPELINES", env),
    GITHUB_REPOSITORY: requireEnv("GITHUB_REPOSITORY", env),
    EVENT_BUS_NAME: requireEnv("EVENT_BUS_NAME", env),
    PR_ARTIFACT_BUCKET: requireEnv("PR_ARTIFACT_BUCKET", env),
    PREVIEW_CLEANUP_ROLE_ARN: requireEnv("PREVIEW_CLEANUP_ROLE_ARN", env),
    FORK_LABEL: requireEnv("FORK_LABEL", env),
    GITHUB_TOKEN_SECRET_ARN: optionalEnv("GITHUB_TOKEN_SECRET_ARN", env),
    GITHUB_API_URL: optionalEnv("GITHUB_API_URL", env),
    IDLE_DAYS: optionalEnv("IDLE_DAYS", env),
    CREATE_MISSING: optionalEnv("CREATE_MISSING", env),
    DRY_RUN: optionalEnv("DRY_RUN", env),
  });
  // Lambda sets AWS_REGION; every client is pinned to it.
  const region = requireEnv("AWS_REGION", env);
  const retry = { region, retryMode: "adaptive", maxAttempts: 5 } as const;
  const codepipeline = new CodePipelineClient(retry);
  const sts = new STSClient({ region });
  const logger = tuning.logger ?? createLogger("reconciler");
  const secretArn = config.githubTokenSecretArn;
  return makeHandler({
    config,
    inventory: new CodePipelineInventory(codepipeline, {
      servicePipelines: config.servicePipelines,
      repository: config.repository,
      arnPrefix: stsPipelineArnPrefix(sts, region),
    }),
    ...(secretArn === undefined ? {} : { github: gitHubAccess(secretArn, config, logger, tuning.github, () => new SecretsManagerClient(retry)) }),
    publisher: new EventBridgeBusPublisher({ client: new EventBridgeClient({ region }), eventBusName: config.eventBusName }),
    pipelines: new CodePipelineGateway(codepipeline),
    artifacts: new S3ArtifactGateway(new S3Client({ region })),
    previewStacks: new CloudFormationPreviewStacks({
      roleArn: config.previewCleanupRoleArn,
      sts,
      region,
      log: (message, details) => logger.info(message, details),
    }),
    logger,
    ...(tuning.now === undefined ? {} : { now: tuning.now }),
  });
}

/** GitHub through the shared client, authenticated with the token secret's credentials (a token or a GitHub App). */
function gitHubAccess(
  secretArn: string,
  config: ReconcilerConfig,
  logger: PrLogger,
  tuning: ReconcilerTuning["github"],
  secrets: () => SecretsManagerClient,
): GitHubAccess {
  const clients = gitHubClientFromSecret(secretArn, secrets, {
    baseUrl: config.githubApiUrl,
    userAgent: "pipewright-reconciler",
    log: logger,
    ...(tuning?.policy === undefined ? {} : { policy: tuning.policy }),
  });
  return async () => {
    const github = await clients(config.repository);
    if (github === undefined) return undefined;
    return new GitHubPullRequests({
      repository: config.repository,
      client: github,
      ...(tuning?.budgetMs === undefined ? {} : { budgetMs: tuning.budgetMs }),
    });
  };
}

let productionLogger: Logger | undefined;
let built: ((event?: unknown) => Promise<ReconcilerResult>) | undefined;

/** The Lambda entry point, built on first use so that importing this module reads no environment; its log lines carry the invocation's context. */
export const handler = async (event: unknown, context: Context): Promise<ReconcilerResult> => {
  productionLogger ??= createLogger("reconciler");
  productionLogger.addContext(context);
  built ??= handlerFromEnvironment(process.env, { logger: productionLogger });
  return built(event);
};
