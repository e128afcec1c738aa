import { parseConfig, type PrPipelinesEnvironment } from "../../../functions/pr-pipelines/config";
import { InvalidConfigurationError } from "../../../functions/pr-pipelines/errors";
import { MissingEnvironmentError } from "../../../functions/shared/env";
import { InvalidGitHubApiUrlError } from "../../../functions/shared/github/api-url";
import { lambdaContext } from "../../support/lambda";
import { identities } from "./support/fixtures";

const environment: PrPipelinesEnvironment = {
  SERVICE_PIPELINES: '["pipewright-orders","pipewright-payments"]',
  PR_STATE_TABLE: "pipewright-pr-state",
  PR_IDENTITIES: JSON.stringify(identities),
  PROD_ACCOUNT_ID: "333333333333",
  FORK_LABEL: "safe-to-test",
  GITHUB_REPOSITORY: "example-org/shop",
};

describe("parseConfig", () => {
  it("reads a valid environment", () => {
    expect(parseConfig(environment)).toEqual({
      servicePipelines: ["pipewright-orders", "pipewright-payments"],
      stateTable: "pipewright-pr-state",
      artifactBucket: identities.artifactStore.pr.bucket,
      identities,
      prodAccountId: "333333333333",
      forkLabel: "safe-to-test",
      repository: "example-org/shop",
      github: { apiUrl: "https://api.github.com" },
    });
  });

  it("reads the optional GitHub token secret and API URL", () => {
    const secretArn = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:pipewright/github-token-AbCdEf";
    expect(parseConfig({ ...environment, GITHUB_TOKEN_SECRET_ARN: secretArn, GITHUB_API_URL: "https://ghe.example.com/api/v3/" }).github).toEqual({
      tokenSecretArn: secretArn,
      apiUrl: "https://ghe.example.com/api/v3",
    });
    expect(parseConfig({ ...environment, GITHUB_TOKEN_SECRET_ARN: " ", GITHUB_API_URL: "" }).github).toEqual({ apiUrl: "https://api.github.com" });
  });

  it("refuses a GitHub API URL that would carry the token in clear text, and a token secret that is not an ARN", () => {
    expect(() => parseConfig({ ...environment, GITHUB_API_URL: "http://ghe.example.com" })).toThrow(InvalidGitHubApiUrlError);
    expect(() => parseConfig({ ...environment, GITHUB_TOKEN_SECRET_ARN: "pipewright/github-token" })).toThrow(
      /GITHUB_TOKEN_SECRET_ARN is invalid: expected the ARN of a Secrets Manager secret/,
    );
  });

  it.each([
    ["SERVICE_PIPELINES", "pipewright-orders", /SERVICE_PIPELINES is invalid: not JSON/],
    ["SERVICE_PIPELINES", "[]", /at least one pipeline/],
    ["SERVICE_PIPELINES", '["a","a"]', /unique/],
    ["SERVICE_PIPELINES", '["has space"]', /\[0\] a pipeline name/],
    ["PROD_ACCOUNT_ID", "3333", /PROD_ACCOUNT_ID is invalid: an AWS account id is 12 digits/],
    ["GITHUB_REPOSITORY", "shop", /GITHUB_REPOSITORY is invalid: expected owner\/name/],
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
    const parse = () => parseConfig({ ...environment, [variable]: value });
    expect(parse).toThrow(InvalidConfigurationError);
    expect(parse).toThrow(message);
  });
});

describe("handler", () => {
  it("reads the environment on the first event, not at import", async () => {
    const saved = process.env.SERVICE_PIPELINES;
    delete process.env.SERVICE_PIPELINES;
    try {
      const { handler } = await import("../../../functions/pr-pipelines/handler");
      await expect(handler({} as never, lambdaContext())).rejects.toBeInstanceOf(MissingEnvironmentError);
    } finally {
      if (saved !== undefined) process.env.SERVICE_PIPELINES = saved;
    }
  });
});
