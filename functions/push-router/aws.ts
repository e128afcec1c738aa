import { type CodePipelineClient, StartPipelineExecutionCommand } from "@aws-sdk/client-codepipeline";
import type { PipelineStarter, StartRequest } from "./start";

/** Starts CodePipeline V2 executions pinned to a commit. The client is injected. */
export class CodePipelineStarter implements PipelineStarter {
  constructor(private readonly client: CodePipelineClient) {}

  async start(request: StartRequest): Promise<{ executionId?: string }> {
    const output = await this.client.send(
      new StartPipelineExecutionCommand({
        name: request.pipeline,
        clientRequestToken: request.clientRequestToken,
        sourceRevisions: [{ actionName: request.sourceActionName, revisionType: "COMMIT_ID", revisionValue: request.commitId }],
      }),
    );
    return { executionId: output.pipelineExecutionId };
  }
}
