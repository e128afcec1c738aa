import { CodePipelineClient, StartPipelineExecutionCommand } from "@aws-sdk/client-codepipeline";
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import {
  CodePipelineStarter,
  GitHubTokenSecretError,
  parseGitHubTokenSecret,
  secretsManagerGitHubToken,
} from "../../../functions/push-router/aws";
import { AFTER } from "./fixtures";

const ARN = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:pw-github-token-AbCdEf";

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

describe("the GitHub token secret", () => {
  it.each([
    ["the token itself", "ghp_abc123", "ghp_abc123"],
    ["the token with a trailing newline", "ghp_abc123\n", "ghp_abc123"],
    ["JSON with a token", '{"token": "ghs_xyz", "note": "app installation"}', "ghs_xyz"],
  ])("accepts %s", (_name, value, token) => {
    expect(parseGitHubTokenSecret(ARN, value)).toBe(token);
  });

  it.each([
    ["an empty string", "  ", /is empty/],
    ["a binary secret", undefined, /no SecretString/],
    ["JSON without a token", '{"password": "x"}', /no non-empty "token"/],
    ["broken JSON", '{"token": ', /not JSON/],
  ])("rejects %s, naming the secret", (_name, value, problem) => {
    expect(() => parseGitHubTokenSecret(ARN, value)).toThrow(GitHubTokenSecretError);
    expect(() => parseGitHubTokenSecret(ARN, value)).toThrow(problem);
    expect(() => parseGitHubTokenSecret(ARN, value)).toThrow(ARN);
  });

  it("is read from Secrets Manager once and cached", async () => {
    const secrets = mockClient(SecretsManagerClient);
    secrets.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: '{"token":"ghs_cached"}' });
    const token = secretsManagerGitHubToken(ARN, new SecretsManagerClient({ region: "eu-west-1" }));
    expect(await token()).toBe("ghs_cached");
    expect(await token()).toBe("ghs_cached");
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    secrets.restore();
  });

  it("is absent while the secret holds no value (the stacks create it empty)", async () => {
    const secrets = mockClient(SecretsManagerClient);
    secrets.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT", $metadata: {} }),
    );
    const token = secretsManagerGitHubToken(ARN, new SecretsManagerClient({ region: "eu-west-1" }));
    await expect(token()).resolves.toBeUndefined();
    secrets.restore();
  });

  it("passes on other failures, such as a missing permission", async () => {
    const secrets = mockClient(SecretsManagerClient);
    secrets.on(GetSecretValueCommand).rejects(Object.assign(new Error("not authorized to perform secretsmanager:GetSecretValue"), { name: "AccessDeniedException" }));
    const token = secretsManagerGitHubToken(ARN, new SecretsManagerClient({ region: "eu-west-1" }));
    await expect(token()).rejects.toThrow(/not authorized/);
    secrets.restore();
  });
});
