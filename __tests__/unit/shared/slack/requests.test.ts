import { APPROVE_ACTION_ID, type ApprovalTarget } from "../../../../functions/shared/slack/approval";
import { parseInteraction, parseSlashCommand, SlackRequestError } from "../../../../functions/shared/slack/requests";
import { clickPayload, commandBody, interactionBody } from "../../../fixtures/slack/requests";

const TARGET: ApprovalTarget = { pipeline: "pw-shop-orders", stage: "Prod", action: "Approve", executionId: "0b5c1e0e-1f4e-4f7a-9a53-3c1d2a4b5e6f" };

describe("Slack request bodies", () => {
  it("reads a slash command's form", () => {
    expect(parseSlashCommand(commandBody("deploy orders"))).toMatchObject({
      command: "/pipewright",
      text: "deploy orders",
      user_id: "U0APPROVER1",
      channel_id: "C0SANDBOX01",
      response_url: "https://hooks.slack.com/commands/T0SANDBOX01/1/abc",
    });
  });

  it("refuses a form whose user is not a Slack user id", () => {
    const body = commandBody("status").replace("user_id=U0APPROVER1", "user_id=root");
    expect(() => parseSlashCommand(body)).toThrow(SlackRequestError);
  });

  it("reads a click with its user, action, message and comment", () => {
    const interaction = parseInteraction(interactionBody(clickPayload(TARGET, { comment: "looks good" })));
    expect(interaction.type).toBe("block_actions");
    const payload = interaction.payload!;
    expect(payload.user.id).toBe("U0APPROVER1");
    expect(payload.actions[0]?.action_id).toBe(APPROVE_ACTION_ID);
    expect(payload.message?.ts).toBe("1746093000.000100");
    expect(payload.state?.values.pipewright_comment?.comment?.value).toBe("looks good");
  });

  it("reads other interactions by their type only", () => {
    expect(parseInteraction(interactionBody({ type: "view_submission", view: {} }))).toEqual({ type: "view_submission" });
  });
});
