import { SLACK_COLOURS, slackMessage, type SlackBlock } from "../../../functions/notifier/slack-message";
import { escapeMrkdwn } from "../../../functions/shared/slack/mrkdwn";
import { APPROVAL, BUILD_FAILURE, notification, PR_IDENTITY } from "./notifications";

type Button = { text: { text: string }; url: string; action_id: string; style?: string };

function blocksOf(message: ReturnType<typeof slackMessage>): SlackBlock[] {
  return message.attachments[0]!.blocks;
}

function buttonsOf(message: ReturnType<typeof slackMessage>): Button[] {
  const actions = blocksOf(message).find((block) => block.type === "actions") as { elements: Button[] } | undefined;
  return actions?.elements ?? [];
}

function allText(message: ReturnType<typeof slackMessage>): string {
  return JSON.stringify(message);
}

describe("slackMessage", () => {
  test("colours the attachment by state: failed red, approval amber, recovered and succeeded green", () => {
    const colour = (state: Parameters<typeof notification>[0]) => slackMessage(notification(state), "x").attachments[0]!.color;
    expect(colour({ state: "FAILED" })).toBe(SLACK_COLOURS.FAILED);
    expect(colour({ state: "APPROVAL_WAITING", approval: APPROVAL, failures: [] })).toBe(SLACK_COLOURS.APPROVAL_WAITING);
    expect(colour({ state: "RECOVERED", failures: [] })).toBe(SLACK_COLOURS.RECOVERED);
    expect(colour({ state: "SUCCEEDED", failures: [] })).toBe(SLACK_COLOURS.SUCCEEDED);
    expect(new Set([SLACK_COLOURS.FAILED, SLACK_COLOURS.APPROVAL_WAITING, SLACK_COLOURS.RECOVERED]).size).toBe(3);
  });

  test("a failure has a header, the failed action with its error, and buttons to the execution and the build logs", () => {
    const message = slackMessage(notification(), "FAILED: pipewright-orders");
    expect(message.text).toBe("FAILED: pipewright-orders");
    expect(blocksOf(message)[0]).toEqual({ type: "header", text: { type: "plain_text", text: "pipewright-orders (main) failed", emoji: false } });
    expect(allText(message)).toContain("Error while executing command: npm test");
    expect(allText(message)).toContain("*Failed at*\\nBuild / BuildAndPackage");
    expect(buttonsOf(message).map((b) => b.text.text)).toEqual(["Open execution", "Build logs", "Commit"]);
    expect(buttonsOf(message)[0]!.url).toMatch(
      /^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/codesuite\/codepipeline\/pipelines\/pipewright-orders\/executions\//,
    );
    expect(buttonsOf(message)[1]!.url).toBe(BUILD_FAILURE.url);
  });

  test("an approval waiting has a primary button to the approval and one to what to review", () => {
    const message = slackMessage(notification({ state: "APPROVAL_WAITING", eventState: "STARTED", failures: [], approval: APPROVAL }), "x");
    const [approve, review] = buttonsOf(message);
    expect(approve).toMatchObject({ text: { text: "Review and approve" }, style: "primary" });
    expect(approve!.url).toMatch(/\/codesuite\/codepipeline\/pipelines\/pipewright-orders\/view\?region=eu-west-1$/);
    expect(review!.url).toBe(APPROVAL.reviewUrl);
    expect(allText(message)).toContain("Reviewer instructions");
  });

  test("a pull request pipeline links the pull request", () => {
    const message = slackMessage(notification({ identity: PR_IDENTITY }), "x");
    expect(allText(message)).toContain("<https://github.com/acme-corp/shop/pull/12|#12>");
    expect(buttonsOf(message).map((b) => b.text.text)).toContain("Pull request");
  });

  test("says the author is not reported", () => {
    expect(allText(slackMessage(notification(), "x"))).toContain("_not reported by CodePipeline_");
  });

  test("escapes what Slack reads as markup, so a commit message cannot inject links or mentions", () => {
    expect(escapeMrkdwn("a <!channel> & <http://x|y>")).toBe("a &lt;!channel&gt; &amp; &lt;http://x|y&gt;");
    const message = slackMessage(
      notification({ commit: { sha: "a".repeat(40), shortSha: "aaaaaaa", message: "<!here> ship it", from: "execution" } }),
      "x",
    );
    expect(allText(message)).not.toContain("<!here>");
  });

  test("keeps Block Kit's limits with huge inputs", () => {
    const huge = "y".repeat(20_000);
    const message = slackMessage(
      notification({
        identity: { pipeline: `pipewright-${"p".repeat(150)}`, isMain: true, service: "s" },
        failures: [1, 2, 3, 4].map((n) => ({ ...BUILD_FAILURE, action: `A${n}`, summary: huge })),
        missing: [huge],
      }),
      "x",
    );
    for (const block of blocksOf(message)) {
      if (block.type === "header") expect(block.text.text.length).toBeLessThanOrEqual(150);
      if (block.type === "section") {
        if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(3000);
        for (const field of block.fields ?? []) expect(field.text.length).toBeLessThanOrEqual(2000);
        expect((block.fields ?? []).length).toBeLessThanOrEqual(10);
      }
      if (block.type === "context") for (const element of block.elements) expect(element.text.length).toBeLessThanOrEqual(3000);
    }
    expect(allText(message)).toContain("and 1 more failed action(s)");
  });

  test("a link that is not https is left out, not sent to Slack (which would reject the message)", () => {
    const message = slackMessage(notification({ failures: [{ ...BUILD_FAILURE, url: "ftp://x" }] }), "x");
    expect(buttonsOf(message).map((b) => b.text.text)).toEqual(["Open execution", "Commit"]);
  });
});
