import { CodePipelineClient } from "@aws-sdk/client-codepipeline";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context, EventBridgeEvent } from "aws-lambda";
import { codePipelineEventSchema, CODEPIPELINE_DETAIL_TYPES, type CodePipelineEvent } from "../shared/codepipeline-events";
import { parseApiUrl } from "../shared/config-fields";
import { optionalEnv, requireEnv } from "../shared/env";
import { GitHubCredentialsSecretError } from "../shared/github/credentials";
import { GitHubCallError } from "../shared/github/errors";
import { gitHubClientFromSecret } from "../shared/github/source";
import { createLogger } from "../shared/logger";
import { loadRepositoryCatalog } from "../shared/repositories";
import { parseSlackBotToken, SlackApiError, SlackBotTokenError, slackChat } from "../shared/slack/web-api";
import { CodePipelineFacts, secretsManagerValue, SnsTopicPublisher } from "./aws";
import {
  type ChannelName,
  type ChannelOutcome,
  type ChannelResult,
  type CommitStatusSender,
  deliverAll,
  type SlackBotSender,
  type SlackSender,
  type TopicPublisher,
} from "./channels";
import { commitStatusFor, statusStillHolds } from "./commit-status";
import {
  type NotifierConfig,
  parseNotifyStates,
  parsePipelinePrefix,
  parseSlackSettings,
  parseTopicArn,
  SLACK_BOT_VARIABLES,
  type SlackVariable,
} from "./config";
import { DynamoThreadStore } from "./dynamo-threads";
import { emailMessage } from "./email";
import { describeError, HttpDeliveryError, InvalidCodePipelineEventError, NotificationDeliveryError } from "./errors";
import { approvalOf, type CommitFacts, type ExecutionFacts, type FailedActionFacts, type PipelineFacts } from "./facts";
import type { PipelineIdentity } from "./identity";
import { enrich } from "./enrich";
import { GitHubCommitStatuses } from "./github";
import { commitUrl, executionUrl, githubWebOrigin } from "../shared/links";
import { notificationFailureMetric } from "./metrics";
import { buildNotification } from "./notification";
import { type CommitStatusIntent, finalNotification, type NotifyState, planEvent } from "./routing";
import { parseSlackWebhookSecret } from "./secrets";
import { SlackWebhook } from "./slack";
import { SlackBotChannel } from "./slack-bot";
import { slackChatMessage, slackMessage } from "./slack-message";
import { type ThreadInput, threadDelivery } from "./thread-messages";

/**
 * Target of the notifications rule on the default bus: CodePipeline
 * execution state changes of the platform's pipelines. Enriches the event
 * from CodePipeline, then, each channel independently: publishes to the SNS
 * topic, posts to Slack (through a webhook, or as the Slack app: a thread per
 * execution of a main pipeline), and sets the GitHub commit status of the
 * commit the execution built (when credentials are), in the pipeline's
 * repository as the repository catalog tells it.
 */

/** The part of Powertools' structured logger the notifier uses. */
export type NotifierLogger = Pick<Logger, "info" | "warn" | "error">;

export interface NotifierDeps {
  config: NotifierConfig;
  facts: PipelineFacts;
  topic: TopicPublisher;
  /** Absent when no Slack webhook secret is configured (SLACK_WEBHOOK_SECRET_ARN unset). */
  slack?: SlackSender;
  /** The Slack app (bot mode); absent unless its variables are set. Never together with `slack`. */
  slackBot?: SlackBotSender;
  /** Absent when no GitHub credentials secret is configured (GITHUB_TOKEN_SECRET_ARN unset). */
  commitStatuses?: CommitStatusSender;
  logger?: NotifierLogger;
  /** Milliseconds since the epoch (metric timestamps). */
  now?: () => number;
}

export type NotifierResult = { outcome: "ignored"; reason: string } | { outcome: "handled"; notification?: NotifyState; channels: ChannelResult[] };

function statusOf(cause: unknown): number | string {
  if (cause instanceof HttpDeliveryError || cause instanceof GitHubCallError || cause instanceof SlackApiError) return cause.status ?? "no answer";
  const sdkStatus = (cause as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata?.httpStatusCode;
  if (typeof sdkStatus === "number") return sdkStatus;
  const name = (cause as { name?: unknown } | undefined)?.name;
  return name === "SecretValueError" || cause instanceof GitHubCredentialsSecretError || cause instanceof SlackBotTokenError
    ? "bad secret value"
    : "error";
}

function eventContext(event: CodePipelineEvent): Record<string, unknown> {
  const context: Record<string, unknown> = {
    eventId: event.id,
    detailType: event["detail-type"],
    pipeline: event.detail.pipeline,
    executionId: event.detail["execution-id"],
    state: event.detail.state,
  };
  if (event["detail-type"] !== CODEPIPELINE_DETAIL_TYPES.pipeline) context.stage = event.detail.stage;
  if (event["detail-type"] === CODEPIPELINE_DETAIL_TYPES.action) context.action = event.detail.action;
  return context;
}

export function makeHandler(deps: NotifierDeps) {
  const { config, facts: pipelineFacts, topic, slack, slackBot, commitStatuses } = deps;
  const logger: NotifierLogger = deps.logger ?? createLogger("notifier");
  const now = deps.now ?? Date.now;
  const webOrigin = githubWebOrigin(config.githubApiUrl);
  const loggedOnce = new Set<string>();
  /** "Skipped with one log line": once per container, not once per event. */
  const logOnce = (key: string, message: string, context: Record<string, unknown>) => {
    if (loggedOnce.has(key)) return;
    loggedOnce.add(key);
    logger.info(message, context);
  };

  return async (event: EventBridgeEvent<string, unknown>): Promise<NotifierResult> => {
    const parsed = codePipelineEventSchema.safeParse(event);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "event"}: ${issue.message}`);
      throw new InvalidCodePipelineEventError((event as { id?: string } | undefined)?.id, problems);
    }
    const codePipelineEvent = parsed.data;
    const { detail } = codePipelineEvent;
    const pipeline = detail.pipeline;
    const executionId = detail["execution-id"];
    const context = eventContext(codePipelineEvent);

    if (!pipeline.startsWith(config.pipelinePrefix)) {
      const reason = `${pipeline} does not start with ${config.pipelinePrefix}, so it is not a platform pipeline`;
      logger.info(`Ignoring the event: ${reason}`, context);
      return { outcome: "ignored", reason };
    }
    // In bot mode a main pipeline's execution is a Slack thread, which every step of it joins.
    const threads = slackBot !== undefined && config.catalog.ownerOfPipeline(pipeline) !== undefined;
    const plan = planEvent(codePipelineEvent, config.notifyStates, { threads });
    if (plan.kind === "ignore") {
      logger.info(`Ignoring the event: ${plan.reason}`, context);
      return { outcome: "ignored", reason: plan.reason };
    }

    const enrichment = await enrich(codePipelineEvent, plan, { facts: pipelineFacts, catalog: config.catalog, logger, context });
    const { identity, execution, commit, failures, location } = enrichment;
    if (identity.repository !== undefined) context.repository = identity.repository.repository;
    const state = finalNotification(plan.notification, config.notifyStates, identity.isMain, enrichment.recovered);

    const attempts: Array<{ channel: ChannelName; send: () => Promise<ChannelOutcome> }> = [];
    if (state !== undefined) {
      const notification = buildNotification({
        state,
        eventState: detail.state,
        identity,
        githubWebOrigin: webOrigin,
        commit,
        failures,
        approval: plan.approval ? approvalOf(plan.approval.stage, plan.approval.action, enrichment.actions) : undefined,
        executionId,
        account: codePipelineEvent.account,
        location,
        time: codePipelineEvent.time,
        statusSummary: execution?.statusSummary,
        recoveredFrom: enrichment.recoveredFrom,
        missing: enrichment.missing,
      });
      const email = emailMessage(notification);
      attempts.push({ channel: "sns", send: () => topic.publish(email) });
      if (slack) {
        const message = slackMessage(notification, email.subject);
        attempts.push({ channel: "slack", send: () => slack.send(message) });
      } else if (slackBot && plan.thread === undefined) {
        const message = slackChatMessage(notification, email.subject);
        attempts.push({ channel: "slack", send: () => slackBot.post(message) });
      } else if (!slackBot) {
        logOnce(
          "slack-off",
          "Slack is off: neither SLACK_WEBHOOK_SECRET_ARN nor SLACK_BOT_TOKEN_SECRET_ARN is set, so notifications go to the SNS topic only",
          context,
        );
      }
    } else {
      logger.info(`No notification: ${plan.quietBecause ?? `${plan.notification} is not in NOTIFY_STATES`}`, context);
    }

    const targetUrl = executionUrl(location, pipeline, executionId);
    if (slackBot && plan.thread) {
      const repository = identity.repository?.repository;
      const trigger = "execution-trigger" in detail ? detail["execution-trigger"] : undefined;
      const input: ThreadInput = {
        step: plan.thread,
        eventId: codePipelineEvent.id,
        pipeline,
        executionId,
        repository,
        service: identity.service,
        branch: identity.repository?.mainBranch,
        commit,
        trigger: execution?.trigger ?? (trigger ? { type: trigger["trigger-type"], detail: trigger["trigger-detail"] } : undefined),
        links: { execution: targetUrl, commit: commit && repository ? commitUrl(webOrigin, repository, commit.sha) : undefined },
        executionStatus: execution?.status,
        statusSummary: execution?.statusSummary,
        startTime: detail["start-time"],
        time: codePipelineEvent.time,
        failures,
        approval: plan.approval ? approvalOf(plan.approval.stage, plan.approval.action, enrichment.actions) : undefined,
        approvers: config.catalog.ownerOfPipeline(pipeline)?.service.slackApprovers ?? [],
      };
      // Built inside the attempt: a message that cannot be built fails the Slack channel only.
      attempts.push({ channel: "slack", send: () => slackBot.thread(threadDelivery(input)) });
    }
    const commitStatusAttempt = plannedCommitStatus(plan.commitStatus, identity, execution, commit, failures, targetUrl, context);
    if (commitStatusAttempt) attempts.push(commitStatusAttempt);

    if (attempts.length === 0) return { outcome: "handled", notification: state, channels: [] };
    const results = await deliverAll(attempts);
    report(results, context);
    const attempted = results.filter((result) => result.status !== "skipped");
    const failed = results.filter((result): result is Extract<ChannelResult, { status: "failed" }> => result.status === "failed");
    if (attempted.length > 0 && failed.length === attempted.length) {
      throw new NotificationDeliveryError(
        codePipelineEvent.id,
        pipeline,
        failed.map((f) => ({ channel: f.channel, cause: f.cause })),
      );
    }
    return { outcome: "handled", notification: state, channels: results };
  };

  function plannedCommitStatus(
    intent: CommitStatusIntent | undefined,
    identity: PipelineIdentity,
    execution: ExecutionFacts | undefined,
    commit: CommitFacts | undefined,
    failures: readonly FailedActionFacts[],
    targetUrl: string | undefined,
    context: Record<string, unknown>,
  ): { channel: ChannelName; send: () => Promise<ChannelOutcome> } | undefined {
    if (intent === undefined) return undefined;
    if (commitStatuses === undefined) {
      logOnce("github-off", "Commit statuses are off: GITHUB_TOKEN_SECRET_ARN is not set", context);
      return undefined;
    }
    if (identity.repository === undefined) {
      logger.warn(`No commit status (${intent.state}): the pipeline belongs to no configured repository, so there is none to set it in`, context);
      return undefined;
    }
    if (commit === undefined) {
      const log = intent.state === "pending" ? logger.info : logger.warn;
      log.call(logger, `No commit status (${intent.state}): the execution reports no commit yet`, context);
      return undefined;
    }
    if (!statusStillHolds(intent, execution?.status)) {
      logger.info(
        `No commit status (${intent.state}): the execution is ${execution?.status ?? "of unknown status"} by now, so this event is stale`,
        context,
      );
      return undefined;
    }
    const status = commitStatusFor(intent, {
      repository: identity.repository.repository,
      pipeline: context.pipeline as string,
      sha: commit.sha,
      executionUrl: targetUrl,
      failures,
      statusSummary: execution?.statusSummary,
      ...(identity.deploysPreview === undefined ? {} : { deploysPreview: identity.deploysPreview }),
    });
    return { channel: "github", send: () => commitStatuses.send(status) };
  }

  function report(results: readonly ChannelResult[], context: Record<string, unknown>): void {
    for (const result of results) {
      if (result.status === "failed") {
        logger.error(`Could not deliver through ${result.channel}: ${describeError(result.cause)}`, {
          ...context,
          channel: result.channel,
          status: statusOf(result.cause),
          error: result.cause as Error,
          ...notificationFailureMetric(result.channel, now()),
        });
      } else if (result.status === "skipped") {
        logOnce(`${result.channel}-skipped`, `Skipping ${result.channel}: ${result.reason}`, context);
      }
    }
    const delivered = results.filter((result) => result.status === "delivered");
    if (delivered.length > 0) {
      logger.info("Delivered", { ...context, delivered: delivered.map((r) => (r.detail ? `${r.channel} (${r.detail})` : r.channel)) });
    }
  }
}

/**
 * Builds the handler from the environment the stacks set, the repository
 * catalog bundled with the function, and real AWS clients. The GitHub
 * clients (Octokit) are made on the first commit status, not on every cold
 * start: approvals and ignored events need none.
 */
export function handlerFromEnvironment(env: NodeJS.ProcessEnv = process.env, logger: Logger = createLogger("notifier")) {
  const config: NotifierConfig = {
    pipelinePrefix: parsePipelinePrefix(requireEnv("PIPELINE_PREFIX", env)),
    catalog: loadRepositoryCatalog(env),
    notifyStates: parseNotifyStates(optionalEnv("NOTIFY_STATES", env)),
    githubApiUrl: parseApiUrl(optionalEnv("GITHUB_API_URL", env)),
  };
  const topicArn = parseTopicArn(requireEnv("TOPIC_ARN", env));
  const slackVariables: SlackVariable[] = ["SLACK_WEBHOOK_SECRET_ARN", ...SLACK_BOT_VARIABLES];
  const slackSettings = parseSlackSettings(Object.fromEntries(slackVariables.map((variable) => [variable, optionalEnv(variable, env)])));
  const githubSecretArn = optionalEnv("GITHUB_TOKEN_SECRET_ARN", env);
  // The SDK's standard retries (3 attempts) bound the AWS calls, SNS's publish included.
  const retry = { retryMode: "standard", maxAttempts: 3 } as const;
  let secrets: SecretsManagerClient | undefined;
  const secretsClient = () => (secrets ??= new SecretsManagerClient(retry));

  let slack: SlackSender | undefined;
  let slackBot: SlackBotSender | undefined;
  if (slackSettings.mode === "webhook") {
    const { webhookSecretArn } = slackSettings;
    const read = secretsManagerValue(webhookSecretArn, secretsClient());
    slack = new SlackWebhook(async () => parseSlackWebhookSecret(webhookSecretArn, await read()));
  } else if (slackSettings.mode === "bot") {
    const { botTokenSecretArn, apiUrl, channel, threadsTable } = slackSettings;
    const readToken = secretsManagerValue(botTokenSecretArn, secretsClient());
    // Slack's client is loaded on the first call, not here.
    const chat = slackChat({ token: async () => parseSlackBotToken(await readToken(), botTokenSecretArn), apiUrl });
    slackBot = new SlackBotChannel({
      // The stacks create the token secret empty: Slack is skipped until the app's token is stored.
      chat: async () => ((await readToken()) === undefined ? undefined : chat),
      store: new DynamoThreadStore(new DynamoDBClient(retry), threadsTable),
      channel,
      logger,
    });
  }
  const commitStatuses = githubSecretArn
    ? new GitHubCommitStatuses({
        client: gitHubClientFromSecret(githubSecretArn, secretsClient, {
          baseUrl: config.githubApiUrl,
          userAgent: "pipewright-notifier",
          log: logger,
        }),
      })
    : undefined;
  return makeHandler({
    config,
    facts: new CodePipelineFacts(new CodePipelineClient(retry)),
    topic: new SnsTopicPublisher(new SNSClient(retry), topicArn),
    slack,
    slackBot,
    commitStatuses,
    logger,
  });
}

let productionLogger: Logger | undefined;
let built: ReturnType<typeof makeHandler> | undefined;

/** The Lambda entry point, built on first use so that importing this module reads no environment; its log lines carry the invocation's context. */
export const handler = async (event: EventBridgeEvent<string, unknown>, context: Context): Promise<NotifierResult> => {
  productionLogger ??= createLogger("notifier");
  productionLogger.addContext(context);
  built ??= handlerFromEnvironment(process.env, productionLogger);
  return built(event);
};
