import { parseNotifyStates, parsePipelinePrefix, parseSlackSettings, parseTopicArn } from "../../../functions/notifier/config";
import { ConflictingSlackModesError } from "../../../functions/notifier/errors";
import { InvalidConfigurationError } from "../../../functions/shared/env";

describe("parseNotifyStates", () => {
  test("defaults to FAILED, APPROVAL_WAITING and RECOVERED", () => {
    expect([...parseNotifyStates(undefined)]).toEqual(["FAILED", "APPROVAL_WAITING", "RECOVERED"]);
    expect([...parseNotifyStates("  ")]).toEqual(["FAILED", "APPROVAL_WAITING", "RECOVERED"]);
  });

  test("takes a comma list, ignoring case and spaces", () => {
    expect([...parseNotifyStates("failed, Succeeded ,STARTED,")]).toEqual(["FAILED", "SUCCEEDED", "STARTED"]);
  });

  test("NONE turns notifications off (commit statuses stay)", () => {
    expect(parseNotifyStates("none").size).toBe(0);
  });

  test("an unknown state is an error naming it and the allowed values", () => {
    expect(() => parseNotifyStates("FAILED,FAILURE")).toThrow(InvalidConfigurationError);
    expect(() => parseNotifyStates("FAILED,FAILURE")).toThrow(
      /NOTIFY_STATES[\s\S]*unknown state\(s\) FAILURE[\s\S]*FAILED, APPROVAL_WAITING, RECOVERED, SUCCEEDED, STARTED, STOPPED, SUPERSEDED/,
    );
    expect(() => parseNotifyStates(",")).toThrow(/names no state/);
  });
});

describe("the other variables", () => {
  test("PIPELINE_PREFIX is the start of a pipeline name", () => {
    expect(parsePipelinePrefix("pipewright-")).toBe("pipewright-");
    expect(() => parsePipelinePrefix("pipe wright")).toThrow(/PIPELINE_PREFIX/);
  });

  test("TOPIC_ARN is an SNS topic ARN in any partition", () => {
    expect(parseTopicArn("arn:aws-cn:sns:cn-north-1:123456789012:pipewright-notifications")).toContain("aws-cn");
    expect(() => parseTopicArn("arn:aws:sqs:us-east-1:123456789012:q")).toThrow(/TOPIC_ARN/);
  });
});

describe("parseSlackSettings", () => {
  const WEBHOOK_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:pipewright/slack-webhook-url-AbCdEf";
  const BOT = {
    SLACK_BOT_TOKEN_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:pipewright/slack-bot-token-AbCdEf",
    SLACK_CHANNEL: "C0123456789",
    SLACK_API_URL: "https://slack.com/api/",
    SLACK_THREADS_TABLE: "pipewright-slack-threads",
  };

  test("none of the variables: off; the webhook secret alone: webhook mode, as before", () => {
    expect(parseSlackSettings({})).toEqual({ mode: "off" });
    expect(parseSlackSettings({ SLACK_WEBHOOK_SECRET_ARN: WEBHOOK_ARN })).toEqual({ mode: "webhook", webhookSecretArn: WEBHOOK_ARN });
  });

  test("the four bot variables: bot mode, the API URL ending in a slash", () => {
    expect(parseSlackSettings(BOT)).toEqual({
      mode: "bot",
      botTokenSecretArn: BOT.SLACK_BOT_TOKEN_SECRET_ARN,
      channel: "C0123456789",
      apiUrl: "https://slack.com/api/",
      threadsTable: "pipewright-slack-threads",
    });
    expect(parseSlackSettings({ ...BOT, SLACK_API_URL: "http://127.0.0.1:4566/api" })).toMatchObject({ apiUrl: "http://127.0.0.1:4566/api/" });
  });

  test("both modes at once is an error naming the fix", () => {
    const both = () => parseSlackSettings({ ...BOT, SLACK_WEBHOOK_SECRET_ARN: WEBHOOK_ARN });
    expect(both).toThrow(ConflictingSlackModesError);
    expect(both).toThrow(
      /SLACK_WEBHOOK_SECRET_ARN and SLACK_BOT_TOKEN_SECRET_ARN, .* are both set[\s\S]*Fix: choose one in the configuration's notifications.slack/,
    );
  });

  test("a part of bot mode is an error naming what is missing", () => {
    const { SLACK_THREADS_TABLE: _table, SLACK_API_URL: _url, ...partial } = BOT;
    expect(() => parseSlackSettings(partial)).toThrow(InvalidConfigurationError);
    expect(() => parseSlackSettings(partial)).toThrow(
      /SLACK_API_URL, SLACK_THREADS_TABLE are not set, but SLACK_BOT_TOKEN_SECRET_ARN, SLACK_CHANNEL are: Slack's bot mode needs all of/,
    );
  });

  test.each([
    ["SLACK_CHANNEL", "#deployments", /SLACK_CHANNEL is invalid: "#deployments": is not a Slack channel id/],
    ["SLACK_API_URL", "http://slack.example.com/api/", /SLACK_API_URL is invalid: .*is not an https URL, nor an http URL on this machine/],
    ["SLACK_API_URL", "slack.com/api", /SLACK_API_URL is invalid: "slack.com\/api": is not an https URL/],
    ["SLACK_THREADS_TABLE", "a b", /SLACK_THREADS_TABLE is invalid: .*not a DynamoDB table name/],
    ["SLACK_BOT_TOKEN_SECRET_ARN", "xoxb-123", /SLACK_BOT_TOKEN_SECRET_ARN is invalid: .*not the ARN of a Secrets Manager secret/],
  ])("a bad %s is an error naming it", (variable, value, message) => {
    expect(() => parseSlackSettings({ ...BOT, [variable]: value })).toThrow(message);
  });
});
