import { SecretValueError } from "../../../functions/notifier/errors";
import { parseGitHubCredentialsSecret, parseSlackWebhookSecret } from "../../../functions/notifier/secrets";

const ARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:pipewright/x-AbCdEf";
const HOOK = "https://hooks.slack.com/services/T000/B000/XXXXXXXX";

describe("parseSlackWebhookSecret", () => {
  test("takes the URL itself or JSON {url}", () => {
    expect(parseSlackWebhookSecret(ARN, HOOK)).toBe(HOOK);
    expect(parseSlackWebhookSecret(ARN, ` {"url": "${HOOK}"} `)).toBe(HOOK);
  });

  test("an absent or empty value means no Slack", () => {
    for (const value of [undefined, "", "  \n", '{"url": ""}']) expect(parseSlackWebhookSecret(ARN, value)).toBeUndefined();
  });

  test("a value that is there but unusable is an error saying how to fix it", () => {
    expect(() => parseSlackWebhookSecret(ARN, "hooks.slack.com/services/x")).toThrow(SecretValueError);
    expect(() => parseSlackWebhookSecret(ARN, "http://hooks.slack.com/services/x")).toThrow(/Slack webhooks are https/);
    expect(() => parseSlackWebhookSecret(ARN, "{url:")).toThrow(/not JSON[\s\S]*Fix: store the incoming-webhook URL/);
    expect(() => parseSlackWebhookSecret(ARN, '{"url": 3}')).toThrow(/"url" that is not a string/);
  });

  test("the error never contains the value", () => {
    expect(() => parseSlackWebhookSecret(ARN, "not-a-url-SECRETPART")).toThrow(expect.objectContaining({ message: expect.not.stringContaining("SECRETPART") }));
  });
});

describe("parseGitHubCredentialsSecret", () => {
  test("a token, itself or as JSON {token}", () => {
    expect(parseGitHubCredentialsSecret(ARN, "ghp_abc")).toEqual({ kind: "token", token: "ghp_abc" });
    expect(parseGitHubCredentialsSecret(ARN, '{"token":" ghp_abc "}')).toEqual({ kind: "token", token: "ghp_abc" });
  });

  test("a GitHub App, with or without its installation id, key line breaks restored", () => {
    const key = "-----BEGIN RSA PRIVATE KEY-----\\nMIIE\\n-----END RSA PRIVATE KEY-----";
    expect(parseGitHubCredentialsSecret(ARN, JSON.stringify({ appId: 42, privateKey: key, installationId: "7" }))).toEqual({
      kind: "app",
      appId: "42",
      installationId: "7",
      privateKey: "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
    });
    expect(parseGitHubCredentialsSecret(ARN, JSON.stringify({ appId: "42", privateKey: key }))).toMatchObject({ kind: "app", appId: "42" });
  });

  test("an absent or empty value means no commit statuses", () => {
    for (const value of [undefined, "", " ", "{}"]) expect(parseGitHubCredentialsSecret(ARN, value)).toBeUndefined();
  });

  test("a value that is there but unusable is an error saying how to fix it", () => {
    expect(() => parseGitHubCredentialsSecret(ARN, "two words")).toThrow(/not a token[\s\S]*Commit statuses: write/);
    expect(() => parseGitHubCredentialsSecret(ARN, '{"token": ""}')).toThrow(/"token" that is not a non-empty string/);
    expect(() => parseGitHubCredentialsSecret(ARN, '{"appId": "x", "privateKey": "k"}')).toThrow(/numeric "appId"/);
    expect(() => parseGitHubCredentialsSecret(ARN, '{"appId": 1, "privateKey": "k"}')).toThrow(/PEM "privateKey"/);
    expect(() => parseGitHubCredentialsSecret(ARN, '{"user": "me"}')).toThrow(/neither "token" nor "appId"/);
  });
});
