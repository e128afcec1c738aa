import { parseConfig, type PrPipelinesEnvironment } from "../../../functions/pr-pipelines/config";
import { InvalidConfigurationError } from "../../../functions/pr-pipelines/errors";
import { MissingEnvironmentError } from "../../../functions/shared/env";
import { InvalidGitHubApiUrlError } from "../../../functions/shared/github/api-url";
import { lambdaContext } from "../../support/lambda";
import { identities, repositories } from "./support/fixtures";

const environment: PrPipelinesEnvironment = {
  PR_STATE_TABLE: "pipewright-pr-state",
  PR_IDENTITIES: JSON.stringify(identities),
  PROD_ACCOUNT_ID: "333333333333",
  MAX_PR_PIPELINES: "300",
};

describe("parseConfig", () => {
  it("reads a valid environment", () => {
    expect(parseConfig(environment, repositories)).toEqual({
      repositories,
      stateTable: "pipewright-pr-state",
      artifactBucket: identities.artifactStore.pr.bucket,
      identities,
      prodAccountId: "333333333333",
      maxPullRequestPipelines: 300,
      github: { apiUrl: "https://api.github.com" },
    });
  });

  it("reads the optional GitHub token secret and API URL", () => {
    const secretArn = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:pipewright/github-token-AbCdEf";
    expect(
      parseConfig({ ...environment, GITHUB_TOKEN_SECRET_ARN: secretArn, GITHUB_API_URL: "https://ghe.example.com/api/v3/" }, repositories).github,
    ).toEqual({
      tokenSecretArn: secretArn,
      apiUrl: "https://ghe.example.com/api/v3",
    });
    expect(parseConfig({ ...environment, GITHUB_TOKEN_SECRET_ARN: " ", GITHUB_API_URL: "" }, repositories).github).toEqual({
      apiUrl: "https://api.github.com",
    });
  });

  it("refuses a GitHub API URL that would carry the token in clear text, and a token secret that is not an ARN", () => {
    expect(() => parseConfig({ ...environment, GITHUB_API_URL: "http://ghe.example.com" }, repositories)).toThrow(InvalidGitHubApiUrlError);
    expect(() => parseConfig({ ...environment, GITHUB_TOKEN_SECRET_ARN: "pipewright/github-token" }, repositories)).toThrow(
      /GITHUB_TOKEN_SECRET_ARN is invalid: expected the ARN of a Secrets Manager secret/,
    );
  });

  it.each([
    ["PROD_ACCOUNT_ID", "3333", /PROD_ACCOUNT_ID is invalid: an AWS account id is 12 digits/],
    ["MAX_PR_PIPELINES", "0", /MAX_PR_PIPELINES is invalid: expected a whole number of pipelines, at least 1/],
    ["MAX_PR_PIPELINES", "many", /MAX_PR_PIPELINES is invalid/],
    ["PR_IDENTITIES", "pipewright-pr-pipeline", /PR_IDENTITIES is invalid: not JSON; expected the identity map the build stack writes/],
    [
      "PR_IDENTITIES",
      JSON.stringify({ ...identities, pipelineRole: { main: identities.pipelineRole.main } }),
      /PR_IDENTITIES is invalid: pipelineRole\.pr: /,
    ],
    [
      "PR_IDENTITIES",
      JSON.stringify({ ...identities, deployRoles: { "arn:aws:iam::222222222222:role/pipewright-deploy": "admin" } }),
      /PR_IDENTITIES is invalid: deployRoles\.arn:aws:iam::222222222222:role\/pipewright-deploy: an IAM role ARN/,
    ],
  ])("names the variable and the problem when %s is %s", (variable, value, message) => {
    const parse = () => parseConfig({ ...environment, [variable]: value }, repositories);
    expect(parse).toThrow(InvalidConfigurationError);
    expect(parse).toThrow(message);
  });
});

describe("handler", () => {
  it("reads the environment on the first event, not at import", async () => {
    const saved = process.env.PR_STATE_TABLE;
    delete process.env.PR_STATE_TABLE;
    try {
      const { handler } = await import("../../../functions/pr-pipelines/handler");
      await expect(handler({} as never, lambdaContext())).rejects.toBeInstanceOf(MissingEnvironmentError);
    } finally {
      if (saved !== undefined) process.env.PR_STATE_TABLE = saved;
    }
  });
});
