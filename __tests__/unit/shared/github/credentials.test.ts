import { GitHubCredentialsSecretError, parseGitHubCredentials } from "../../../../functions/shared/github/credentials";

const ARN = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:pipewright/github-token-AbCdEf";
const KEY = "-----BEGIN RSA PRIVATE KEY-----\\nMIIEsecretkeybody\\n-----END RSA PRIVATE KEY-----";

describe("parseGitHubCredentials", () => {
  it("takes a fine-grained token as plain text or as JSON {token}", () => {
    expect(parseGitHubCredentials(ARN, " github_pat_11AAA \n")).toEqual({ kind: "token", token: "github_pat_11AAA" });
    expect(parseGitHubCredentials(ARN, '{"token": " github_pat_11AAA "}')).toEqual({ kind: "token", token: "github_pat_11AAA" });
  });

  it("takes a GitHub App, ids as numbers or digit strings, restoring the key's escaped line breaks", () => {
    expect(parseGitHubCredentials(ARN, JSON.stringify({ appId: 42, privateKey: KEY, installationId: "7" }))).toEqual({
      kind: "app",
      appId: "42",
      installationId: "7",
      privateKey: "-----BEGIN RSA PRIVATE KEY-----\nMIIEsecretkeybody\n-----END RSA PRIVATE KEY-----",
    });
    expect(parseGitHubCredentials(ARN, JSON.stringify({ appId: " 42 ", privateKey: KEY }))).toEqual({
      kind: "app",
      appId: "42",
      privateKey: expect.stringContaining("\nMIIEsecretkeybody\n"),
    });
  });

  it("treats an absent, blank or empty-object value as not configured", () => {
    for (const value of [undefined, "", "  \n", "{}", " {} "]) expect(parseGitHubCredentials(ARN, value)).toBeUndefined();
  });

  it.each([
    ["text with spaces", "github_pat_SECRETPART and more", /holds text with spaces, which is not a token/],
    ["broken JSON", '{"token": "SECRETPART"', /starts with "\{" but is not JSON/],
    ["an empty token", '{"token": "  ", "note": "SECRETPART"}', /has a "token" that is not a non-empty string/],
    ["a token that is not text", '{"token": ["SECRETPART"]}', /has a "token" that is not a non-empty string/],
    ["an App id that is not a number", '{"appId": "SECRETPART", "privateKey": "-----BEGIN RSA PRIVATE KEY-----"}', /has no numeric "appId"/],
    ["a negative App id", '{"appId": -4, "privateKey": "SECRETPART PRIVATE KEY"}', /has no numeric "appId"/],
    ["a key that is not PEM", '{"appId": 1, "privateKey": "SECRETPART"}', /has no PEM "privateKey"/],
    ["a key without an App id", '{"privateKey": "-----BEGIN RSA PRIVATE KEY-----SECRETPART"}', /has no numeric "appId"/],
    [
      "a bad installation id",
      '{"appId": 1, "privateKey": "-----BEGIN PRIVATE KEY-----SECRETPART", "installationId": "x"}',
      /"installationId" that is not a number/,
    ],
    ["unknown fields", '{"user": "SECRETPART"}', /holds JSON with neither "token" nor "appId" and "privateKey"/],
  ])("names the problem and the fix for %s, never the value", (_case, value, problem) => {
    let caught: unknown;
    try {
      parseGitHubCredentials(ARN, value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(GitHubCredentialsSecretError);
    const error = caught as GitHubCredentialsSecretError;
    expect(error.message).toMatch(problem);
    expect(error.message).toContain(`Secret ${ARN} `);
    expect(error.message).toMatch(/Fix: store a fine-grained token .* or a GitHub App as JSON .*Connecting GitHub/);
    expect(error.message).not.toContain("SECRETPART");
    expect(error.cause).toBeUndefined();
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain("SECRETPART");
  });
});
