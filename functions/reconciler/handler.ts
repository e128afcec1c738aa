import { CodePipelineClient } from "@aws-sdk/client-codepipeline";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { STSClient } from "@aws-sdk/client-sts";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import type { PrLogger } from "../pr-pipelines/apply";
import { mapWithConcurrency } from "../shared/concurrency";
import { CodePipelineGateway, S3ArtifactGateway } from "../pr-pipelines/aws";
import { ledgerKey } from "../pr-pipelines/capacity";
import { DynamoCapacityLedger } from "../pr-pipelines/capacity-ledger";
import { CloudFormationPreviewStacks } from "../pr-pipelines/cloudformation";
import type { ArtifactGateway, CapacityLedger, PipelineGateway } from "../pr-pipelines/gateways";
import { THROTTLED_CLIENT_RETRY } from "../shared/aws-retry";
import type { PreviewStackCleanup } from "../pr-pipelines/preview-stacks";
import { optionalEnv, requireEnv } from "../shared/env";
import { GitHubBudget } from "../shared/github/budget";
import { gitHubClientFromSecret } from "../shared/github/source";
import { loadRepositoryCatalog, type RepositoryEntry } from "../shared/repositories";
import type { RequestPolicy } from "../shared/retry-policy";
import { createLogger } from "../shared/logger";
import { EventBridgeBusPublisher } from "../webhook/aws";
import type { BusPublisher } from "../webhook/bus-event";
import { actionName, applyDecisions, type Outcome } from "./apply";
import { CodePipelineInventory, stsPipelineArnPrefix, type Inventory, type PrPipelineInventory } from "./aws";
import { parseReconcilerConfig, type ReconcilerConfig } from "./config";
import type { PrPipeline } from "./discover";
import { PipelineInventoryError, ReconciliationIncompleteError, type ReconcilerFailure } from "./errors";
import { GitHubPullRequests, RUN_BUDGET_MS, type GitHubPullRequest, type PullRequestLookup, type PullRequestSource } from "./github";
import { isAction, planReconciliation, type CapacityView, type Decision, type GitHubView, type PullRequestStatus } from "./plan";
import { metricFields, type ReconcilerSummary } from "./report";

/**
 * The reconciler: on a schedule, finds the pull request pipelines, asks
 * GitHub about their pull requests, and repairs what missed webhooks left
 * behind (see plan.ts for the rules). Thin: discover, ask, plan, apply, report.
 */

/**
 * GitHub for one run: called once a run (the run's time budget starts
 * then), it gives the questions about each repository; undefined while the
 * token secret holds no value. Throws when the credentials cannot be read or
 * used for that repository (a GitHub App not installed on it included).
 */
export type GitHubAccess = () => (repository: string) => Promise<PullRequestSource | undefined>;

export interface ReconcilerDeps {
  readonly config: ReconcilerConfig;
  readonly inventory: PrPipelineInventory;
  /** Absent when no token secret is configured: then only idle pipelines are removed. */
  readonly github?: GitHubAccess;
  readonly publisher: BusPublisher;
  readonly pipelines: PipelineGateway;
  readonly artifacts: ArtifactGateway;
  readonly previewStacks: PreviewStackCleanup;
  /** The cap's ledger: pull requests waiting for capacity are picked up from it. */
  readonly capacity: CapacityLedger;
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
  const base = { kind: decision.kind, repository: decision.repository, pullRequest: decision.number, reason: decision.reason };
  switch (decision.kind) {
    case "close":
      return { ...base, pipelines: decision.pipelines, deliveryId: decision.event.deliveryId, updatedAt: decision.event.updatedAt };
    case "create":
      return { ...base, missing: decision.missing, deliveryId: decision.event.deliveryId, updatedAt: decision.event.updatedAt };
    case "pick-up":
      return { ...base, pipelines: decision.pipelines, deliveryId: decision.event.deliveryId, waitingSince: decision.waitingSince };
    case "remove-idle":
      return { ...base, pipeline: decision.pipeline, lastActivity: decision.lastActivity };
    case "forget":
      return { ...base, waitingSince: decision.waitingSince };
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

    // 2. The pull requests waiting for capacity.
    let capacity: CapacityView | undefined;
    try {
      capacity = { ledger: await deps.capacity.read(), limit: config.maxPullRequestPipelines };
    } catch (error) {
      fail({ source: "aws", operation: "read the capacity ledger", message: describe(error) });
    }

    // 3. GitHub, each repository on its own.
    const { views, checked } = await askGitHub(pipelines, capacity, deps, logger, fail);

    // 4. When pipelines that may be idle last ran.
    const activity = new Map<string, Date>();
    const gone = new Set<string>();
    if (config.idleDays > 0) {
      const isOpen = (pipeline: PrPipeline) => {
        const view = views.get(pipeline.repository.toLowerCase());
        if (view === undefined || !view.asked) return true;
        const status = view.statuses.get(pipeline.number);
        return status?.kind === "found" && status.pullRequest.state === "open";
      };
      const toCheck = pipelines.filter(isOpen);
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

    // 5. Plan, and 6. apply.
    const unverified = new Set(inventory.failures.map((failure) => ledgerKey(failure.repository, failure.pullRequest)));
    const decisions = planReconciliation({
      pipelines,
      github: views,
      activity,
      now,
      settings: config,
      unverified,
      ...(capacity === undefined ? {} : { capacity }),
    });
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
        operation: "event" in decision ? `put ${decision.event.action} event on ${config.eventBusName}` : actionName(decision),
        repository: decision.repository,
        pullRequest: decision.number,
        ...(decision.kind === "remove-idle" ? { pipeline: decision.pipeline } : {}),
        message: outcome.error,
      });
    }

    // 7. Report.
    const count = (kind: Decision["kind"], result: Outcome["result"]) =>
      dryRun
        ? decisions.filter((decision) => decision.kind === kind).length
        : outcomes.filter((outcome) => outcome.decision.kind === kind && outcome.result === result).length;
    const summary: ReconcilerSummary = {
      prPipelines: inventory.pipelines.length,
      prsChecked: checked,
      closedRequested: count("close", "published"),
      created: count("create", "published"),
      pickedUp: count("pick-up", "published"),
      waiting:
        capacity === undefined
          ? 0
          : capacity.ledger.waiting.size -
            (dryRun ? 0 : outcomes.filter((o) => o.result === "forgotten" || (o.decision.kind === "pick-up" && o.result === "published")).length),
      idleRemoved: count("remove-idle", "removed"),
      unknown: decisions.filter((decision) => decision.kind === "unknown").length,
      githubFailures: failures.filter((failure) => failure.source === "github").length,
      awsFailures: failures.filter((failure) => failure.source === "aws").length,
      dryRun,
    };
    logger.info("Reconciler summary", { ...summary, ...metricFields(summary, now) });
    if (failures.length > 0) throw new ReconciliationIncompleteError(summary, failures);
    return { summary, decisions, outcomes, failures };
  };
}

/**
 * What GitHub says about each repository's pull requests that have pipelines
 * (and its open ones, listed once, with createMissing or when some of its
 * pull requests wait for capacity). Repositories with nothing to ask about
 * cost no call.
 */
async function askGitHub(
  pipelines: readonly PrPipeline[],
  capacity: CapacityView | undefined,
  deps: ReconcilerDeps,
  logger: PrLogger,
  fail: (failure: ReconcilerFailure) => void,
): Promise<{ views: Map<string, GitHubView>; checked: number }> {
  const views = new Map<string, GitHubView>();
  const numbersOf = new Map<string, Set<number>>();
  for (const pipeline of pipelines) {
    const key = pipeline.repository.toLowerCase();
    numbersOf.set(key, (numbersOf.get(key) ?? new Set()).add(pipeline.number));
  }
  const waitingIn = new Set([...(capacity?.ledger.waiting.keys() ?? [])].map((key) => key.slice(0, key.lastIndexOf("#")).toLowerCase()));
  const toAsk = deps.config.repositories.repositories.filter((entry) => {
    const key = entry.repository.toLowerCase();
    return numbersOf.has(key) || waitingIn.has(key) || deps.config.createMissing;
  });
  const notAsked = (entry: RepositoryEntry, reason: string) => {
    logger.warn("Reconciler: GitHub is not asked about a repository, so only its idle pull request pipelines are removed", {
      repository: entry.repository,
      reason,
    });
    views.set(entry.repository.toLowerCase(), { asked: false, reason });
  };
  if (deps.github === undefined) {
    for (const entry of toAsk) notAsked(entry, "no GitHub token is configured (GITHUB_TOKEN_SECRET_ARN is not set)");
    return { views, checked: 0 };
  }
  const sourceFor = deps.github();
  let checked = 0;
  for (const entry of toAsk) {
    const key = entry.repository.toLowerCase();
    let source: PullRequestSource | undefined;
    try {
      source = await sourceFor(entry.repository);
    } catch (error) {
      fail({ source: "github", operation: "connect to GitHub", repository: entry.repository, message: describe(error) });
      notAsked(entry, "the GitHub credentials could not be read or used for it");
      continue;
    }
    if (source === undefined) {
      notAsked(entry, "the GitHub token secret holds no value");
      continue;
    }
    const view = await askAboutRepository(entry, source, [...(numbersOf.get(key) ?? [])], deps.config.createMissing || waitingIn.has(key), fail);
    views.set(key, view);
    checked += [...view.statuses.values()].filter((status) => status.kind !== "unknown").length;
  }
  return { views, checked };
}

/** One repository: its open pull requests (when `listOpen`), then each pull request with pipelines that the listing did not answer for. */
async function askAboutRepository(
  entry: RepositoryEntry,
  source: PullRequestSource,
  numbers: readonly number[],
  listOpen: boolean,
  fail: (failure: ReconcilerFailure) => void,
): Promise<Extract<GitHubView, { asked: true }>> {
  const { repository } = entry;
  const statuses = new Map<number, PullRequestStatus>();
  let openPullRequests: GitHubPullRequest[] | undefined;
  if (listOpen) {
    try {
      openPullRequests = await source.openPullRequests();
      for (const pullRequest of openPullRequests) statuses.set(pullRequest.number, { kind: "found", pullRequest });
    } catch (error) {
      fail({ source: "github", operation: "list open pull requests", repository, message: describe(error) });
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
      fail({ source: "github", operation: "get pull request", repository, pullRequest: number, message });
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
        reason = `GitHub answers 404 for repository ${repository} too: the credentials cannot see it`;
        fail({
          source: "github",
          operation: "get repository",
          repository,
          message: `${reason}. Fix: check the repository's name in the configuration and the token's (or the GitHub App installation's) repository access`,
        });
      }
    } catch (error) {
      reason = `GitHub answered 404 for the pull request, and checking the repository failed: ${describe(error)}`;
      fail({ source: "github", operation: "get repository", repository, message: describe(error) });
    }
    for (const number of notFound) statuses.set(number, reason === undefined ? { kind: "deleted" } : { kind: "unknown", reason });
  }
  return { asked: true, statuses, ...(openPullRequests === undefined ? {} : { openPullRequests }) };
}

/** Knobs for tests and tools; the Lambda uses the defaults. */
export interface ReconcilerTuning {
  readonly github?: { readonly policy?: Partial<RequestPolicy>; readonly budgetMs?: number };
  readonly logger?: PrLogger;
  readonly now?: () => Date;
}

/** Builds the handler from the environment the Reconciler construct sets (and the bundled repository catalog), with real AWS clients. */
export function handlerFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  tuning: ReconcilerTuning = {},
): (event?: unknown) => Promise<ReconcilerResult> {
  const config = parseReconcilerConfig(
    {
      EVENT_BUS_NAME: requireEnv("EVENT_BUS_NAME", env),
      PR_STATE_TABLE: requireEnv("PR_STATE_TABLE", env),
      MAX_PR_PIPELINES: requireEnv("MAX_PR_PIPELINES", env),
      PR_ARTIFACT_BUCKET: requireEnv("PR_ARTIFACT_BUCKET", env),
      PREVIEW_CLEANUP_ROLE_ARN: requireEnv("PREVIEW_CLEANUP_ROLE_ARN", env),
      GITHUB_TOKEN_SECRET_ARN: optionalEnv("GITHUB_TOKEN_SECRET_ARN", env),
      GITHUB_API_URL: optionalEnv("GITHUB_API_URL", env),
      IDLE_DAYS: optionalEnv("IDLE_DAYS", env),
      CREATE_MISSING: optionalEnv("CREATE_MISSING", env),
      DRY_RUN: optionalEnv("DRY_RUN", env),
    },
    loadRepositoryCatalog(env),
  );
  // Lambda sets AWS_REGION; every client is pinned to it.
  const region = requireEnv("AWS_REGION", env);
  const retry = { region, ...THROTTLED_CLIENT_RETRY };
  const codepipeline = new CodePipelineClient(retry);
  const sts = new STSClient({ region });
  const logger = tuning.logger ?? createLogger("reconciler");
  const secretArn = config.githubTokenSecretArn;
  return makeHandler({
    config,
    inventory: new CodePipelineInventory(codepipeline, { repositories: config.repositories, arnPrefix: stsPipelineArnPrefix(sts, region) }),
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
    capacity: new DynamoCapacityLedger(new DynamoDBClient(retry), config.stateTable),
    logger,
    ...(tuning.now === undefined ? {} : { now: tuning.now }),
  });
}

/** GitHub through the shared client, authenticated with the token secret's credentials (a token or a GitHub App), one budget a run. */
function gitHubAccess(
  secretArn: string,
  config: ReconcilerConfig,
  logger: PrLogger,
  tuning: ReconcilerTuning["github"],
  secrets: () => SecretsManagerClient,
): GitHubAccess {
  const clientOf = gitHubClientFromSecret(secretArn, secrets, {
    baseUrl: config.githubApiUrl,
    userAgent: "pipewright-reconciler",
    log: logger,
    ...(tuning?.policy === undefined ? {} : { policy: tuning.policy }),
  });
  return () => {
    const budget = new GitHubBudget(tuning?.budgetMs ?? RUN_BUDGET_MS);
    return async (repository) => {
      const client = await clientOf(repository);
      return client === undefined ? undefined : new GitHubPullRequests({ repository, client, budget });
    };
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
