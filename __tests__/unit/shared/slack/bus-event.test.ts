import {
  SLACK_ACTIONS_EVENT_PATTERN,
  SLACK_EVENT_SOURCE,
  SLACK_REQUEST_DETAIL_TYPE,
  slackRequestDetailSchema,
  toSlackBusEntry,
  type SlackRequestDetail,
} from "../../../../functions/shared/slack/bus-event";

const DETAIL: SlackRequestDetail = {
  kind: "interaction",
  requestId: "5c3e6a0e-44b4-4a29-8c1a-3f0f9f3c2a11",
  receivedAt: "2025-05-01T10:00:00.000Z",
  request: { body: "payload=%7B%7D", timestamp: "1746093600", signature: `v0=${"a".repeat(64)}` },
};

describe("Slack bus event", () => {
  it("is matched by the worker's rule and round-trips through the entry's Detail", () => {
    const entry = toSlackBusEntry(DETAIL, "pipewright-github", new Date(DETAIL.receivedAt));
    expect(SLACK_ACTIONS_EVENT_PATTERN).toEqual({ source: ["pipewright.slack"], "detail-type": ["Slack request"] });
    expect(entry.Source).toBe(SLACK_EVENT_SOURCE);
    expect(entry.DetailType).toBe(SLACK_REQUEST_DETAIL_TYPE);
    expect(entry.EventBusName).toBe("pipewright-github");
    expect(slackRequestDetailSchema.parse(JSON.parse(entry.Detail))).toEqual(DETAIL);
  });

  it.each([
    ["another kind", { ...DETAIL, kind: "event" }],
    ["no request", { ...DETAIL, request: undefined }],
    ["a time that is not ISO", { ...DETAIL, receivedAt: "yesterday" }],
    ["an empty signature", { ...DETAIL, request: { ...DETAIL.request, signature: "" } }],
  ])("refuses a detail with %s", (_name, detail) => {
    expect(slackRequestDetailSchema.safeParse(detail).success).toBe(false);
  });
});
