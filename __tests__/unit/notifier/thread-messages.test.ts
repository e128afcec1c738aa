import type { ThreadInput } from "../../../functions/notifier/thread-messages";
import { durationOf, formatDuration, parentMessage, threadDelivery } from "../../../functions/notifier/thread-messages";
import { APPROVAL_BLOCK_ID, APPROVE_ACTION_ID, decodeApprovalTarget, REJECT_ACTION_ID } from "../../../functions/shared/slack/approval";
import { APPROVAL, BUILD_FAILURE, SHA } from "./notifications";

const EXECUTION = "7d8e9f00-1111-2222-3333-444455556666";
const EXECUTION_URL = `https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/pipewright-orders/executions/${EXECUTION}/timeline?region=eu-west-1`;
const COMMIT_URL = `https://github.com/acme-corp/shop/commit/${SHA}`;

function input(overrides: Partial<ThreadInput> = {}): ThreadInput {
  return {
    step: { kind: "start" },
    eventId: "event-1",
    pipeline: "pipewright-orders",
    executionId: EXECUTION,
    repository: "acme-corp/shop",
    service: "orders",
    branch: "main",
    commit: { sha: SHA, shortSha: SHA.slice(0, 7), message: "Fix the checkout rounding\n\nLonger explanation", from: "execution" },
    trigger: { type: "StartPipelineExecution", detail: "arn:aws:sts::111111111111:assumed-role/pipewright-push-router/x" },
    links: { execution: EXECUTION_URL, commit: COMMIT_URL },
    executionStatus: "InProgress",
    startTime: "2024-03-26T13:50:53.566Z",
    time: "2024-03-26T13:55:05Z",
    failures: [],
    approvers: [],
    ...overrides,
  };
}

/** Every mrkdwn and plain text of a message's blocks, in order. */
function texts(blocks: readonly unknown[]): string[] {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === "object" && value !== null) {
      const record = value as Record<string, unknown>;
      if ((record.type === "mrkdwn" || record.type === "plain_text") && typeof record.text === "string") found.push(record.text);
      else Object.values(record).forEach(walk);
    }
  };
  walk(blocks);
  return found;
}

function buttonsOf(blocks: readonly unknown[]): Array<Record<string, unknown>> {
  return (blocks as Array<{ type: string; elements?: Array<Record<string, unknown>> }>)
    .filter((block) => block.type === "actions")
    .flatMap((block) => block.elements ?? []);
}

describe("durations", () => {
  test.each([
    [45_000, "45s"],
    [252_400, "4m 12s"],
    [7_500_000, "2h 5m"],
  ])("%i ms is %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  test("from the execution's start to the event; unknown without a start or with times out of order", () => {
    expect(durationOf("2024-03-26T13:50:53.566Z", "2024-03-26T13:55:05Z")).toBe(251_434);
    expect(durationOf(undefined, "2024-03-26T13:55:05Z")).toBeUndefined();
    expect(durationOf("2024-03-26T13:55:05Z", "2024-03-26T13:50:00Z")).toBeUndefined();
    expect(durationOf("not a time", "2024-03-26T13:55:05Z")).toBeUndefined();
  });
});

describe("the parent", () => {
  test("names the pipeline, repository, service, commit and trigger, and says it runs", () => {
    const parent = parentMessage(input(), { kind: "running" });
    expect(parent.text).toBe("pipewright-orders (main): running");
    expect(texts(parent.blocks)).toEqual([
      "pipewright-orders (main)",
      "*Running*",
      "*Repository*\nacme-corp/shop",
      "*Service*\norders",
      `*Commit*\n<${COMMIT_URL}|3f1c2a9> Fix the checkout rounding`,
      "*Trigger*\nStartPipelineExecution (arn:aws:sts::111111111111:assumed-role/pipewright-push-router/x)",
      "Open execution",
      "Commit",
      `Execution ${EXECUTION}`,
    ]);
    expect(buttonsOf(parent.blocks).map((button) => button.url)).toEqual([EXECUTION_URL, COMMIT_URL]);
  });

  test("says how the execution ended and how long it took", () => {
    expect(parentMessage(input(), { kind: "finished", state: "SUCCEEDED", durationMs: 252_400 }).text).toBe(
      "pipewright-orders (main): succeeded in 4m 12s",
    );
    expect(texts(parentMessage(input(), { kind: "finished", state: "FAILED", durationMs: 61_000 }).blocks)).toContain("*Failed after 1m 1s*");
    expect(parentMessage(input(), { kind: "finished", state: "SUPERSEDED" }).text).toBe("pipewright-orders (main): superseded");
  });

  test("without a commit or trigger yet it says so, and escapes what Slack would read as markup", () => {
    const parent = parentMessage(input({ commit: undefined, trigger: undefined, repository: "<unknown & co>" }), { kind: "running" });
    expect(texts(parent.blocks)).toEqual(
      expect.arrayContaining(["*Commit*\nnot reported yet", "*Trigger*\nnot reported", "*Repository*\n&lt;unknown &amp; co&gt;"]),
    );
  });
});

describe("what each event posts", () => {
  test("STARTED: the parent only", () => {
    const delivery = threadDelivery(input());
    expect(delivery).toEqual({
      pipeline: "pipewright-orders",
      executionId: EXECUTION,
      eventId: "event-1",
      parent: parentMessage(input(), { kind: "running" }),
    });
  });

  test("a stage that succeeded: a short reply", () => {
    const delivery = threadDelivery(input({ step: { kind: "stage", stage: "Build", outcome: "SUCCEEDED" } }));
    expect(delivery.reply).toMatchObject({ broadcast: false, message: { text: "pipewright-orders: stage Build succeeded" } });
    expect(texts(delivery.reply!.message.blocks)).toEqual(["Stage *Build* succeeded"]);
    expect(delivery.parentUpdate).toBeUndefined();
  });

  test("a stage that failed: its failed action, the summary and the logs, not other stages' failures", () => {
    const other = { stage: "Deploy", action: "Dev", summary: "not this one" };
    const delivery = threadDelivery(input({ step: { kind: "stage", stage: "Build", outcome: "FAILED" }, failures: [other, BUILD_FAILURE] }));
    const reply = delivery.reply!.message;
    expect(reply.text).toBe("pipewright-orders: stage Build failed at BuildAndPackage");
    const shown = texts(reply.blocks).join("\n");
    expect(shown).toContain("Stage *Build* failed at *BuildAndPackage*");
    expect(shown).toContain("*Build / BuildAndPackage* (JobFailed)");
    expect(shown).toContain("Error while executing command: npm test");
    expect(shown).not.toContain("not this one");
    expect(buttonsOf(reply.blocks)).toEqual([
      expect.objectContaining({ text: expect.objectContaining({ text: "Build logs" }), url: BUILD_FAILURE.url }),
      expect.objectContaining({ url: EXECUTION_URL }),
    ]);
  });

  test("a reply posted on its own says which execution it belongs to", () => {
    const delivery = threadDelivery(input({ step: { kind: "stage", stage: "Build", outcome: "SUCCEEDED" } }));
    expect(texts(delivery.reply!.standalone.blocks)).toEqual([`pipewright-orders (main), execution ${EXECUTION}`, "Stage *Build* succeeded"]);
  });

  test("an approval with approvers: Approve and Reject buttons whose value names the action waiting, shown in the channel too", () => {
    const delivery = threadDelivery(
      input({ step: { kind: "approval", stage: "Prod", action: "Approve" }, approval: APPROVAL, approvers: ["U0APPROVER1"] }),
    );
    const reply = delivery.reply!;
    expect(reply.broadcast).toBe(true);
    expect(reply.standalone).toBe(reply.message);
    expect(reply.message.text).toBe("Approval needed: pipewright-orders / Prod / Approve");
    const approvalBlock = (reply.message.blocks as Array<{ block_id?: string; elements?: Array<{ action_id: string; value: string }> }>).find(
      (block) => block.block_id === APPROVAL_BLOCK_ID,
    );
    expect(approvalBlock?.elements?.map((button) => button.action_id)).toEqual([APPROVE_ACTION_ID, REJECT_ACTION_ID]);
    for (const button of approvalBlock?.elements ?? []) {
      expect(decodeApprovalTarget(button.value)).toEqual({ pipeline: "pipewright-orders", stage: "Prod", action: "Approve", executionId: EXECUTION });
    }
    const shown = texts(reply.message.blocks).join("\n");
    expect(shown).toContain(APPROVAL.customData);
    expect(shown).toContain("<@U0APPROVER1>");
    expect(buttonsOf(reply.message.blocks)).toContainEqual(expect.objectContaining({ url: APPROVAL.reviewUrl }));
  });

  test("an approval without approvers: no buttons, reviewers are sent to the console", () => {
    const delivery = threadDelivery(input({ step: { kind: "approval", stage: "Prod", action: "Approve" }, approval: APPROVAL, approvers: [] }));
    const blocks = delivery.reply!.message.blocks as Array<{ block_id?: string }>;
    expect(blocks.some((block) => block.block_id === APPROVAL_BLOCK_ID)).toBe(false);
    expect(texts(blocks).join("\n")).toContain("No Slack user may answer this approval: approve or reject it in the");
  });

  test("the finish: a reply and the parent's final state with the duration", () => {
    const delivery = threadDelivery(
      input({ step: { kind: "finish", state: "FAILED" }, executionStatus: "Failed", failures: [BUILD_FAILURE], time: "2024-03-26T13:55:05.966Z" }),
    );
    expect(delivery.parent.text).toBe("pipewright-orders (main): failed after 4m 12s");
    expect(delivery.parentUpdate).toEqual(delivery.parent);
    expect(delivery.reply!.message.text).toBe("pipewright-orders (main): failed after 4m 12s at Build / BuildAndPackage");
    expect(texts(delivery.reply!.message.blocks).join("\n")).toContain("Build terminated with state: FAILED");
  });

  test("a stop or supersession says why", () => {
    const delivery = threadDelivery(
      input({ step: { kind: "finish", state: "SUPERSEDED" }, statusSummary: "Superseded by execution 0a1b2c3d", time: "2024-03-26T13:51:53.566Z" }),
    );
    expect(delivery.parent.text).toBe("pipewright-orders (main): superseded after 1m 0s");
    expect(texts(delivery.reply!.message.blocks)).toContain("*Reason*\nSuperseded by execution 0a1b2c3d");
  });

  test("a late event whose execution has finished posts the parent in its final state (the duration is unknown then)", () => {
    const delivery = threadDelivery(input({ step: { kind: "stage", stage: "Build", outcome: "SUCCEEDED" }, executionStatus: "Cancelled" }));
    expect(delivery.parent.text).toBe("pipewright-orders (main): canceled");
  });

  test("a resume turns the parent back to running, unless the execution has finished since", () => {
    const resumed = threadDelivery(input({ step: { kind: "resume" } }));
    expect(resumed.parentUpdate?.text).toBe("pipewright-orders (main): running");
    expect(resumed.reply!.message.text).toBe("pipewright-orders: resumed");
    expect(threadDelivery(input({ step: { kind: "resume" }, executionStatus: "Succeeded" })).parentUpdate).toBeUndefined();
  });
});
