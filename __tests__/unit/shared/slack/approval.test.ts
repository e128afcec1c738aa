import {
  answeredApprovalMessage,
  APPROVAL_BLOCK_ID,
  APPROVE_ACTION_ID,
  approvalRequestMessage,
  ApprovalTargetError,
  COMMENT_ACTION_ID,
  COMMENT_BLOCK_ID,
  decodeApprovalTarget,
  encodeApprovalTarget,
  OUTCOME_BLOCK_ID,
  REJECT_ACTION_ID,
  type ApprovalRequest,
  type ApprovalTarget,
} from "../../../../functions/shared/slack/approval";

const TARGET: ApprovalTarget = {
  pipeline: "pipewright-orders",
  stage: "Prod",
  action: "Approve",
  executionId: "0b5c1e0e-1f4e-4f7a-9a53-3c1d2a4b5e6f",
};

const REQUEST: ApprovalRequest = {
  target: TARGET,
  repository: "acme/shop",
  service: "orders",
  commit: {
    sha: "0123456789abcdef0123456789abcdef01234567",
    url: "https://github.com/acme/shop/commit/0123456789abcdef0123456789abcdef01234567",
    message: "Fix <totals>\n\nbody",
  },
  changeSetUrl: "https://eu-west-1.console.aws.amazon.com/cloudformation/home?region=eu-west-1#/stacks/changesets/changes",
  executionUrl: "https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/pipewright-orders/executions/x/timeline?region=eu-west-1",
  instructions: "Check the change set & the dashboards",
  approvers: ["U0APPROVER1", "U0456EFGH"],
};

type Block = Record<string, any>;
const byId = (blocks: unknown[], id: string) => (blocks as Block[]).find((block) => block.block_id === id);

describe("approval target codec", () => {
  it("round-trips a target through the buttons' value", () => {
    const value = encodeApprovalTarget(TARGET);
    expect(value.length).toBeLessThan(2000);
    expect(decodeApprovalTarget(value)).toEqual(TARGET);
  });

  it("round-trips the longest names CodePipeline allows", () => {
    const long = "a".repeat(100);
    const target = { pipeline: long, stage: long, action: long, executionId: TARGET.executionId };
    expect(decodeApprovalTarget(encodeApprovalTarget(target))).toEqual(target);
  });

  it.each([
    ["not JSON", "pipewright-orders/Prod/Approve"],
    ["a JSON array", "[]"],
    ["a missing field", JSON.stringify({ pipeline: "p", stage: "Prod", action: "Approve" })],
    ["an extra field", JSON.stringify({ ...TARGET, token: "abc" })],
    ["a name CodePipeline would refuse", JSON.stringify({ ...TARGET, pipeline: "orders; rm -rf" })],
    ["an execution id that is not one", JSON.stringify({ ...TARGET, executionId: "latest!" })],
    ["a number as a field", JSON.stringify({ ...TARGET, stage: 3 })],
    ["an over-long value", JSON.stringify({ ...TARGET, pipeline: "a".repeat(2100) })],
  ])("refuses %s with ApprovalTargetError", (_name, value) => {
    expect(() => decodeApprovalTarget(value)).toThrow(ApprovalTargetError);
  });

  it("refuses to encode a target that could not be decoded", () => {
    expect(() => encodeApprovalTarget({ ...TARGET, stage: "" })).toThrow(ApprovalTargetError);
  });
});

describe("approvalRequestMessage", () => {
  it("has the header, the fields, the instructions, the links, the comment input and both buttons", () => {
    const { text, blocks } = approvalRequestMessage(REQUEST);
    expect(text).toBe("Approval needed: pipewright-orders / Prod / Approve");
    const all = blocks as Block[];
    expect(all[0]).toEqual({ type: "header", text: { type: "plain_text", text: "Approval needed: pipewright-orders", emoji: false } });
    const fields = all[1].fields.map((field: Block) => field.text);
    expect(fields).toEqual([
      "*Repository*\nacme/shop",
      "*Service*\norders",
      `*Commit*\n<${REQUEST.commit?.url}|0123456> Fix &lt;totals&gt;`,
      "*Waiting at*\nProd / Approve",
    ]);
    expect(JSON.stringify(all)).toContain("Check the change set &amp; the dashboards");
    const links = byId(blocks, "pipewright_links")?.elements;
    expect(links.map((button: Block) => [button.text.text, button.url])).toEqual([
      ["Review change set", REQUEST.changeSetUrl],
      ["Open execution", REQUEST.executionUrl],
    ]);

    const comment = byId(blocks, COMMENT_BLOCK_ID);
    expect(comment).toMatchObject({ type: "input", optional: true, element: { type: "plain_text_input", action_id: COMMENT_ACTION_ID } });

    const [approve, reject] = byId(blocks, APPROVAL_BLOCK_ID)!.elements;
    expect(approve).toMatchObject({ action_id: APPROVE_ACTION_ID, style: "primary" });
    expect(approve.confirm).toBeUndefined();
    expect(reject).toMatchObject({ action_id: REJECT_ACTION_ID, style: "danger", confirm: { style: "danger" } });
    expect(decodeApprovalTarget(approve.value)).toEqual(TARGET);
    expect(decodeApprovalTarget(reject.value)).toEqual(TARGET);
    expect(JSON.stringify(all)).toContain("<@U0APPROVER1>, <@U0456EFGH>");
  });

  it("has no buttons and no comment without approvers, and points to the console", () => {
    const { blocks } = approvalRequestMessage({ ...REQUEST, approvers: [] });
    expect(byId(blocks, APPROVAL_BLOCK_ID)).toBeUndefined();
    expect(byId(blocks, COMMENT_BLOCK_ID)).toBeUndefined();
    expect(JSON.stringify(blocks)).toContain(`<${REQUEST.executionUrl}|CodePipeline console>`);
    expect(JSON.stringify(blocks)).not.toContain(APPROVE_ACTION_ID);
  });

  it("links only https, and http on this machine", () => {
    const links = (changeSetUrl: string) =>
      byId(approvalRequestMessage({ ...REQUEST, changeSetUrl, executionUrl: undefined }).blocks, "pipewright_links");
    expect(links("http://example.com/change-set")).toBeUndefined();
    expect(links("http://127.0.0.1:4566/change-set")?.elements[0].url).toBe("http://127.0.0.1:4566/change-set");
  });

  it("keeps to Block Kit's limits with long instructions and leaves out links that are not http(s)", () => {
    const { blocks } = approvalRequestMessage({
      ...REQUEST,
      instructions: "x".repeat(5000),
      changeSetUrl: "javascript:alert(1)",
      executionUrl: undefined,
      commit: undefined,
      repository: undefined,
    });
    const instructions = (blocks as Block[]).find((block) => block.type === "section" && block.text?.text.startsWith("*Reviewer"));
    expect(instructions?.text.text.length).toBeLessThanOrEqual(3000);
    expect(byId(blocks, "pipewright_links")).toBeUndefined();
    expect(JSON.stringify(blocks)).toContain("*Commit*\\nunknown");
    expect(JSON.stringify(blocks)).toContain("*Repository*\\nunknown");
  });
});

describe("answeredApprovalMessage", () => {
  const original = approvalRequestMessage(REQUEST);
  const at = new Date("2025-05-01T10:00:00Z");
  const user = { id: "U0APPROVER1", name: "ada" };

  it("removes the buttons, the comment input and the approvers, and says who approved, when, and why", () => {
    const { text, blocks } = answeredApprovalMessage(original, { result: "approved", user, at, comment: "dashboards <green>" });
    expect(text).toBe("Approval needed: pipewright-orders / Prod / Approve: approved");
    expect(byId(blocks, APPROVAL_BLOCK_ID)).toBeUndefined();
    expect(byId(blocks, COMMENT_BLOCK_ID)).toBeUndefined();
    expect(byId(blocks, "pipewright_approvers")).toBeUndefined();
    expect(byId(blocks, "pipewright_links")).toBeDefined();
    expect(byId(blocks, OUTCOME_BLOCK_ID)?.text.text).toBe(
      ":white_check_mark: Approved by <@U0APPROVER1> <!date^1746093600^{date_short_pretty} {time}|2025-05-01T10:00:00.000Z>: “dashboards &lt;green&gt;”",
    );
  });

  it.each([
    ["rejected", /^:x: Rejected by <@U0APPROVER1>/],
    ["already_answered", /already answered/],
    ["expired", /had expired/],
    ["superseded", /newer execution superseded/],
  ] as const)("says %s in one outcome line, never stacked", (result, line) => {
    const once = answeredApprovalMessage(original, { result, user, at });
    const twice = answeredApprovalMessage(once, { result, user, at });
    expect((twice.blocks as Block[]).filter((block) => block.block_id === OUTCOME_BLOCK_ID)).toHaveLength(1);
    expect(byId(twice.blocks, OUTCOME_BLOCK_ID)?.text.text).toMatch(line);
  });
});
