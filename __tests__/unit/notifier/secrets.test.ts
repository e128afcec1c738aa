import { SecretValueError } from "../../../functions/notifier/errors";
import { parseSlackWebhookSecret } from "../../../functions/notifier/secrets";

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
    expect(() => parseSlackWebhookSecret(ARN, "not-a-url-SECRETPART")).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("SECRETPART") }),
    );
  });
});
