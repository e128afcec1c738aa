import { RepositoryCatalog } from "../../../functions/shared/repositories";
import { type ApprovalTarget, OUTCOME_BLOCK_ID, REJECT_ACTION_ID } from "../../../functions/shared/slack/approval";
import type { SlackRequestDetail } from "../../../functions/shared/slack/bus-event";
import type { SlackResponse } from "../../../functions/shared/slack/response-url";
import { SlackApiError, type SlackChat } from "../../../functions/shared/slack/web-api";
import { clientRequestTokenFor, makeHandler, SLACK_REFUSALS } from "../../../functions/slack-actions/handler";
import type { ApprovalResultOutcome, ExecutionView, PipelineApi, StageView, StartOutcome } from "../../../functions/slack-actions/pipelines";
import {
  APPROVER,
  CHANNEL,
  clickPayload,
  commandBody,
  interactionBody,
  MESSAGE_TS,
  recordingLogger,
  SIGNING_SECRET,
  signedDetail,
  STRANGER,
} from "../../fixtures/slack/requests";

const NOW = new Date("2025-05-01T10:00:00.000Z");
const EXECUTION = "0b5c1e0e-1f4e-4f7a-9a53-3c1d2a4b5e6f";
const SHA = "0123456789abcdef0123456789abcdef01234567";
const TARGET: ApprovalTarget = { pipeline: "pw-orders", stage: "Prod", action: "Approve", executionId: EXECUTION };
const RESPONSE_URL = "https://hooks.slack.com/actions/T0SANDBOX01/1/abc";

const CATALOG = RepositoryCatalog.from({
  repositories: [
    {
      repository: "acme/shop",
      mainBranch: "main",
      forkLabel: "ok",
      services: [
        { name: "orders", pipeline: "pw-orders", include: ["orders/**"], slackApprovers: [APPROVER] },
        { name: "cart", pipeline: "pw-cart", include: ["cart/**"] },
      ],
    },
  ],
});

function waitingStages(
  overrides: Partial<StageView> = {},
  action: StageView["actions"][number] = { name: "Approve", status: "InProgress", token: "tok-1" },
): StageView[] {
  return [
    { name: "Source", executionId: EXECUTION, status: "Succeeded", actions: [{ name: "Source", status: "Succeeded" }] },
    { name: "Prod", executionId: EXECUTION, status: "InProgress", actions: [action], ...overrides },
  ];
}

class FakePipelines implements PipelineApi {
  stagesOf = new Map<string, StageView[]>([["pw-orders", waitingStages()]]);
  executions = new Map<string, ExecutionView>();
  approvalOutcome: ApprovalResultOutcome = "done";
  startOutcome: StartOutcome = { kind: "started", executionId: "11111111-2222-3333-4444-555555555555" };
  failure: Error | undefined;
  readonly calls: Array<[string, ...unknown[]]> = [];

  async stages(pipeline: string) {
    this.calls.push(["stages", pipeline]);
    if (this.failure) throw this.failure;
    return this.stagesOf.get(pipeline);
  }
  async latestExecution(pipeline: string) {
    this.calls.push(["latestExecution", pipeline]);
    return this.executions.get(pipeline);
  }
  async putApprovalResult(target: ApprovalTarget, token: string, result: { status: string; summary: string }) {
    this.calls.push(["putApprovalResult", target, token, result]);
    return this.approvalOutcome;
  }
  async start(pipeline: string, request: { clientRequestToken: string; commit?: string; sourceActionName: string }) {
    this.calls.push(["start", pipeline, request]);
    return this.startOutcome;
  }
}

function worker(options: { region?: string } = {}) {
  const pipelines = new FakePipelines();
  const updates: Array<Parameters<SlackChat["update"]>[0]> = [];
  let updateFailure: Error | undefined;
  const chat: SlackChat = {
    postMessage: async () => {
      throw new Error("the worker never posts");
    },
    update: async (message) => {
      if (updateFailure) throw updateFailure;
      updates.push(message);
    },
  };
  const responses: Array<{ url: string; message: SlackResponse }> = [];
  const { logger, lines } = recordingLogger();
  const handle = makeHandler({
    secrets: { getSecrets: async () => ({ current: SIGNING_SECRET }) },
    pipelines,
    chat,
    respond: async (url, message) => {
      responses.push({ url, message });
    },
    catalog: CATALOG,
    region: options.region ?? "eu-west-1",
    logger,
    now: () => NOW,
  });
  const send = (detail: SlackRequestDetail | Record<string, unknown>) =>
    handle({
      version: "0",
      id: "event-1",
      "detail-type": "Slack request",
      source: "pipewright.slack",
      account: "111111111111",
      time: NOW.toISOString(),
      region: "eu-west-1",
      resources: [],
      detail,
    });
  return {
    send,
    pipelines,
    updates,
    responses,
    lines,
    failUpdates: (error: Error) => {
      updateFailure = error;
    },
  };
}

const click = (options: Parameters<typeof clickPayload>[1] = {}, at = NOW) =>
  signedDetail("interaction", interactionBody(clickPayload(TARGET, options)), at);
const command = (text: string, user = APPROVER, requestId?: string) =>
  signedDetail("command", commandBody(text, { user, responseUrl: RESPONSE_URL }), NOW, { requestId });

describe("slack-actions: approval clicks", () => {
  it("approves for an approver, with the summary, and rewrites the message without its buttons", async () => {
    const { send, pipelines, updates, responses } = worker();
    expect(await send(click({ comment: "  dashboards are green  " }))).toEqual({ outcome: "approval", result: "approved" });
    expect(pipelines.calls).toEqual([
      ["stages", "pw-orders"],
      ["putApprovalResult", TARGET, "tok-1", { status: "Approved", summary: "Approved in Slack by ada (U0APPROVER1): dashboards are green" }],
    ]);
    expect(updates).toHaveLength(1);
    const update = updates[0]!;
    expect([update.channel, update.ts]).toEqual([CHANNEL, MESSAGE_TS]);
    const text = JSON.stringify(update.blocks);
    expect(text).not.toContain("pipewright_approve");
    expect(text).not.toContain("pipewright_comment");
    const outcome = (update.blocks as Array<Record<string, any>>).find((block) => block.block_id === OUTCOME_BLOCK_ID);
    expect(outcome?.text.text).toMatch(/^:white_check_mark: Approved by <@U0APPROVER1> <!date\^1746093600\^.*>: “dashboards are green”$/);
    expect(responses).toEqual([]);
  });

  it("rejects with Reject, without a comment", async () => {
    const { send, pipelines } = worker();
    expect(await send(click({ actionId: REJECT_ACTION_ID }))).toEqual({ outcome: "approval", result: "rejected" });
    expect(pipelines.calls[1]).toEqual([
      "putApprovalResult",
      TARGET,
      "tok-1",
      { status: "Rejected", summary: "Rejected in Slack by ada (U0APPROVER1)" },
    ]);
  });

  it("bounds the summary to CodePipeline's 512 characters", async () => {
    const { send, pipelines } = worker();
    await send(click({ comment: "x".repeat(2000) }));
    const summary = (pipelines.calls[1]![3] as { summary: string }).summary;
    expect(summary.length).toBe(512);
    expect(summary.startsWith("Approved in Slack by ada (U0APPROVER1): xxx")).toBe(true);
  });

  it("refuses a stranger: an ephemeral answer, a warning with the SlackRefusals metric, and nothing else", async () => {
    const { send, pipelines, updates, responses, lines } = worker();
    expect(await send(click({ user: STRANGER }))).toEqual({ outcome: "refused", reason: "not_approver" });
    expect(pipelines.calls).toEqual([]);
    expect(updates).toEqual([]);
    expect(responses).toEqual([
      { url: RESPONSE_URL, message: { text: "You may not approve orders from Slack. Ask one of <@U0APPROVER1>.", replace_original: false } },
    ]);
    const warning = lines.find((line) => line.level === "warn");
    expect(warning?.fields).toMatchObject({ reason: "not_approver", user: STRANGER, Reason: "not_approver", [SLACK_REFUSALS]: 1 });
    expect(warning?.fields._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: "pipewright",
      Dimensions: [["Reason"]],
      Metrics: [{ Name: SLACK_REFUSALS, Unit: "Count" }],
    });
  });

  it("refuses a click on a pipeline the catalog does not know", async () => {
    const { send, pipelines } = worker();
    const detail = signedDetail("interaction", interactionBody(clickPayload({ ...TARGET, pipeline: "pw-unknown" })), NOW);
    expect(await send(detail)).toEqual({ outcome: "refused", reason: "not_approver" });
    expect(pipelines.calls).toEqual([]);
  });

  it("refuses a button whose value is not an approval target", async () => {
    const { send, pipelines, responses } = worker();
    expect(await send(click({ value: "pw-orders/Prod" }))).toEqual({ outcome: "refused", reason: "invalid_target" });
    expect(pipelines.calls).toEqual([]);
    expect(responses[0]?.message.text).toMatch(/CodePipeline console/);
  });

  it.each([
    ["superseded", waitingStages({ executionId: "99999999-0000-0000-0000-000000000000" })],
    ["already_answered", waitingStages({}, { name: "Approve", status: "Succeeded" })],
    ["expired", waitingStages({ name: "Production" })],
  ] as const)("says %s without answering when the approval no longer waits", async (result, stages) => {
    const { send, pipelines, updates } = worker();
    pipelines.stagesOf.set("pw-orders", stages);
    expect(await send(click())).toEqual({ outcome: "approval", result });
    expect(pipelines.calls.map(([name]) => name)).toEqual(["stages"]);
    expect(JSON.stringify(updates[0]?.blocks)).not.toContain("pipewright_approve");
  });

  it.each(["already_answered", "expired"] as const)("says %s when CodePipeline refuses the answer so", async (refusal) => {
    const { send, pipelines, updates } = worker();
    pipelines.approvalOutcome = refusal;
    expect(await send(click())).toEqual({ outcome: "approval", result: refusal });
    expect(updates).toHaveLength(1);
  });

  it("tells the clicker when the message cannot be updated, without failing", async () => {
    const { send, responses, failUpdates, lines } = worker();
    failUpdates(new SlackApiError("chat.update", "not_in_channel", 200, "Slack's chat.update answered not_in_channel"));
    expect(await send(click())).toEqual({ outcome: "approval", result: "approved" });
    expect(responses).toEqual([
      { url: RESPONSE_URL, message: { text: expect.stringMatching(/^:white_check_mark: Approved by <@U0APPROVER1>/), replace_original: false } },
    ]);
    expect(lines.some((line) => line.level === "error")).toBe(true);
  });

  it("throws when CodePipeline is unavailable, so the bus redelivers", async () => {
    const { send, pipelines } = worker();
    pipelines.failure = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
    await expect(send(click())).rejects.toThrow("Rate exceeded");
  });

  it("ignores clicks on other buttons", async () => {
    const { send, pipelines } = worker();
    expect(await send(click({ actionId: "pipewright_execution" }))).toEqual({ outcome: "ignored" });
    expect(pipelines.calls).toEqual([]);
  });
});

describe("slack-actions: the signature, verified again", () => {
  it("refuses a request signed with another secret, with the metric, and does nothing", async () => {
    const { send, pipelines, responses, lines } = worker();
    const forged = signedDetail("interaction", interactionBody(clickPayload(TARGET)), NOW, { secret: "forger" });
    expect(await send(forged)).toEqual({ outcome: "refused", reason: "signature" });
    expect(pipelines.calls).toEqual([]);
    expect(responses).toEqual([]);
    expect(lines[0]?.fields).toMatchObject({ Reason: "signature", [SLACK_REFUSALS]: 1 });
  });

  it("accepts a request up to 30 minutes old and refuses an older one", async () => {
    const { send } = worker();
    expect(await send(click({}, new Date(NOW.getTime() - 29 * 60_000)))).toMatchObject({ outcome: "approval" });
    expect(await send(click({}, new Date(NOW.getTime() - 31 * 60_000)))).toEqual({ outcome: "refused", reason: "signature" });
  });

  it("refuses a click whose body was changed after signing", async () => {
    const { send } = worker();
    const detail = click({ user: STRANGER });
    const tampered = { ...detail, request: { ...detail.request, body: detail.request.body.replace(STRANGER, APPROVER) } };
    expect(await send(tampered)).toEqual({ outcome: "refused", reason: "signature" });
  });

  it("refuses an event that is not a Slack request of the contract", async () => {
    const { send } = worker();
    expect(await send({ kind: "command", request: {} })).toEqual({ outcome: "refused", reason: "invalid_event" });
  });
});

describe("slack-actions: status", () => {
  it("answers each main pipeline's state, commit, stage and console link", async () => {
    const { send, pipelines, responses } = worker();
    pipelines.executions.set("pw-orders", { executionId: EXECUTION, status: "InProgress", commit: { sha: SHA } });
    expect(await send(command("status"))).toEqual({ outcome: "answered", command: "status" });
    expect(pipelines.calls.map(([name, pipeline]) => `${name} ${pipeline}`).sort()).toEqual([
      "latestExecution pw-cart",
      "latestExecution pw-orders",
      "stages pw-cart",
      "stages pw-orders",
    ]);
    const [orders, cart] = (responses[0]!.message.blocks as Array<{ text: { text: string } }>).map((block) => block.text.text);
    expect(orders).toBe(
      `*orders* (acme/shop, pw-orders): :arrows_counterclockwise: InProgress · commit <https://github.com/acme/shop/commit/${SHA}|0123456> · at Prod · ` +
        `<https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/pw-orders/executions/${EXECUTION}/timeline?region=eu-west-1|console>`,
    );
    expect(cart).toBe("*cart* (acme/shop, pw-cart): the pipeline does not exist in this account and Region");
    expect(responses[0]?.message.text).toBe("Status of 2 services");
  });

  it("finds one service by its pipeline's service key and links the console of the Region's partition", async () => {
    const { send, pipelines, responses } = worker({ region: "cn-north-1" });
    pipelines.executions.set("pw-orders", { executionId: EXECUTION, status: "Succeeded" });
    pipelines.stagesOf.set("pw-orders", waitingStages({ status: "Succeeded" }, { name: "Approve", status: "Succeeded" }));
    await send(command("status orders"));
    expect(pipelines.calls.map(([, pipeline]) => pipeline)).toEqual(["pw-orders", "pw-orders"]);
    expect(JSON.stringify(responses[0]?.message.blocks)).toContain("https://cn-north-1.console.amazonaws.cn/");
    expect(JSON.stringify(responses[0]?.message.blocks)).toContain("last stage Prod");
  });

  it("says which services exist when asked for an unknown one", async () => {
    const { send, pipelines, responses } = worker();
    await send(command("status billing"));
    expect(pipelines.calls).toEqual([]);
    expect(responses[0]?.message.text).toBe('No status: no service or pipeline is called "billing"; the services are orders, cart.');
  });
});

describe("slack-actions: deploy", () => {
  it("starts the service's main pipeline at the commit for an approver, idempotently per request", async () => {
    const { send, pipelines, responses } = worker();
    expect(await send(command(`deploy orders ${SHA}`, APPROVER, "req-1"))).toEqual({ outcome: "answered", command: "deploy" });
    expect(pipelines.calls).toEqual([
      ["start", "pw-orders", { clientRequestToken: clientRequestTokenFor("req-1"), commit: SHA, sourceActionName: "Source" }],
    ]);
    expect(clientRequestTokenFor("req-1")).toMatch(/^slack-[0-9a-f]{40}$/);
    expect(clientRequestTokenFor("req-1")).not.toBe(clientRequestTokenFor("req-2"));
    expect(responses[0]?.message.text).toBe(
      "Started pw-orders at commit `0123456`: execution " +
        "<https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/pw-orders/executions/11111111-2222-3333-4444-555555555555/timeline?region=eu-west-1|11111111-2222-3333-4444-555555555555>. " +
        "Its prod stage still waits for its approval.",
    );
  });

  it("starts at the branch head without a commit", async () => {
    const { send, pipelines, responses } = worker();
    await send(command("deploy pw-orders"));
    expect(pipelines.calls[0]?.[2]).toMatchObject({ commit: undefined });
    expect(responses[0]?.message.text).toMatch(/^Started pw-orders at the head of main:/);
  });

  it("refuses someone who is not the service's approver, with the metric", async () => {
    const { send, pipelines, responses, lines } = worker();
    expect(await send(command("deploy orders", STRANGER))).toEqual({ outcome: "refused", reason: "not_approver" });
    expect(await send(command("deploy cart", APPROVER))).toEqual({ outcome: "refused", reason: "not_approver" });
    expect(pipelines.calls).toEqual([]);
    expect(responses.map(({ message }) => message.text)).toEqual([
      "You may not deploy orders from Slack. Ask one of <@U0APPROVER1>.",
      "You may not deploy cart from Slack. Nobody may do that from Slack for this service; use the CodePipeline console.",
    ]);
    expect(lines.filter((line) => line.fields[SLACK_REFUSALS] === 1)).toHaveLength(2);
  });

  it("tells the user why CodePipeline would not start it", async () => {
    const { send, pipelines, responses } = worker();
    pipelines.startOutcome = { kind: "refused", reason: "pw-orders runs as many executions as it may; try again once one has finished" };
    await send(command("deploy orders"));
    expect(responses[0]?.message.text).toBe("Not deployed: pw-orders runs as many executions as it may; try again once one has finished.");
  });

  it("answers help and invalid commands too", async () => {
    const { send, responses } = worker();
    expect(await send(command("help"))).toEqual({ outcome: "answered", command: "help" });
    expect(await send(command("deploy"))).toEqual({ outcome: "answered", command: "invalid" });
    expect(responses[1]?.message.text).toMatch(/^That did not work: deploy needs a service/);
  });
});
