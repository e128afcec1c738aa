import {
  type CodePipelineClient,
  GetPipelineStateCommand,
  ListPipelineExecutionsCommand,
  PutApprovalResultCommand,
  StartPipelineExecutionCommand,
} from "@aws-sdk/client-codepipeline";
import type { ApprovalTarget } from "../shared/slack/approval";
import type { ApprovalAnswer, ApprovalResultOutcome, ExecutionView, PipelineApi, StageView, StartOutcome } from "./pipelines";

/**
 * The worker's CodePipeline calls. Outcomes a user caused (an approval
 * already answered, a pipeline that does not exist, too many executions)
 * come back as values; everything else throws, so the bus redelivers.
 */

function named(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}

export class CodePipelineSlackActions implements PipelineApi {
  constructor(private readonly client: CodePipelineClient) {}

  async stages(pipeline: string): Promise<StageView[] | undefined> {
    try {
      const state = await this.client.send(new GetPipelineStateCommand({ name: pipeline }));
      return (state.stageStates ?? []).map((stage) => ({
        name: stage.stageName ?? "",
        executionId: stage.latestExecution?.pipelineExecutionId,
        status: stage.latestExecution?.status,
        actions: (stage.actionStates ?? []).map((action) => ({
          name: action.actionName ?? "",
          status: action.latestExecution?.status,
          token: action.latestExecution?.token,
        })),
      }));
    } catch (error) {
      if (named(error, "PipelineNotFoundException")) return undefined;
      throw error;
    }
  }

  async latestExecution(pipeline: string): Promise<ExecutionView | undefined> {
    try {
      const { pipelineExecutionSummaries } = await this.client.send(new ListPipelineExecutionsCommand({ pipelineName: pipeline, maxResults: 1 }));
      const summary = pipelineExecutionSummaries?.[0];
      if (summary?.pipelineExecutionId === undefined) return undefined;
      const revision = summary.sourceRevisions?.find((candidate) => /^[0-9a-f]{40}$/.test(candidate.revisionId ?? ""));
      return {
        executionId: summary.pipelineExecutionId,
        status: summary.status ?? "Unknown",
        startTime: summary.startTime,
        commit: revision?.revisionId ? { sha: revision.revisionId, url: revision.revisionUrl } : undefined,
      };
    } catch (error) {
      if (named(error, "PipelineNotFoundException")) return undefined;
      throw error;
    }
  }

  async putApprovalResult(
    target: ApprovalTarget,
    token: string,
    result: { status: ApprovalAnswer; summary: string },
  ): Promise<ApprovalResultOutcome> {
    try {
      await this.client.send(
        new PutApprovalResultCommand({ pipelineName: target.pipeline, stageName: target.stage, actionName: target.action, token, result }),
      );
      return "done";
    } catch (error) {
      if (named(error, "ApprovalAlreadyCompletedException")) return "already_answered";
      if (named(error, "InvalidApprovalTokenException")) return "expired";
      throw error;
    }
  }

  async start(pipeline: string, request: { clientRequestToken: string; commit?: string; sourceActionName: string }): Promise<StartOutcome> {
    try {
      const { pipelineExecutionId } = await this.client.send(
        new StartPipelineExecutionCommand({
          name: pipeline,
          clientRequestToken: request.clientRequestToken,
          sourceRevisions: request.commit
            ? [{ actionName: request.sourceActionName, revisionType: "COMMIT_ID", revisionValue: request.commit }]
            : undefined,
        }),
      );
      if (pipelineExecutionId === undefined) throw new Error(`StartPipelineExecution of ${pipeline} answered without an execution id`);
      return { kind: "started", executionId: pipelineExecutionId };
    } catch (error) {
      if (named(error, "PipelineNotFoundException"))
        return { kind: "refused", reason: `pipeline ${pipeline} does not exist in this account and Region` };
      if (named(error, "ConcurrentPipelineExecutionsLimitExceededException")) {
        return { kind: "refused", reason: `${pipeline} runs as many executions as it may; try again once one has finished` };
      }
      if (named(error, "ValidationException", "ConflictException")) {
        return { kind: "refused", reason: `CodePipeline refused to start ${pipeline}: ${(error as Error).message}` };
      }
      throw error;
    }
  }
}
