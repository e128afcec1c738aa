import {
  type ActionExecutionFacts,
  approvalOf,
  commitMessageFromSummary,
  commitOf,
  failedActions,
  hadRetriedFailure,
} from "../../../functions/notifier/facts";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const at = (minute: number) => new Date(Date.UTC(2024, 2, 26, 14, minute));

describe("commitMessageFromSummary", () => {
  test("reads CommitMessage from CodeStarSourceConnection's JSON summary", () => {
    expect(commitMessageFromSummary('{"ProviderType":"GitHub","CommitMessage":"Fix rounding\\n\\nDetails"}')).toBe("Fix rounding\n\nDetails");
  });

  test("takes a plain summary (CodeCommit, S3) as the message", () => {
    expect(commitMessageFromSummary("  Fix rounding ")).toBe("Fix rounding");
  });

  test("is defensive: JSON without a message yields nothing, broken JSON is kept as text, empty is nothing", () => {
    expect(commitMessageFromSummary('{"ProviderType":"GitHub"}')).toBeUndefined();
    expect(commitMessageFromSummary('{"ProviderType":"GitHub","CommitMessage":42}')).toBeUndefined();
    expect(commitMessageFromSummary("{not json")).toBe("{not json");
    expect(commitMessageFromSummary(undefined)).toBeUndefined();
    expect(commitMessageFromSummary("   ")).toBeUndefined();
  });
});

describe("commitOf", () => {
  test("is the execution's git revision with its message; the author stays unknown", () => {
    const commit = commitOf(
      [{ name: "SourceOutput", revisionId: SHA, revisionSummary: '{"ProviderType":"GitHub","CommitMessage":"Fix rounding"}' }],
      [],
    );
    expect(commit).toEqual({ sha: SHA, shortSha: "0123456", message: "Fix rounding", branch: undefined, from: "execution" });
    expect(commit).not.toHaveProperty("author");
  });

  test("prefers the source action's output variables for message and branch", () => {
    const source: ActionExecutionFacts = {
      stage: "Source",
      action: "Source",
      category: "Source",
      status: "Succeeded",
      outputVariables: { CommitId: SHA, CommitMessage: "From variables", BranchName: "feature/login" },
    };
    expect(commitOf([{ revisionId: SHA, revisionSummary: "From summary" }], [source])).toMatchObject({
      message: "From variables",
      branch: "feature/login",
    });
  });

  test("prefers a git commit id over other revisions, and is undefined without any", () => {
    expect(
      commitOf(
        [
          { name: "Image", revisionId: "sha256:abc" },
          { name: "Src", revisionId: SHA },
        ],
        [],
      )?.sha,
    ).toBe(SHA);
    expect(commitOf([{ name: "Image", revisionId: "sha256:abcdef0123456789" }], [])?.shortSha).toBe("sha256:abcde");
    expect(commitOf([], [])).toBeUndefined();
    expect(commitOf([{ name: "Src" }], [])).toBeUndefined();
  });
});

describe("failedActions", () => {
  const build = (status: string, minute: number, extra: Partial<ActionExecutionFacts> = {}): ActionExecutionFacts => ({
    stage: "Build",
    action: "BuildAndPackage",
    provider: "CodeBuild",
    status,
    startTime: at(minute),
    ...extra,
  });

  test("names stage, action and what the action reported", () => {
    const failures = failedActions([
      { stage: "Source", action: "Source", status: "Succeeded", startTime: at(0) },
      build("Failed", 1, {
        externalExecutionSummary: "Build terminated with state: FAILED",
        errorCode: "JobFailed",
        errorMessage: "Error while executing command: npm test. Reason: exit status 1",
        externalExecutionUrl: "https://console.aws.amazon.com/codebuild/home?region=us-east-1#/builds/x:1/view/new",
      }),
    ]);
    expect(failures).toEqual([
      {
        stage: "Build",
        action: "BuildAndPackage",
        provider: "CodeBuild",
        summary: "Build terminated with state: FAILED | Error while executing command: npm test. Reason: exit status 1",
        errorCode: "JobFailed",
        url: "https://console.aws.amazon.com/codebuild/home?region=us-east-1#/builds/x:1/view/new",
      },
    ]);
  });

  test("does not repeat a message reported twice", () => {
    expect(failedActions([build("Failed", 1, { externalExecutionSummary: "Boom", errorMessage: "Boom" })])[0]?.summary).toBe("Boom");
  });

  test("only the latest attempt of an action counts: a retried failure that then succeeded is not failed", () => {
    const actions = [build("Failed", 1), build("Succeeded", 5)];
    expect(failedActions(actions)).toEqual([]);
    expect(hadRetriedFailure(actions)).toBe(true);
    expect(hadRetriedFailure([build("Succeeded", 1)])).toBe(false);
    expect(hadRetriedFailure([build("Failed", 1)])).toBe(false);
  });
});

describe("approvalOf", () => {
  test("carries the reviewer's instructions and review link from the approval's configuration", () => {
    const approval: ActionExecutionFacts = {
      stage: "Prod",
      action: "Approve",
      category: "Approval",
      status: "InProgress",
      configuration: { CustomData: "Review the change set", ExternalEntityLink: "https://us-east-1.console.aws.amazon.com/cloudformation/home" },
    };
    expect(approvalOf("Prod", "Approve", [approval])).toEqual({
      stage: "Prod",
      action: "Approve",
      customData: "Review the change set",
      reviewUrl: "https://us-east-1.console.aws.amazon.com/cloudformation/home",
    });
    expect(approvalOf("Prod", "Approve", [])).toEqual({ stage: "Prod", action: "Approve", customData: undefined, reviewUrl: undefined });
  });
});
