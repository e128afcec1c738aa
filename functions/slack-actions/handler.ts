import { createHash } from "node:crypto";
import { CodePipelineClient } from "@aws-sdk/client-codepipeline";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context, EventBridgeEvent } from "aws-lambda";
import type { ConsoleLocation } from "../shared/links";
import { THROTTLED_CLIENT_RETRY } from "../shared/aws-retry";
import { bothSettled, mapWithConcurrency } from "../shared/concurrency";
import { optionalEnv, requireEnv } from "../shared/env";
import { createLogger } from "../shared/logger";
import { countMetrics } from "../shared/metrics";
import { loadRepositoryCatalog, type RepositoryCatalog } from "../shared/repositories";
import {
  type ApprovalOutcome,
  ApprovalTargetError,
  answeredApprovalMessage,
  approvalOutcomeLine,
  APPROVE_ACTION_ID,
  COMMENT_ACTION_ID,
  COMMENT_BLOCK_ID,
  decodeApprovalTarget,
  REJECT_ACTION_ID,
} from "../shared/slack/approval";
import { type SlackRequestDetail, slackRequestDetailSchema } from "../shared/slack/bus-event";
import { helpText, parseCommandText, type SlackCommand } from "../shared/slack/command";
import { type BlockActions, parseInteraction, parseSlashCommand, SlackRequestError } from "../shared/slack/requests";
import { type ResponseUrlPoster, responseUrlPoster, type SlackResponse } from "../shared/slack/response-url";
import { SlackSignatureError, type SlackSigningSecretSource, verifySlackRequest, WORKER_MAX_AGE_SECONDS } from "../shared/slack/signature";
import { SecretsManagerSlackSigningSecrets } from "../shared/slack/signing-secret";
import { type SlackChat, slackChat, secretsManagerSlackBotToken } from "../shared/slack/web-api";
import { CodePipelineSlackActions } from "./aws";
import { consoleLocation, deployStartedText, notAllowedText, type StatusRow, statusMessage } from "./messages";
import { type ApprovalAnswer, approvalSummary, decideApproval, type PipelineApi, stageOfExecution } from "./pipelines";
import { type CatalogService, catalogServices, findService } from "./services";

/**
 * Target of the Slack rule on the GitHub bus (functions/shared/slack/bus-event.ts):
 * the requests the Slack front handed on. It verifies Slack's signature
 * again (up to 30 minutes old: a response_url's lifetime), so a principal
 * that may put events on the bus still cannot forge a click, then:
 *
 * - an Approve or Reject click of a service's Slack approver answers the
 *   waiting approval (PutApprovalResult) and rewrites the message;
 * - `status [service]` answers with each main pipeline's latest execution;
 * - `deploy <service> [commit]` of an approver starts the service's main pipeline.
 *
 * Users' mistakes and refusals are answered through response_url; AWS
 * failures throw, so the bus redelivers (every step is idempotent).
 */

/** The refusals metric (namespace "pipewright", dimension Reason). */
export const SLACK_REFUSALS = "SlackRefusals";

export type RefusalReason = "signature" | "invalid_event" | "invalid_request" | "not_approver" | "invalid_target";

export type WorkerLogger = Pick<Logger, "info" | "warn" | "error">;

export interface SlackActionsDependencies {
  secrets: SlackSigningSecretSource;
  pipelines: PipelineApi;
  chat: SlackChat;
  respond: ResponseUrlPoster;
  catalog: RepositoryCatalog;
  /** The Region of the pipelines (the function's own), for console links. */
  region: string;
  sourceActionName?: string;
  logger?: WorkerLogger;
  now?: () => Date;
}

export type SlackActionResult =
  | { outcome: "refused"; reason: RefusalReason }
  | { outcome: "ignored" }
  | { outcome: "answered"; command: SlackCommand["kind"] }
  | { outcome: "approval"; result: ApprovalOutcome["result"] };

const STATUS_CONCURRENCY = 5;

/** StartPipelineExecution's idempotency token for a request: a redelivered event starts nothing twice. */
export function clientRequestTokenFor(requestId: string): string {
  return `slack-${createHash("sha256").update(requestId).digest("hex").slice(0, 40)}`;
}

interface Request {
  detail: SlackRequestDetail;
  context: Record<string, unknown>;
}

export function makeHandler(deps: SlackActionsDependencies) {
  const logger: WorkerLogger = deps.logger ?? createLogger("slack-actions");
  const now = deps.now ?? (() => new Date());
  const location: ConsoleLocation = consoleLocation(deps.region);
  const sourceActionName = deps.sourceActionName ?? "Source";

  function refuse(reason: RefusalReason, message: string, context: Record<string, unknown>): SlackActionResult {
    logger.warn(message, { ...context, outcome: "refused", reason, ...countMetrics(now().getTime(), { Reason: reason }, { [SLACK_REFUSALS]: 1 }) });
    return { outcome: "refused", reason };
  }

  async function answer(responseUrl: string, message: SlackResponse, context: Record<string, unknown>): Promise<void> {
    try {
      await deps.respond(responseUrl, message);
    } catch (error) {
      // The user sees no answer, but redelivering would redo the work: logged, not retried.
      logger.error("Could not answer through response_url", { ...context, error });
    }
  }

  async function status(argument: string | undefined, responseUrl: string, context: Record<string, unknown>): Promise<SlackActionResult> {
    let entries: CatalogService[];
    if (argument === undefined) {
      entries = catalogServices(deps.catalog);
    } else {
      const found = findService(deps.catalog, argument);
      if (found.kind === "not_found") {
        await answer(responseUrl, { text: `No status: ${found.reason}.` }, context);
        return { outcome: "answered", command: "status" };
      }
      entries = [found.entry];
    }
    const rows = await mapWithConcurrency(entries, STATUS_CONCURRENCY, async (entry): Promise<StatusRow> => {
      const [execution, stages] = await bothSettled(
        deps.pipelines.latestExecution(entry.service.pipeline),
        deps.pipelines.stages(entry.service.pipeline),
      );
      if (stages === undefined) return { entry, exists: false };
      return { entry, exists: true, execution, stage: execution ? stageOfExecution(stages, execution.executionId) : undefined };
    });
    await answer(responseUrl, statusMessage(rows, location), context);
    logger.info("Answered /pipewright status", { ...context, services: entries.length });
    return { outcome: "answered", command: "status" };
  }

  async function deploy(
    command: Extract<SlackCommand, { kind: "deploy" }>,
    user: string,
    responseUrl: string,
    request: Request,
  ): Promise<SlackActionResult> {
    const context = { ...request.context, service: command.service, commit: command.commit };
    const found = findService(deps.catalog, command.service);
    if (found.kind === "not_found") {
      await answer(responseUrl, { text: `Not deployed: ${found.reason}.` }, context);
      return { outcome: "answered", command: "deploy" };
    }
    const entry = found.entry;
    if (!entry.service.slackApprovers.includes(user)) {
      await answer(responseUrl, { text: notAllowedText("deploy", entry, user) }, context);
      return refuse("not_approver", `Refused /pipewright deploy of ${entry.service.pipeline}: ${user} is not one of its Slack approvers`, context);
    }
    const started = await deps.pipelines.start(entry.service.pipeline, {
      clientRequestToken: clientRequestTokenFor(request.detail.requestId),
      commit: command.commit,
      sourceActionName,
    });
    if (started.kind === "refused") {
      logger.warn(`Could not start ${entry.service.pipeline}`, { ...context, reason: started.reason });
      await answer(responseUrl, { text: `Not deployed: ${started.reason}.` }, context);
      return { outcome: "answered", command: "deploy" };
    }
    logger.info(`Started ${entry.service.pipeline} from Slack`, { ...context, pipeline: entry.service.pipeline, executionId: started.executionId });
    await answer(responseUrl, { text: deployStartedText(entry, started.executionId, command.commit, location) }, context);
    return { outcome: "answered", command: "deploy" };
  }

  async function handleCommand(request: Request): Promise<SlackActionResult> {
    const form = parseSlashCommand(request.detail.request.body);
    const command = parseCommandText(form.text);
    const context = { ...request.context, user: form.user_id, command: command.kind };
    switch (command.kind) {
      case "help":
        await answer(form.response_url, { text: helpText(form.command) }, context);
        return { outcome: "answered", command: "help" };
      case "invalid":
        await answer(form.response_url, { text: `That did not work: ${command.reason}.\n\n${helpText(form.command)}` }, context);
        return { outcome: "answered", command: "invalid" };
      case "status":
        return status(command.service, form.response_url, context);
      case "deploy":
        return deploy(command, form.user_id, form.response_url, { ...request, context });
    }
  }

  async function updateApprovalMessage(payload: BlockActions, outcome: ApprovalOutcome, context: Record<string, unknown>): Promise<void> {
    const channel = payload.channel?.id ?? payload.container?.channel_id;
    const ts = payload.message?.ts ?? payload.container?.message_ts;
    if (channel !== undefined && ts !== undefined && payload.message !== undefined) {
      try {
        await deps.chat.update({ channel, ts, ...answeredApprovalMessage(payload.message, outcome) });
        return;
      } catch (error) {
        logger.error("Could not update the approval message; the clicker is told instead", { ...context, channel, ts, error });
      }
    }
    if (payload.response_url !== undefined) {
      await answer(payload.response_url, { text: approvalOutcomeLine(outcome), replace_original: false }, context);
    }
  }

  async function handleClick(payload: BlockActions, request: Request): Promise<SlackActionResult> {
    const click = payload.actions.find((action) => action.action_id === APPROVE_ACTION_ID || action.action_id === REJECT_ACTION_ID);
    if (click === undefined) {
      logger.info("Ignored a click on no approval button", { ...request.context, actions: payload.actions.map((action) => action.action_id) });
      return { outcome: "ignored" };
    }
    const user = { id: payload.user.id, name: payload.user.name ?? payload.user.username };
    const context: Record<string, unknown> = { ...request.context, user: user.id, action: click.action_id };
    let target: ReturnType<typeof decodeApprovalTarget>;
    try {
      target = decodeApprovalTarget(click.value ?? "");
    } catch (error) {
      if (!(error instanceof ApprovalTargetError)) throw error;
      if (payload.response_url !== undefined) {
        await answer(
          payload.response_url,
          { text: "This button does not say which approval it answers; use the CodePipeline console.", replace_original: false },
          context,
        );
      }
      return refuse("invalid_target", `Refused a click: ${error.message}`, context);
    }
    Object.assign(context, { pipeline: target.pipeline, stage: target.stage, approvalAction: target.action, executionId: target.executionId });

    const owner = deps.catalog.ownerOfPipeline(target.pipeline);
    if (owner === undefined || !owner.service.slackApprovers.includes(user.id)) {
      if (payload.response_url !== undefined)
        await answer(payload.response_url, { text: notAllowedText("approve", owner, user.id), replace_original: false }, context);
      return refuse("not_approver", `Refused an approval click on ${target.pipeline}: ${user.id} is not one of its Slack approvers`, context);
    }

    const answerStatus: ApprovalAnswer = click.action_id === APPROVE_ACTION_ID ? "Approved" : "Rejected";
    const comment = payload.state?.values[COMMENT_BLOCK_ID]?.[COMMENT_ACTION_ID]?.value ?? undefined;
    const at = now();
    const decision = decideApproval(await deps.pipelines.stages(target.pipeline), target);
    let outcome: ApprovalOutcome;
    if (decision.kind === "answer") {
      const result = await deps.pipelines.putApprovalResult(target, decision.token, {
        status: answerStatus,
        summary: approvalSummary(answerStatus, user, comment),
      });
      outcome =
        result === "done"
          ? { result: answerStatus === "Approved" ? "approved" : "rejected", user, at, comment: comment?.trim() || undefined }
          : { result, user, at };
    } else {
      outcome = { result: decision.kind, user, at };
    }
    logger.info(`Approval click on ${target.pipeline}: ${outcome.result}`, { ...context, outcome: outcome.result });
    await updateApprovalMessage(payload, outcome, context);
    return { outcome: "approval", result: outcome.result };
  }

  async function handleInteraction(request: Request): Promise<SlackActionResult> {
    const interaction = parseInteraction(request.detail.request.body);
    if (interaction.payload === undefined) {
      logger.info("Ignored an interaction", { ...request.context, interaction: interaction.type });
      return { outcome: "ignored" };
    }
    return handleClick(interaction.payload, request);
  }

  return async (event: EventBridgeEvent<string, unknown>): Promise<SlackActionResult> => {
    const parsed = slackRequestDetailSchema.safeParse(event.detail);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "detail"}: ${issue.message}`).join("; ");
      // Redelivering would not make it valid: only the Slack front puts these events on the bus.
      return refuse("invalid_event", `Event ${event.id} is not a Slack request of the bus contract (${problems})`, { eventId: event.id });
    }
    const detail = parsed.data;
    const request: Request = { detail, context: { requestId: detail.requestId, kind: detail.kind, eventId: event.id } };
    try {
      await verifySlackRequest({ ...detail.request, now: now(), maxAgeSeconds: WORKER_MAX_AGE_SECONDS }, deps.secrets);
    } catch (error) {
      if (!(error instanceof SlackSignatureError)) throw error;
      return refuse("signature", `Refused a Slack request whose signature does not verify: ${error.message}`, request.context);
    }
    try {
      return detail.kind === "command" ? await handleCommand(request) : await handleInteraction(request);
    } catch (error) {
      if (!(error instanceof SlackRequestError)) throw error;
      return refuse("invalid_request", `Refused a signed Slack request: ${error.message}`, request.context);
    }
  };
}

/** Builds the handler from the environment the stacks set, the bundled catalog and real clients. */
export function handlerFromEnvironment(env: NodeJS.ProcessEnv = process.env, logger: Logger = createLogger("slack-actions")) {
  const secretsManager = new SecretsManagerClient(THROTTLED_CLIENT_RETRY);
  return makeHandler({
    secrets: new SecretsManagerSlackSigningSecrets({ client: secretsManager, secretId: requireEnv("SLACK_SIGNING_SECRET_ARN", env) }),
    pipelines: new CodePipelineSlackActions(new CodePipelineClient(THROTTLED_CLIENT_RETRY)),
    chat: slackChat({
      token: secretsManagerSlackBotToken(requireEnv("SLACK_BOT_TOKEN_SECRET_ARN", env), secretsManager),
      apiUrl: requireEnv("SLACK_API_URL", env),
    }),
    respond: responseUrlPoster(),
    catalog: loadRepositoryCatalog(env),
    region: requireEnv("AWS_REGION", env),
    sourceActionName: optionalEnv("SOURCE_ACTION_NAME", env),
    logger,
  });
}

let productionLogger: Logger | undefined;
let built: ReturnType<typeof makeHandler> | undefined;

/** The Lambda entry point, built on first use; its log lines carry the invocation's context. */
export const handler = async (event: EventBridgeEvent<string, unknown>, context: Context): Promise<SlackActionResult> => {
  productionLogger ??= createLogger("slack-actions");
  productionLogger.addContext(context);
  built ??= handlerFromEnvironment(process.env, productionLogger);
  return built(event);
};
