import { slackMessageLines, slackResponseLines } from "../../../sandbox/slack-display";

describe("a Slack message as lines of text", () => {
  it("shows each block as Slack would: text, fields, context, buttons, inputs", () => {
    expect(
      slackMessageLines({
        text: "fallback",
        blocks: [
          { type: "header", text: { type: "plain_text", text: "pipewright-shop-orders" } },
          { type: "section", text: { type: "mrkdwn", text: "*Prod* waits" }, fields: [{ type: "mrkdwn", text: "commit abc1234" }] },
          {
            type: "context",
            elements: [
              { type: "mrkdwn", text: "execution e-1" },
              { type: "image", alt_text: "x" },
              { type: "plain_text", text: "2 min" },
            ],
          },
          { type: "divider" },
          { type: "input", label: { type: "plain_text", text: "Comment" }, element: { type: "plain_text_input", action_id: "comment" } },
          {
            type: "actions",
            elements: [
              { type: "button", text: { type: "plain_text", text: "Approve" } },
              { type: "static_select", placeholder: { type: "plain_text", text: "x" } },
            ],
          },
          { type: "rich_text", elements: [] },
        ],
      }),
    ).toEqual([
      "pipewright-shop-orders",
      "*Prod* waits",
      "commit abc1234",
      "execution e-1  ·  2 min",
      "────",
      "[Comment: ____]",
      "[Approve] [static_select]",
      "(rich_text block)",
    ]);
  });

  it("shows the text when there are no blocks", () => {
    expect(slackMessageLines({ text: "Approved by <@U0APPROVER1>" })).toEqual(["Approved by <@U0APPROVER1>"]);
  });

  it("says where a response_url answer goes", () => {
    expect(slackResponseLines({ text: "hi" })).toEqual(["(only visible to you)", "hi"]);
    expect(slackResponseLines({ response_type: "in_channel", text: "hi" })).toEqual(["(in the channel)", "hi"]);
    expect(slackResponseLines({ replace_original: true, text: "hi" })).toEqual(["(replaces the message)", "hi"]);
    expect(slackResponseLines({ delete_original: "true" })).toEqual(["(deletes the message)"]);
  });
});
