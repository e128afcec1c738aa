import {
  ApprovalAlreadyCompletedException,
  CodePipelineClient,
  ConcurrentPipelineExecutionsLimitExceededException,
  GetPipelineStateCommand,
  InvalidApprovalTokenException,
  ListPipelineExecutionsCommand,
  PipelineNotFoundException,
  PutApprovalResultCommand,
  StartPipelineExecutionCommand,
} from "@aws-sdk/client-codepipeline";
import { mockClient } from "aws-sdk-client-mock";
import { CodePipelineSlackActions } from "../../../functions/slack-actions/aws";

const TARGET = { pipeline: "pw-orders", stage: "Prod", action: "Approve", executionId: "e-1" };
const SHA = "0123456789abcdef0123456789abcdef01234567";
const meta = { $metadata: {} };

describe("CodePipelineSlackActions", () => {
  const codepipeline = mockClient(CodePipelineClient);
  afterEach(() => codepipeline.reset());
  const actions = () => new CodePipelineSlackActions(new CodePipelineClient({ region: "eu-west-1" }));

  it("reads stages with their latest executions and the approval's token", async () => {
    codepipeline.on(GetPipelineStateCommand).resolves({
      stageStates: [
        {
          stageName: "Prod",
          latestExecution: { pipelineExecutionId: "e-1", status: "InProgress" },
          actionStates: [{ actionName: "Approve", latestExecution: { status: "InProgress", token: "tok" } }],
        },
      ],
    });
    expect(await actions().stages("pw-orders")).toEqual([
      { name: "Prod", executionId: "e-1", status: "InProgress", actions: [{ name: "Approve", status: "InProgress", token: "tok" }] },
    ]);
  });

  it("reads the latest execution with its commit, asking for one result", async () => {
    codepipeline.on(ListPipelineExecutionsCommand).resolves({
      pipelineExecutionSummaries: [
        {
          pipelineExecutionId: "e-1",
          status: "Failed",
          sourceRevisions: [{ actionName: "Source", revisionId: SHA, revisionUrl: "https://github.com/acme/shop/commit/x" }],
        },
      ],
    });
    expect(await actions().latestExecution("pw-orders")).toMatchObject({
      executionId: "e-1",
      status: "Failed",
      commit: { sha: SHA, url: "https://github.com/acme/shop/commit/x" },
    });
    expect(codepipeline.commandCalls(ListPipelineExecutionsCommand)[0]?.args[0].input).toEqual({ pipelineName: "pw-orders", maxResults: 1 });
  });

  it("gives undefined for a pipeline that does not exist", async () => {
    codepipeline.on(GetPipelineStateCommand).rejects(new PipelineNotFoundException({ message: "no", ...meta }));
    codepipeline.on(ListPipelineExecutionsCommand).rejects(new PipelineNotFoundException({ message: "no", ...meta }));
    expect(await actions().stages("pw-gone")).toBeUndefined();
    expect(await actions().latestExecution("pw-gone")).toBeUndefined();
  });

  it("answers an approval, and maps CodePipeline's refusals to already answered and expired", async () => {
    const result = { status: "Approved" as const, summary: "Approved in Slack by ada (U0APPROVER1)" };
    codepipeline
      .on(PutApprovalResultCommand)
      .resolvesOnce({})
      .rejectsOnce(new ApprovalAlreadyCompletedException({ message: "done", ...meta }));
    expect(await actions().putApprovalResult(TARGET, "tok", result)).toBe("done");
    expect(codepipeline.commandCalls(PutApprovalResultCommand)[0]?.args[0].input).toEqual({
      pipelineName: "pw-orders",
      stageName: "Prod",
      actionName: "Approve",
      token: "tok",
      result,
    });
    expect(await actions().putApprovalResult(TARGET, "tok", result)).toBe("already_answered");
    codepipeline.on(PutApprovalResultCommand).rejects(new InvalidApprovalTokenException({ message: "old", ...meta }));
    expect(await actions().putApprovalResult(TARGET, "tok", result)).toBe("expired");
    codepipeline.on(PutApprovalResultCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));
    await expect(actions().putApprovalResult(TARGET, "tok", result)).rejects.toThrow("Rate exceeded");
  });

  it("starts at a commit with the source action's revision, or at the branch head without one", async () => {
    codepipeline.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: "e-9" });
    expect(await actions().start("pw-orders", { clientRequestToken: "slack-1", commit: SHA, sourceActionName: "Source" })).toEqual({
      kind: "started",
      executionId: "e-9",
    });
    await actions().start("pw-orders", { clientRequestToken: "slack-2", sourceActionName: "Source" });
    expect(codepipeline.commandCalls(StartPipelineExecutionCommand).map((call) => call.args[0].input)).toEqual([
      {
        name: "pw-orders",
        clientRequestToken: "slack-1",
        sourceRevisions: [{ actionName: "Source", revisionType: "COMMIT_ID", revisionValue: SHA }],
      },
      { name: "pw-orders", clientRequestToken: "slack-2", sourceRevisions: undefined },
    ]);
  });

  it("turns the user's start problems into refusals and throws on the rest", async () => {
    codepipeline.on(StartPipelineExecutionCommand).rejectsOnce(new ConcurrentPipelineExecutionsLimitExceededException({ message: "full", ...meta }));
    expect(await actions().start("pw-orders", { clientRequestToken: "t", sourceActionName: "Source" })).toMatchObject({ kind: "refused" });
    codepipeline.on(StartPipelineExecutionCommand).rejects(Object.assign(new Error("boom"), { name: "InternalServiceError" }));
    await expect(actions().start("pw-orders", { clientRequestToken: "t", sourceActionName: "Source" })).rejects.toThrow("boom");
  });
});
