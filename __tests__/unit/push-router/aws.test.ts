import { CodePipelineClient, StartPipelineExecutionCommand } from "@aws-sdk/client-codepipeline";
import { mockClient } from "aws-sdk-client-mock";
import { CodePipelineStarter } from "../../../functions/push-router/aws";
import { AFTER } from "./fixtures";

describe("CodePipelineStarter", () => {
  const codepipeline = mockClient(CodePipelineClient);
  beforeEach(() => codepipeline.reset());

  it("sends StartPipelineExecution pinned to the commit, with the token, and returns the execution id", async () => {
    codepipeline.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: "exec-1" });
    const starter = new CodePipelineStarter(new CodePipelineClient({ region: "eu-west-1" }));
    const result = await starter.start({ pipeline: "pw-api", sourceActionName: "Source", commitId: AFTER, clientRequestToken: "tok-1" });
    expect(result).toEqual({ executionId: "exec-1" });
    expect(codepipeline.commandCalls(StartPipelineExecutionCommand)[0]?.args[0].input).toEqual({
      name: "pw-api",
      clientRequestToken: "tok-1",
      sourceRevisions: [{ actionName: "Source", revisionType: "COMMIT_ID", revisionValue: AFTER }],
    });
  });
});
