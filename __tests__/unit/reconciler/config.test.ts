import { InvalidConfigurationError } from "../../../functions/shared/env";
import { InvalidGitHubApiUrlError } from "../../../functions/shared/github/api-url";
import { parseReconcilerConfig, type ReconcilerEnvironment } from "../../../functions/reconciler/config";
import { repositories } from "../pr-pipelines/support/fixtures";

const environment = (overrides: Partial<ReconcilerEnvironment> = {}): ReconcilerEnvironment => ({
  EVENT_BUS_NAME: "shop-github",
  PR_STATE_TABLE: "shop-pr-state",
  MAX_PR_PIPELINES: "300",
  PR_ARTIFACT_BUCKET: "shop-artifacts-111111111111-eu-west-1",
  PREVIEW_CLEANUP_ROLE_ARN: "arn:aws:iam::222222222222:role/shop-preview-cleanup",
  ...overrides,
});

function problem(overrides: Partial<ReconcilerEnvironment>): InvalidConfigurationError {
  try {
    parseReconcilerConfig(environment(overrides), repositories);
  } catch (error) {
    if (error instanceof InvalidConfigurationError) return error;
    throw error;
  }
  throw new Error("expected an InvalidConfigurationError");
}

describe("parseReconcilerConfig", () => {
  it("reads the construct's variables with the documented defaults", () => {
    expect(parseReconcilerConfig(environment(), repositories)).toEqual({
      repositories,
      stateTable: "shop-pr-state",
      maxPullRequestPipelines: 300,
      eventBusName: "shop-github",
      artifactBucket: "shop-artifacts-111111111111-eu-west-1",
      previewCleanupRoleArn: "arn:aws:iam::222222222222:role/shop-preview-cleanup",
      githubApiUrl: "https://api.github.com",
      idleDays: 14,
      createMissing: false,
      dryRun: false,
    });
  });

  it("reads the optional variables", () => {
    const config = parseReconcilerConfig(
      environment({
        GITHUB_TOKEN_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:111111111111:secret:shop/github-token-AbCdEf",
        GITHUB_API_URL: "https://ghe.example.com/api/v3/",
        IDLE_DAYS: "0",
        CREATE_MISSING: "TRUE",
        DRY_RUN: "true",
      }),
      repositories,
    );
    expect(config).toMatchObject({
      githubTokenSecretArn: "arn:aws:secretsmanager:eu-west-1:111111111111:secret:shop/github-token-AbCdEf",
      githubApiUrl: "https://ghe.example.com/api/v3",
      idleDays: 0,
      createMissing: true,
      dryRun: true,
    });
    expect(parseReconcilerConfig(environment({ GITHUB_API_URL: "http://127.0.0.1:8080" }), repositories).githubApiUrl).toBe("http://127.0.0.1:8080");
  });

  it.each([
    [{ MAX_PR_PIPELINES: "none" }, "MAX_PR_PIPELINES", /whole number of pipelines/],
    [{ PR_STATE_TABLE: "" }, "PR_STATE_TABLE", /empty/],
    [{ PREVIEW_CLEANUP_ROLE_ARN: "shop-preview-cleanup" }, "PREVIEW_CLEANUP_ROLE_ARN", /IAM role ARN/],
    [{ EVENT_BUS_NAME: " " }, "EVENT_BUS_NAME", /empty/],
    [{ IDLE_DAYS: "two weeks" }, "IDLE_DAYS", /whole number/],
    [{ IDLE_DAYS: "-1" }, "IDLE_DAYS", /whole number/],
    [{ IDLE_DAYS: "400" }, "IDLE_DAYS", /365/],
    [{ CREATE_MISSING: "yes" }, "CREATE_MISSING", /neither "true" nor "false"/],
    [{ DRY_RUN: "1" }, "DRY_RUN", /neither/],
  ])("rejects %j naming %s", (overrides, variable, message) => {
    const error = problem(overrides);
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(message);
  });

  it.each([
    ["http://api.github.com", /GITHUB_API_URL is invalid: .* is not https/],
    ["not a url", /GITHUB_API_URL is invalid: .* is not a URL/],
  ])("rejects GITHUB_API_URL %s with the shared parser's error", (value, message) => {
    expect(() => parseReconcilerConfig(environment({ GITHUB_API_URL: value }), repositories)).toThrow(InvalidGitHubApiUrlError);
    expect(() => parseReconcilerConfig(environment({ GITHUB_API_URL: value }), repositories)).toThrow(message);
  });
});
