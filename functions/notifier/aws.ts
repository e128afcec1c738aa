import {
  type ActionExecutionDetail,
  type CodePipelineClient,
  GetPipelineExecutionCommand,
  ListActionExecutionsCommand,
  ListPipelineExecutionsCommand,
  ListTagsForResourceCommand,
} from "@aws-sdk/client-codepipeline";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { secretsManagerSecret } from "../shared/secret-value";
import type { ChannelOutcome, TopicPublisher } from "./channels";
import type { EmailMessage } from "./email";
import { SecretValueError } from "./errors";
import type { ActionExecutionFacts, ExecutionFacts, PipelineFacts } from "./facts";
import type { ExecutionSummaryFacts } from "./routing";

/** The AWS calls of the notifier. Clients are injected. */

/** Bounds on listing calls: a notification needs the recent past only. */
const ACTION_PAGES = 5;
const TAG_PAGES = 3;
/** ListPipelineExecutions page size; one page is enough to find the previous finished execution. */
const RECENT_EXECUTIONS = 50;

function stringRecord(value: Record<string, string | undefined> | undefined): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const entries = Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === "string");
  return Object.fromEntries(entries);
}

export function toActionFacts(detail: ActionExecutionDetail): ActionExecutionFacts {
  const result = detail.output?.executionResult;
  return {
    actionExecutionId: detail.actionExecutionId,
    stage: detail.stageName ?? "(unknown stage)",
    action: detail.actionName ?? "(unknown action)",
    status: detail.status,
    startTime: detail.startTime,
    lastUpdateTime: detail.lastUpdateTime,
    category: detail.input?.actionTypeId?.category,
    provider: detail.input?.actionTypeId?.provider,
    configuration: stringRecord(detail.input?.resolvedConfiguration ?? detail.input?.configuration),
    externalExecutionUrl: result?.externalExecutionUrl,
    externalExecutionSummary: result?.externalExecutionSummary,
    errorCode: result?.errorDetails?.code,
    errorMessage: result?.errorDetails?.message,
    outputVariables: stringRecord(detail.output?.outputVariables),
  };
}

/** Reads executions, action executions and tags of pipelines. */
export class CodePipelineFacts implements PipelineFacts {
  constructor(private readonly client: CodePipelineClient) {}

  async execution(pipeline: string, executionId: string): Promise<ExecutionFacts> {
    const { pipelineExecution } = await this.client.send(
      new GetPipelineExecutionCommand({ pipelineName: pipeline, pipelineExecutionId: executionId }),
    );
    return {
      status: pipelineExecution?.status,
      statusSummary: pipelineExecution?.statusSummary,
      revisions: (pipelineExecution?.artifactRevisions ?? []).map((revision) => ({
        name: revision.name,
        revisionId: revision.revisionId,
        revisionSummary: revision.revisionSummary,
        revisionUrl: revision.revisionUrl,
      })),
      trigger: pipelineExecution?.trigger
        ? { type: pipelineExecution.trigger.triggerType, detail: pipelineExecution.trigger.triggerDetail }
        : undefined,
    };
  }

  async actionExecutions(pipeline: string, executionId: string): Promise<ActionExecutionFacts[]> {
    const facts: ActionExecutionFacts[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < ACTION_PAGES; page++) {
      const output = await this.client.send(
        new ListActionExecutionsCommand({ pipelineName: pipeline, filter: { pipelineExecutionId: executionId }, maxResults: 100, nextToken }),
      );
      facts.push(...(output.actionExecutionDetails ?? []).map(toActionFacts));
      nextToken = output.nextToken;
      if (!nextToken) break;
    }
    return facts;
  }

  async tags(pipelineArn: string): Promise<Record<string, string>> {
    const tags: Record<string, string> = {};
    let nextToken: string | undefined;
    for (let page = 0; page < TAG_PAGES; page++) {
      const output = await this.client.send(new ListTagsForResourceCommand({ resourceArn: pipelineArn, nextToken }));
      for (const tag of output.tags ?? []) if (tag.key !== undefined && tag.value !== undefined) tags[tag.key] = tag.value;
      nextToken = output.nextToken;
      if (!nextToken) break;
    }
    return tags;
  }

  async recentExecutions(pipeline: string): Promise<ExecutionSummaryFacts[]> {
    const output = await this.client.send(new ListPipelineExecutionsCommand({ pipelineName: pipeline, maxResults: RECENT_EXECUTIONS }));
    return (output.pipelineExecutionSummaries ?? [])
      .filter((summary) => summary.pipelineExecutionId !== undefined)
      .map((summary) => ({ executionId: summary.pipelineExecutionId as string, status: summary.status ?? "Unknown", startTime: summary.startTime }));
  }
}

/** Publishes to the notifications topic (KMS-encrypted; e-mail subscriptions). */
export class SnsTopicPublisher implements TopicPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(message: EmailMessage): Promise<ChannelOutcome> {
    const output = await this.client.send(new PublishCommand({ TopicArn: this.topicArn, Subject: message.subject, Message: message.body }));
    return { status: "delivered", detail: output.MessageId ? `message ${output.MessageId}` : undefined };
  }
}

/**
 * Reads a secret's SecretString when needed, cached for a few minutes across
 * invocations so a changed value is picked up (the shared reader). Resolves
 * to undefined while the secret has no value yet (the stacks create the
 * secrets empty).
 */
export function secretsManagerValue(secretArn: string, client: SecretsManagerClient): () => Promise<string | undefined> {
  const read = secretsManagerSecret(secretArn, client);
  return async () => {
    const value = await read();
    if (value === undefined || typeof value === "string") return value;
    throw new SecretValueError(secretArn, "holds a binary secret", "store the value as the secret's SecretString (text)");
  };
}
