import type { EventBridgeEvent } from "aws-lambda";
import type { ChannelOutcome, CommitStatusSender, SlackSender } from "../../../functions/notifier/channels";
import type { CommitStatus } from "../../../functions/notifier/commit-status";
import { parseNotifyStates } from "../../../functions/notifier/config";
import { HttpDeliveryError, InvalidCodePipelineEventError, NotificationDeliveryError } from "../../../functions/notifier/errors";
import type { ActionExecutionFacts } from "../../../functions/notifier/facts";
import { makeHandler, type NotifierDeps } from "../../../functions/notifier/handler";
import { PR_TAG_KEYS } from "../../../functions/notifier/identity";
import type { SlackMessage } from "../../../functions/notifier/slack-message";
import { type FixtureName, sampleFor } from "./events";
import { FakeFacts, RecordingTopic, recordingLogger } from "./fakes";
import { CATALOG } from "./notifications";

const SHA = "3f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a";
const PR_SHA = "aaaabbbbccccddddeeeeffff0000111122223333";
const EXECUTION = "12345678-1234-5678-abcd-12345678abcd";
const MAIN = "pipewright-orders";
const PR = "pipewright-orders-pr-12";

class RecordingSlack implements SlackSender {
  sent: SlackMessage[] = [];
  outcome: ChannelOutcome | Error = { status: "delivered" };
  async send(message: SlackMessage): Promise<ChannelOutcome> {
    if (this.outcome instanceof Error) throw this.outcome;
    if (this.outcome.status === "delivered") this.sent.push(message);
    return this.outcome;
  }
}

class RecordingStatuses implements CommitStatusSender {
  sent: CommitStatus[] = [];
  outcome: ChannelOutcome | Error = { status: "delivered" };
  async send(status: CommitStatus): Promise<ChannelOutcome> {
    if (this.outcome instanceof Error) throw this.outcome;
    if (this.outcome.status === "delivered") this.sent.push(status);
    return this.outcome;
  }
}

function arnOf(pipeline: string): string {
  return `arn:aws:codepipeline:us-east-1:123456789012:${pipeline}`;
}

let facts: FakeFacts;
let topic: RecordingTopic;
let slack: RecordingSlack;
let statuses: RecordingStatuses;
let logger: ReturnType<typeof recordingLogger>;

function handlerWith(overrides: Partial<NotifierDeps> = {}, notifyStates?: string) {
  return makeHandler({
    config: {
      pipelinePrefix: "pipewright-",
      catalog: CATALOG,
      notifyStates: parseNotifyStates(notifyStates),
      githubApiUrl: "https://api.github.com",
    },
    facts,
    topic,
    slack,
    commitStatuses: statuses,
    logger,
    now: () => 1_711_461_552_000,
    ...overrides,
  });
}

function event(name: FixtureName, pipeline = MAIN, overrides: { executionId?: string; state?: string } = {}) {
  return sampleFor(name, pipeline, { executionId: EXECUTION, ...overrides }) as EventBridgeEvent<string, unknown>;
}

const buildFailed: ActionExecutionFacts[] = [
  {
    stage: "Source",
    action: "Source",
    category: "Source",
    provider: "CodeStarSourceConnection",
    status: "Succeeded",
    startTime: new Date(1000),
    outputVariables: { CommitId: SHA, CommitMessage: "Fix the checkout rounding", BranchName: "main" },
  },
  {
    stage: "Build",
    action: "BuildAndPackage",
    category: "Build",
    provider: "CodeBuild",
    status: "Failed",
    startTime: new Date(2000),
    externalExecutionSummary: "Build terminated with state: FAILED",
    errorMessage: "Error while executing command: npm test. Reason: exit status 1",
    externalExecutionUrl: "https://us-east-1.console.aws.amazon.com/codebuild/home?region=us-east-1#/builds/b:1/view/new",
  },
];

beforeEach(() => {
  facts = new FakeFacts();
  topic = new RecordingTopic();
  slack = new RecordingSlack();
  statuses = new RecordingStatuses();
  logger = recordingLogger();
  facts.executions.set(`${MAIN}/${EXECUTION}`, { status: "Failed", revisions: [{ name: "SourceOutput", revisionId: SHA }] });
  facts.actions.set(`${MAIN}/${EXECUTION}`, buildFailed);
});

describe("a failed execution of a main pipeline", () => {
  test("is published to SNS, posted to Slack and marks the commit failed", async () => {
    const result = await handlerWith()(event("pipeline-failed"));

    expect(result).toMatchObject({
      outcome: "handled",
      notification: "FAILED",
      channels: [
        { channel: "sns", status: "delivered" },
        { channel: "slack", status: "delivered" },
        { channel: "github", status: "delivered" },
      ],
    });
    expect(topic.published).toHaveLength(1);
    expect(topic.published[0]!.subject).toBe("FAILED: pipewright-orders, main, at Build/BuildAndPackage");
    expect(topic.published[0]!.body).toContain("Error while executing command: npm test");
    expect(topic.published[0]!.body).toContain("3f1c2a9 Fix the checkout rounding");
    expect(slack.sent[0]!.attachments[0]!.color).toBe("#d1242f");
    expect(topic.published[0]!.body).toMatch(/^Repository: +acme-corp\/shop$/m);
    expect(statuses.sent).toEqual([
      {
        repository: "acme-corp/shop",
        sha: SHA,
        state: "failure",
        context: "pipewright/pipewright-orders",
        description: expect.stringMatching(/^Failed at Build\/BuildAndPackage: Build terminated with state: FAILED/),
        targetUrl: `https://us-east-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/pipewright-orders/executions/${EXECUTION}/timeline?region=us-east-1`,
      },
    ]);
  });

  test("reads no tags for a main pipeline and asks no recovery question for a failure", async () => {
    await handlerWith()(event("pipeline-failed"));
    expect(facts.calls.sort()).toEqual([`GetPipelineExecution ${MAIN}`, `ListActionExecutions ${MAIN}`]);
  });

  test("is still announced when CodePipeline cannot be read, saying what is missing", async () => {
    facts.executions.set(`${MAIN}/${EXECUTION}`, Object.assign(new Error("User is not authorized"), { name: "AccessDeniedException" }));
    facts.actions.set(`${MAIN}/${EXECUTION}`, new Error("throttled"));

    const result = await handlerWith()(event("pipeline-failed"));

    expect(result).toMatchObject({ notification: "FAILED" });
    expect(topic.published[0]!.body).toContain("the execution (GetPipelineExecution): AccessDeniedException: User is not authorized");
    expect(topic.published[0]!.body).toContain("the action executions (ListActionExecutions): Error: throttled");
    // Without the execution there is no commit to set a status on.
    expect(statuses.sent).toEqual([]);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ level: "warn", message: "No commit status (failure): the execution reports no commit yet" }),
    );
  });
});

describe("which events notify", () => {
  test("stage events, STOPPING and pipelines without the prefix are ignored without a call", async () => {
    await expect(handlerWith()(event("stage-failed"))).resolves.toMatchObject({ outcome: "ignored" });
    await expect(handlerWith()(event("pipeline-stopping"))).resolves.toMatchObject({ outcome: "ignored" });
    await expect(handlerWith()(event("pipeline-failed", "other-orders"))).resolves.toMatchObject({
      outcome: "ignored",
      reason: expect.stringContaining("not a platform pipeline"),
    });
    expect(facts.calls).toEqual([]);
    expect(topic.published).toEqual([]);
  });

  test("an event that is not CodePipeline's is an error naming the problem", async () => {
    const bad = { ...event("pipeline-failed"), source: "aws.codebuild" };
    await expect(handlerWith()(bad)).rejects.toThrow(InvalidCodePipelineEventError);
    await expect(handlerWith()(bad)).rejects.toThrow(/source/);
  });

  test("a start only sets the pending status with the defaults", async () => {
    facts.executions.set(`${MAIN}/${EXECUTION}`, { status: "InProgress", revisions: [{ revisionId: SHA }] });
    const result = await handlerWith()(event("pipeline-started"));
    expect(result).toMatchObject({ notification: undefined, channels: [{ channel: "github", status: "delivered" }] });
    expect(statuses.sent[0]).toMatchObject({ state: "pending", sha: SHA });
    expect(topic.published).toEqual([]);
    expect(facts.calls).not.toContain(`ListActionExecutions ${MAIN}`);
  });

  test("NOTIFY_STATES=STARTED announces starts too", async () => {
    facts.executions.set(`${MAIN}/${EXECUTION}`, { status: "InProgress", revisions: [{ revisionId: SHA }] });
    await expect(handlerWith({}, "STARTED")(event("pipeline-started"))).resolves.toMatchObject({ notification: "STARTED" });
    expect(topic.published[0]!.subject).toBe("STARTED: pipewright-orders, main");
  });

  test("NOTIFY_STATES=NONE still sets commit statuses", async () => {
    await expect(handlerWith({}, "NONE")(event("pipeline-failed"))).resolves.toMatchObject({
      notification: undefined,
      channels: [{ channel: "github", status: "delivered" }],
    });
  });

  test("an approval waiting is announced with the approval link, without a commit status", async () => {
    facts.executions.set(`${MAIN}/${EXECUTION}`, { status: "InProgress", revisions: [{ revisionId: SHA }] });
    facts.actions.set(`${MAIN}/${EXECUTION}`, [
      { stage: "Approval", action: "Approval", category: "Approval", status: "InProgress", configuration: { CustomData: "Check the change set" } },
    ]);

    const result = await handlerWith()(event("action-approval-started"));

    expect(result).toMatchObject({ notification: "APPROVAL_WAITING", channels: [{ channel: "sns" }, { channel: "slack" }] });
    expect(topic.published[0]!.body).toContain("Check the change set");
    expect(topic.published[0]!.body).toContain(
      "https://us-east-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/pipewright-orders/view?region=us-east-1",
    );
    expect(slack.sent[0]!.attachments[0]!.color).toBe("#d4a72c");
    expect(statuses.sent).toEqual([]);
  });
});

describe("RECOVERED", () => {
  beforeEach(() => {
    facts.executions.set(`${MAIN}/${EXECUTION}`, { status: "Succeeded", revisions: [{ revisionId: SHA }] });
    facts.actions.set(`${MAIN}/${EXECUTION}`, []);
  });

  test("a main-branch success after a failed execution notifies as RECOVERED", async () => {
    facts.recent.set(MAIN, [
      { executionId: EXECUTION, status: "Succeeded" },
      { executionId: "stopped-1", status: "Stopped" },
      { executionId: "failed-1", status: "Failed" },
    ]);

    const result = await handlerWith()(event("pipeline-succeeded"));

    expect(result).toMatchObject({ notification: "RECOVERED" });
    expect(topic.published[0]!.subject).toBe("RECOVERED: pipewright-orders, main");
    expect(topic.published[0]!.body).toContain("the failed execution failed-1");
    expect(slack.sent[0]!.attachments[0]!.color).toBe("#1f883d");
    expect(statuses.sent[0]).toMatchObject({ state: "success" });
  });

  test("a main-branch success after a success does not notify, but marks the commit", async () => {
    facts.recent.set(MAIN, [
      { executionId: EXECUTION, status: "Succeeded" },
      { executionId: "ok-1", status: "Succeeded" },
    ]);
    await expect(handlerWith()(event("pipeline-succeeded"))).resolves.toMatchObject({
      notification: undefined,
      channels: [{ channel: "github", status: "delivered" }],
    });
    expect(topic.published).toEqual([]);
  });

  test("a retry that fixed this execution's own failure is a recovery too", async () => {
    facts.actions.set(`${MAIN}/${EXECUTION}`, [
      { stage: "Build", action: "B", status: "Failed", startTime: new Date(1) },
      { stage: "Build", action: "B", status: "Succeeded", startTime: new Date(2) },
    ]);
    await expect(handlerWith()(event("pipeline-succeeded"))).resolves.toMatchObject({ notification: "RECOVERED" });
    expect(facts.calls).not.toContain(`ListPipelineExecutions ${MAIN}`);
  });

  test("a pull request pipeline's success is not a recovery, and is not looked up", async () => {
    facts.executions.set(`${PR}/${EXECUTION}`, { status: "Succeeded", revisions: [{ revisionId: PR_SHA }] });
    facts.tagsByArn.set(arnOf(PR), { [PR_TAG_KEYS.pullRequest]: "12", [PR_TAG_KEYS.basePipeline]: MAIN });
    await expect(handlerWith()(event("pipeline-succeeded", PR))).resolves.toMatchObject({ notification: undefined });
    expect(facts.calls).not.toContain(`ListPipelineExecutions ${PR}`);
    expect(statuses.sent[0]).toMatchObject({ sha: PR_SHA, context: `pipewright/${PR}`, state: "success" });
  });

  test("when the previous executions cannot be read, the success is not announced as a recovery", async () => {
    facts.recent.set(MAIN, new Error("throttled"));
    await expect(handlerWith()(event("pipeline-succeeded"))).resolves.toMatchObject({ notification: undefined });
    await expect(handlerWith({}, "SUCCEEDED")(event("pipeline-succeeded"))).resolves.toMatchObject({ notification: "SUCCEEDED" });
  });
});

describe("pull request pipelines", () => {
  test("are named by their pull request; the head-sha tag stands in for a commit not reported yet", async () => {
    facts.executions.set(`${PR}/${EXECUTION}`, { status: "Failed", revisions: [] });
    facts.tagsByArn.set(arnOf(PR), { [PR_TAG_KEYS.pullRequest]: "12", [PR_TAG_KEYS.basePipeline]: MAIN, [PR_TAG_KEYS.headSha]: PR_SHA });

    await handlerWith()(event("pipeline-failed", PR));

    expect(topic.published[0]!.subject).toBe("FAILED: pipewright-orders-pr-12, acme-corp/shop#12");
    expect(topic.published[0]!.body).toMatch(/^Service: +orders$/m);
    expect(statuses.sent[0]).toMatchObject({ sha: PR_SHA, state: "failure" });
  });

  test("one without a preview says so in its commit status", async () => {
    facts.executions.set(`${PR}/${EXECUTION}`, { status: "Succeeded", revisions: [{ revisionId: PR_SHA }] });
    facts.tagsByArn.set(arnOf(PR), { [PR_TAG_KEYS.pullRequest]: "12", [PR_TAG_KEYS.basePipeline]: MAIN, [PR_TAG_KEYS.preview]: "false" });
    await handlerWith()(event("pipeline-succeeded", PR));
    expect(statuses.sent[0]).toMatchObject({
      state: "success",
      description: "Succeeded in CodePipeline (build and test only: no preview, the service has preview: false)",
    });
  });

  test("fall back to the <base>-pr-<n> name when the tags cannot be read", async () => {
    facts.executions.set(`${PR}/${EXECUTION}`, { status: "Failed", revisions: [{ revisionId: PR_SHA }] });
    facts.tagsByArn.set(arnOf(PR), new Error("AccessDenied"));
    await handlerWith()(event("pipeline-failed", PR));
    expect(topic.published[0]!.body).toMatch(/^Pull request: +#12 in acme-corp\/shop$/m);
  });
});

describe("many repositories: each pipeline reports to its own repository", () => {
  const INVOICES = "pipewright-billing-invoices";
  const INVOICES_PR = "pipewright-billing-invoices-pr-3";

  test("the other repository's main pipeline sets its status in that repository, and the messages name it and its main branch", async () => {
    facts.executions.set(`${INVOICES}/${EXECUTION}`, { status: "Failed", revisions: [{ revisionId: SHA }] });
    facts.actions.set(`${INVOICES}/${EXECUTION}`, buildFailed);

    await handlerWith()(event("pipeline-failed", INVOICES));

    expect(statuses.sent).toEqual([expect.objectContaining({ repository: "acme-corp/billing", sha: SHA, context: `pipewright/${INVOICES}` })]);
    expect(topic.published[0]!.subject).toBe(`FAILED: ${INVOICES}, release, at Build/BuildAndPackage`);
    const body = topic.published[0]!.body;
    expect(body).toMatch(/^The execution of pipewright-billing-invoices \(acme-corp\/billing, service invoices, branch release\) failed/);
    expect(body).toMatch(/^Repository: +acme-corp\/billing$/m);
    expect(body).toMatch(/^Service: +invoices$/m);
    expect(body).toContain(`https://github.com/acme-corp/billing/commit/${SHA}`);
    expect(body).not.toContain("acme-corp/shop");
    const slackText = JSON.stringify(slack.sent[0]);
    expect(slackText).toContain("*Repository*\\nacme-corp/billing");
    expect(slackText).toContain(`https://github.com/acme-corp/billing/commit/${SHA}`);
    expect(facts.calls.some((call) => call.startsWith("ListTagsForResource"))).toBe(false);
  });

  test("its pull request pipeline reports to it too, with the pull request's link in it", async () => {
    facts.executions.set(`${INVOICES_PR}/${EXECUTION}`, { status: "Failed", revisions: [{ revisionId: PR_SHA }] });
    facts.tagsByArn.set(arnOf(INVOICES_PR), {
      [PR_TAG_KEYS.pullRequest]: "3",
      [PR_TAG_KEYS.basePipeline]: INVOICES,
      [PR_TAG_KEYS.repository]: "acme-corp/billing",
    });

    await handlerWith()(event("pipeline-failed", INVOICES_PR));

    expect(statuses.sent).toEqual([expect.objectContaining({ repository: "acme-corp/billing", sha: PR_SHA, context: `pipewright/${INVOICES_PR}` })]);
    expect(topic.published[0]!.subject).toBe(`FAILED: ${INVOICES_PR}, acme-corp/billing#3`);
    expect(topic.published[0]!.body).toContain("https://github.com/acme-corp/billing/pull/3");
  });

  test("a pipeline of the prefix that belongs to no configured repository still notifies, but sets no commit status and says why", async () => {
    const STRAY = "pipewright-stray-pr-9";
    facts.executions.set(`${STRAY}/${EXECUTION}`, { status: "Failed", revisions: [{ revisionId: SHA }] });
    facts.tagsByArn.set(arnOf(STRAY), { [PR_TAG_KEYS.pullRequest]: "9", [PR_TAG_KEYS.basePipeline]: "pipewright-stray" });

    await handlerWith()(event("pipeline-failed", STRAY));

    expect(statuses.sent).toEqual([]);
    expect(topic.published[0]!.body).toMatch(/^Repository: +unknown \(not a pipeline of a configured repository\)$/m);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: "warn",
        message: "No commit status (failure): the pipeline belongs to no configured repository, so there is none to set it in",
      }),
    );
  });
});

describe("commit statuses and late events", () => {
  test("no pending status while the commit is unknown; the source action's success sets it", async () => {
    facts.executions.set(`${MAIN}/${EXECUTION}`, { status: "InProgress", revisions: [] });
    await expect(handlerWith()(event("pipeline-started"))).resolves.toMatchObject({ channels: [] });
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ level: "info", message: "No commit status (pending): the execution reports no commit yet" }),
    );

    facts.executions.set(`${MAIN}/${EXECUTION}`, { status: "InProgress", revisions: [{ revisionId: SHA }] });
    await handlerWith()(event("action-source-succeeded"));
    expect(statuses.sent).toEqual([expect.objectContaining({ sha: SHA, state: "pending", description: "Running in CodePipeline" })]);
  });

  test("a late STARTED does not turn a finished execution's commit back to pending", async () => {
    facts.executions.set(`${MAIN}/${EXECUTION}`, { status: "Failed", revisions: [{ revisionId: SHA }] });
    await expect(handlerWith()(event("pipeline-started"))).resolves.toMatchObject({ channels: [] });
    expect(statuses.sent).toEqual([]);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ message: expect.stringContaining("the execution is Failed by now, so this event is stale") }),
    );
  });

  test("SUPERSEDED, STOPPED and CANCELED mark the commit as error", async () => {
    for (const [name, apiStatus] of [
      ["pipeline-superseded", "Superseded"],
      ["pipeline-stopped", "Stopped"],
      ["pipeline-canceled", "Cancelled"],
    ] as const) {
      facts.executions.set(`${MAIN}/${EXECUTION}`, { status: apiStatus, revisions: [{ revisionId: SHA }] });
      await handlerWith()(event(name));
    }
    expect(statuses.sent.map((s) => [s.state, s.description.split(" ")[0]])).toEqual([
      ["error", "Superseded"],
      ["error", "Stopped"],
      ["error", "Canceled"],
    ]);
  });
});

describe("channels are independent", () => {
  test("a failing Slack does not stop SNS or GitHub; it is reported with status, cause and a metric, and the event completes", async () => {
    slack.outcome = new HttpDeliveryError("the Slack webhook on hooks.slack.com", 503, 3, "POST the Slack webhook answered 503 (attempt 3 of 3)");

    const result = await handlerWith()(event("pipeline-failed"));

    expect(result).toMatchObject({
      channels: [
        { channel: "sns", status: "delivered" },
        { channel: "slack", status: "failed" },
        { channel: "github", status: "delivered" },
      ],
    });
    const errors = logger.entries.filter((entry) => entry.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain("Could not deliver through slack: HttpDeliveryError: POST the Slack webhook answered 503");
    expect(errors[0]!.attributes).toMatchObject({
      channel: "slack",
      status: 503,
      error: expect.any(HttpDeliveryError),
      pipeline: MAIN,
      executionId: EXECUTION,
      Channel: "slack",
      NotificationFailures: 1,
      _aws: {
        Timestamp: 1_711_461_552_000,
        CloudWatchMetrics: [{ Namespace: "pipewright", Dimensions: [["Channel"]], Metrics: [{ Name: "NotificationFailures", Unit: "Count" }] }],
      },
    });
  });

  test("a failing SNS is reported the same way while the others deliver", async () => {
    topic.fail = Object.assign(new Error("KMS key disabled"), { name: "KMSDisabledException", $metadata: { httpStatusCode: 400 } });
    const result = await handlerWith()(event("pipeline-failed"));
    expect(result).toMatchObject({
      channels: [
        { channel: "sns", status: "failed" },
        { channel: "slack", status: "delivered" },
        { channel: "github", status: "delivered" },
      ],
    });
    expect(logger.entries.find((entry) => entry.level === "error")!.attributes).toMatchObject({ channel: "sns", status: 400, Channel: "sns" });
  });

  test("when every attempted channel fails, the handler throws so the event is retried and dead-lettered", async () => {
    topic.fail = new Error("SNS down");
    slack.outcome = new HttpDeliveryError("slack", undefined, 3, "timed out");
    statuses.outcome = new HttpDeliveryError("github", 401, 1, "401");

    const error = await handlerWith()(event("pipeline-failed")).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(NotificationDeliveryError);
    expect((error as Error).message).toMatch(
      /through any channel: sns \(Error: SNS down\); slack \(HttpDeliveryError: timed out\); github \(HttpDeliveryError: 401\)/,
    );
    expect(logger.entries.filter((entry) => entry.level === "error").map((entry) => entry.attributes.Channel)).toEqual(["sns", "slack", "github"]);
  });

  test("channels that skip do not count as attempted: SNS failing alone still throws", async () => {
    topic.fail = new Error("SNS down");
    slack.outcome = { status: "skipped", reason: "no Slack webhook URL is configured" };
    statuses.outcome = { status: "skipped", reason: "no GitHub credentials are configured" };
    await expect(handlerWith()(event("pipeline-failed"))).rejects.toThrow(NotificationDeliveryError);
  });
});

describe("Slack and GitHub not configured", () => {
  test("without the secrets' ARNs both are skipped with one log line each, once per container", async () => {
    const handle = handlerWith({ slack: undefined, commitStatuses: undefined });
    await handle(event("pipeline-failed"));
    await handle(event("pipeline-failed"));
    expect(topic.published).toHaveLength(2);
    const off = logger.entries.filter((entry) => /is off|are off/.test(entry.message)).map((entry) => entry.message);
    expect(off).toEqual([
      "Slack is off: neither SLACK_WEBHOOK_SECRET_ARN nor SLACK_BOT_TOKEN_SECRET_ARN is set, so notifications go to the SNS topic only",
      "Commit statuses are off: GITHUB_TOKEN_SECRET_ARN is not set",
    ]);
    expect(logger.entries.filter((entry) => entry.level === "error")).toEqual([]);
  });

  test("with empty secrets both are skipped with one info line each, not an error", async () => {
    slack.outcome = { status: "skipped", reason: "no Slack webhook URL is configured (the Slack webhook secret holds no value)" };
    statuses.outcome = { status: "skipped", reason: "no GitHub credentials are configured (the GitHub token secret holds no value)" };
    const handle = handlerWith();
    const result = await handle(event("pipeline-failed"));
    await handle(event("pipeline-failed"));
    expect(result).toMatchObject({
      channels: [
        { channel: "sns", status: "delivered" },
        { channel: "slack", status: "skipped" },
        { channel: "github", status: "skipped" },
      ],
    });
    const skipped = logger.entries.filter((entry) => entry.message.startsWith("Skipping"));
    expect(skipped.map((entry) => [entry.level, entry.message])).toEqual([
      ["info", "Skipping slack: no Slack webhook URL is configured (the Slack webhook secret holds no value)"],
      ["info", "Skipping github: no GitHub credentials are configured (the GitHub token secret holds no value)"],
    ]);
  });
});
