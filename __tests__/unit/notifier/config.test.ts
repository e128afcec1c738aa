import { parseNotifyStates, parsePipelinePrefix, parseTopicArn } from "../../../functions/notifier/config";
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
