import { CodePipelineClient } from "@aws-sdk/client-codepipeline";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context, EventBridgeEvent } from "aws-lambda";
import { THROTTLED_CLIENT_RETRY } from "../shared/aws-retry";
import { optionalEnv, requireEnv } from "../shared/env";
import { DETAIL_TYPES, pullRequestEventSchema, type PullRequestEvent } from "../shared/events";
import { gitHubClientFromSecret } from "../shared/github/source";
import { createLogger } from "../shared/logger";
import { loadRepositoryCatalog } from "../shared/repositories";
import { applyPlan, type ApplyResult, type PrLogger } from "./apply";
import { CodePipelineGateway, S3ArtifactGateway } from "./aws";
import { DynamoCapacityLedger } from "./capacity-ledger";
import { capacityNotShown, GitHubCapacityNotices, type CapacityNotices } from "./capacity-notices";
import { parseConfig, type PrPipelinesConfig } from "./config";
import { InvalidEventError } from "./errors";
import { forkApprovalNotShown, GitHubForkApprovalNotices, showForkApproval, type ForkApprovalNotices } from "./fork-approval";
import type { ArtifactGateway, CapacityLedger, PipelineGateway, PrStateStore } from "./gateways";
import { planPullRequestEvent } from "./plan";
import { CloudFormationPreviewStacks } from "./cloudformation";
import { previewStacksLeftInPlace, type PreviewStackCleanup } from "./preview-stacks";
import { DynamoPrStateStore } from "./state";

/**
 * Target of the bus rule for pull_request events: creates, runs and deletes
 * the pull request pipelines. Thin: validate, plan, apply.
 */

export interface HandlerDeps {
  readonly pipelines: PipelineGateway;
  readonly artifacts: ArtifactGateway;
  readonly state: PrStateStore;
  /** The cap's ledger (capacity.ts); in the state table. */
  readonly capacity: CapacityLedger;
  readonly config: PrPipelinesConfig;
  /** Extension point for deleting preview stacks; see preview-stacks.ts. */
  readonly previewStacks?: PreviewStackCleanup;
  /** Shows on GitHub what a fork's head waits for; without it, that is only logged. */
  readonly forkApproval?: ForkApprovalNotices;
  /** Shows on GitHub that a pull request waits for capacity; without it, that is only logged. */
  readonly capacityNotices?: CapacityNotices;
  readonly logger?: PrLogger;
  readonly now?: () => Date;
}

export type PullRequestBusEvent = EventBridgeEvent<"pull_request", unknown>;

export type PrPipelinesResult = { readonly outcome: "skipped"; readonly reason: string } | ApplyResult;

/** Validates the event; the error names where it is wrong, never what it holds. */
export function parsePullRequestEvent(event: PullRequestBusEvent): PullRequestEvent {
  if (event?.["detail-type"] !== DETAIL_TYPES.pullRequest) {
    throw new InvalidEventError([`detail-type: expected "${DETAIL_TYPES.pullRequest}"`]);
  }
  const result = pullRequestEventSchema.safeParse(event.detail);
  if (!result.success) {
    throw new InvalidEventError(result.error.issues.map((issue) => `detail.${issue.path.join(".") || "(root)"}: ${issue.code}`));
  }
  return result.data;
}

export function makeHandler(deps: HandlerDeps): (event: PullRequestBusEvent) => Promise<PrPipelinesResult> {
  const logger: PrLogger = deps.logger ?? createLogger("pr-pipelines");
  const now = deps.now ?? (() => new Date());
  const previewStacks = deps.previewStacks ?? previewStacksLeftInPlace((message, details) => logger.warn(message, details));
  const forkApproval = deps.forkApproval ?? forkApprovalNotShown(logger);
  const capacityNotices = deps.capacityNotices ?? capacityNotShown(logger);

  return async (event) => {
    let pr: PullRequestEvent;
    try {
      pr = parsePullRequestEvent(event);
    } catch (error) {
      if (error instanceof InvalidEventError) logger.error("Rejecting an invalid event", { eventId: event?.id, problems: error.problems });
      throw error;
    }
    const about = { deliveryId: pr.deliveryId, repository: pr.repository, pullRequest: pr.number, action: pr.action };

    const plan = planPullRequestEvent(pr, deps.config);
    if (plan.kind === "skip") {
      logger.info("Nothing to do for this event", { ...about, reason: plan.reason });
      await showForkApproval(pr, plan, "skipped", forkApproval);
      return { outcome: "skipped", reason: plan.reason };
    }
    logger.info("Applying", { ...about, plan: plan.kind, reason: plan.reason, pipelines: plan.pipelines.map((p) => p.prPipeline) });
    try {
      const result = await applyPlan(pr, plan, { ...deps, previewStacks, logger, now });
      await showForkApproval(pr, plan, result.outcome, forkApproval);
      if (result.outcome === "waiting") await capacityNotices.waiting(pr, result.wait);
      else if (result.outcome === "ran" && result.waited) await capacityNotices.granted(pr);
      return result;
    } catch (error) {
      logger.error("Failed; the event will be retried", {
        ...about,
        error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
      });
      throw error;
    }
  };
}

function fromEnvironment(logger: Logger): HandlerDeps {
  const config = parseConfig(
    {
      PR_STATE_TABLE: requireEnv("PR_STATE_TABLE"),
      PR_IDENTITIES: requireEnv("PR_IDENTITIES"),
      PROD_ACCOUNT_ID: requireEnv("PROD_ACCOUNT_ID"),
      MAX_PR_PIPELINES: requireEnv("MAX_PR_PIPELINES"),
      GITHUB_TOKEN_SECRET_ARN: optionalEnv("GITHUB_TOKEN_SECRET_ARN"),
      GITHUB_API_URL: optionalEnv("GITHUB_API_URL"),
    },
    loadRepositoryCatalog(),
  );
  const secretArn = config.github.tokenSecretArn;
  const dynamodb = new DynamoDBClient({});
  return {
    config,
    pipelines: new CodePipelineGateway(new CodePipelineClient(THROTTLED_CLIENT_RETRY)),
    artifacts: new S3ArtifactGateway(new S3Client({})),
    state: new DynamoPrStateStore(dynamodb, config.stateTable),
    capacity: new DynamoCapacityLedger(dynamodb, config.stateTable),
    previewStacks: new CloudFormationPreviewStacks({
      roleArn: requireEnv("PREVIEW_CLEANUP_ROLE_ARN"),
      log: (message, details) => logger.info(message, details),
    }),
    ...(secretArn === undefined ? {} : gitHubNotices(secretArn, config, logger)),
    logger,
  };
}

/** The fork approval and the capacity wait on GitHub, with the client of each pull request's repository. */
function gitHubNotices(secretArn: string, config: PrPipelinesConfig, logger: Logger): Pick<HandlerDeps, "forkApproval" | "capacityNotices"> {
  const client = gitHubClientFromSecret(secretArn, () => new SecretsManagerClient({}), {
    baseUrl: config.github.apiUrl,
    userAgent: "pipewright-pr-pipelines",
    log: logger,
  });
  return {
    forkApproval: new GitHubForkApprovalNotices({ client, secretArn, logger }),
    capacityNotices: new GitHubCapacityNotices({ client, secretArn, logger }),
  };
}

let productionLogger: Logger | undefined;
let realHandler: ((event: PullRequestBusEvent) => Promise<PrPipelinesResult>) | undefined;

/** The Lambda entry point: real clients and the environment, built on the first event. */
export const handler = async (event: PullRequestBusEvent, context: Context): Promise<PrPipelinesResult> => {
  productionLogger ??= createLogger("pr-pipelines");
  productionLogger.addContext(context);
  realHandler ??= makeHandler(fromEnvironment(productionLogger));
  return realHandler(event);
};
