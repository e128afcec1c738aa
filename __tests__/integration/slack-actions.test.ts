/**
 * The slack-actions worker against the AWS emulator: the real handler, the real CodePipeline
 * adapter, both Slack secrets in the emulator's Secrets Manager, and a local stand-in for
 * Slack's Web API and response_url. A pipeline Source → Prod (manual approval) waits at its
 * approval; signed clicks and commands, as the front puts them on the bus, answer it or start it.
 * One request also goes the whole way: the Slack front, the bus and its rule, the worker.
 */
import { type CodePipelineClient, CreatePipelineCommand, GetPipelineStateCommand, StartPipelineExecutionCommand } from "@aws-sdk/client-codepipeline";
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { EventBridgeEvent } from "aws-lambda";
import { RepositoryCatalog } from "../../functions/shared/repositories";
import {
  SLACK_ACTIONS_EVENT_PATTERN,
  SLACK_EVENT_SOURCE,
  SLACK_REQUEST_DETAIL_TYPE,
  type SlackRequestDetail,
} from "../../functions/shared/slack/bus-event";
import { responseUrlPoster } from "../../functions/shared/slack/response-url";
import { SecretsManagerSlackSigningSecrets } from "../../functions/shared/slack/signing-secret";
import { secretsManagerSlackBotToken, slackChat } from "../../functions/shared/slack/web-api";
import { CodePipelineSlackActions } from "../../functions/slack-actions/aws";
import { makeHandler, type SlackActionResult } from "../../functions/slack-actions/handler";
import { EventBridgeSlackBus } from "../../functions/slack/aws";
import { makeHandler as makeFront, type SlackFrontHandler } from "../../functions/slack/handler";
import { emulatorClientConfig, inAccount } from "../../sandbox/emulator";
import { useEmulator } from "../support/emulator";
import { FakeHttpServer } from "../support/fake-http";
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
  signedEvent,
  STRANGER,
} from "../fixtures/slack/requests";
import {
  ARTIFACT_BUCKET,
  BUILD_ACCOUNT,
  CONNECTION_ARN,
  createWorld,
  executionDetail,
  executionsOf,
  PIPELINE_ROLE_ARN,
  REGION,
  REPOSITORY,
  sourceRevision,
  type World,
} from "./support/pipewright-world";

const emulator = useEmulator();
let world: World;
let codepipeline: CodePipelineClient;
let secretsManager: SecretsManagerClient;
let slack: FakeHttpServer;
let work: (detail: SlackRequestDetail) => Promise<SlackActionResult>;
let handleEvent: (event: EventBridgeEvent<string, unknown>) => Promise<SlackActionResult>;
let front: SlackFrontHandler;
let clients: Array<{ destroy(): void }>;
let sqs: SQSClient;
let queueUrl: string;

const PIPELINE = "pipewright-checkout";
const BUS = "pipewright-github";
const BOT_TOKEN = "xoxb-sandbox-bot-token";
const DEPLOY_COMMIT = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";

const CATALOG = RepositoryCatalog.from({
  repositories: [
    {
      repository: REPOSITORY,
      mainBranch: "main",
      forkLabel: "safe-to-test",
      services: [{ name: "checkout", pipeline: PIPELINE, include: ["services/checkout/**"], slackApprovers: [APPROVER] }],
    },
  ],
});

function approvalPipeline(artifactKeyArn: string) {
  return {
    name: PIPELINE,
    roleArn: PIPELINE_ROLE_ARN,
    pipelineType: "V2" as const,
    artifactStore: { type: "S3" as const, location: ARTIFACT_BUCKET, encryptionKey: { id: artifactKeyArn, type: "KMS" as const } },
    stages: [
      {
        name: "Source",
        actions: [
          {
            name: "Source",
            actionTypeId: { category: "Source" as const, owner: "AWS" as const, provider: "CodeStarSourceConnection", version: "1" },
            configuration: { ConnectionArn: CONNECTION_ARN, FullRepositoryId: REPOSITORY, BranchName: "main", DetectChanges: "false" },
            outputArtifacts: [{ name: "SourceOutput" }],
          },
        ],
      },
      {
        name: "Prod",
        actions: [
          {
            name: "Approve",
            actionTypeId: { category: "Approval" as const, owner: "AWS" as const, provider: "Manual", version: "1" },
            configuration: { CustomData: "Check the change set" },
          },
        ],
      },
    ],
  };
}

/** The approval action's state, once the execution waits there. */
async function waitingApproval(executionId: string): Promise<{ status?: string; token?: string }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const { stageStates } = await codepipeline.send(new GetPipelineStateCommand({ name: PIPELINE }));
    const prod = stageStates?.find((stage) => stage.stageName === "Prod");
    const approval = prod?.actionStates?.find((action) => action.actionName === "Approve")?.latestExecution;
    if (prod?.latestExecution?.pipelineExecutionId === executionId && approval?.status === "InProgress") return approval;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Execution ${executionId} of ${PIPELINE} never reached its approval`);
}

const responses = () => slack.requests.filter((request) => request.path.startsWith("/response/"));
const updates = () => slack.requests.filter((request) => request.path === "/api/chat.update");

beforeAll(async () => {
  world = await createWorld(emulator());
  codepipeline = world.clients().codepipeline;
  secretsManager = inAccount(new SecretsManagerClient(emulatorClientConfig(emulator())), BUILD_ACCOUNT);
  const signing = await secretsManager.send(
    new CreateSecretCommand({ Name: "pipewright/slack-signing-secret", SecretString: JSON.stringify({ current: SIGNING_SECRET, previous: "" }) }),
  );
  const bot = await secretsManager.send(
    new CreateSecretCommand({ Name: "pipewright/slack-bot-token", SecretString: JSON.stringify({ token: BOT_TOKEN }) }),
  );
  await codepipeline.send(new CreatePipelineCommand({ pipeline: approvalPipeline(world.artifactKeyArn) }));

  // Slack's Web API and response_url, answering like Slack; chat.update only with the bot token.
  slack = await FakeHttpServer.start((request) => {
    if (request.path === "/api/chat.update") {
      return request.headers.authorization === `Bearer ${BOT_TOKEN}`
        ? { status: 200, body: { ok: true, channel: CHANNEL, ts: MESSAGE_TS } }
        : { status: 200, body: { ok: false, error: "invalid_auth" } };
    }
    return request.path.startsWith("/response/") ? { status: 200, body: "ok" } : { status: 404, body: "no such method" };
  });

  const config = emulatorClientConfig(emulator());
  const events = inAccount(new EventBridgeClient(config), BUILD_ACCOUNT);
  sqs = inAccount(new SQSClient(config), BUILD_ACCOUNT);
  clients = [events, sqs];
  // The worker's rule on the GitHub bus, with a queue standing in for the function.
  await events.send(new CreateEventBusCommand({ Name: BUS }));
  await events.send(
    new PutRuleCommand({ Name: "pipewright-slack-actions", EventBusName: BUS, EventPattern: JSON.stringify(SLACK_ACTIONS_EVENT_PATTERN) }),
  );
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "slack-actions-inbox" }))).QueueUrl as string;
  const queue = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
  await events.send(
    new PutTargetsCommand({ Rule: "pipewright-slack-actions", EventBusName: BUS, Targets: [{ Id: "worker", Arn: queue.Attributes?.QueueArn }] }),
  );
  const signingSecrets = new SecretsManagerSlackSigningSecrets({ client: secretsManager, secretId: signing.ARN as string });
  front = makeFront({
    secrets: signingSecrets,
    bus: new EventBridgeSlackBus({ client: events, eventBusName: BUS }),
    respond: responseUrlPoster(),
    logger: recordingLogger().logger,
  });

  const handle = makeHandler({
    secrets: signingSecrets,
    pipelines: new CodePipelineSlackActions(codepipeline),
    chat: slackChat({ token: secretsManagerSlackBotToken(bot.ARN as string, secretsManager), apiUrl: `${slack.url}/api/` }),
    respond: responseUrlPoster(),
    catalog: CATALOG,
    region: REGION,
    logger: recordingLogger().logger,
  });
  work = (detail) => {
    const event: EventBridgeEvent<string, unknown> = {
      version: "0",
      id: `event-${detail.requestId}`,
      "detail-type": SLACK_REQUEST_DETAIL_TYPE,
      source: SLACK_EVENT_SOURCE,
      account: BUILD_ACCOUNT,
      time: detail.receivedAt,
      region: REGION,
      resources: [],
      detail,
    };
    return handle(event);
  };
  handleEvent = handle;
});

afterAll(async () => {
  await slack?.stop();
  secretsManager?.destroy();
  for (const client of clients ?? []) client.destroy();
  world?.destroy();
});

beforeEach(() => {
  slack.requests.length = 0;
});

describe("slack-actions against the emulator", () => {
  it("lets a stranger's click change nothing, then approves on the approver's click and updates the message", async () => {
    const { pipelineExecutionId } = await codepipeline.send(new StartPipelineExecutionCommand({ name: PIPELINE }));
    const executionId = pipelineExecutionId as string;
    const before = await waitingApproval(executionId);
    const target = { pipeline: PIPELINE, stage: "Prod", action: "Approve", executionId };
    const responseUrl = `${slack.url}/response/click`;

    const stranger = signedDetail("interaction", interactionBody(clickPayload(target, { user: STRANGER, responseUrl })), new Date(), {
      requestId: "stranger",
    });
    expect(await work(stranger)).toEqual({ outcome: "refused", reason: "not_approver" });
    expect(await waitingApproval(executionId)).toEqual(before);
    expect((await executionDetail(world, PIPELINE, executionId)).status).toBe("InProgress");
    expect(updates()).toHaveLength(0);
    expect(responses().map((request) => request.json().text)).toEqual(["You may not approve checkout from Slack. Ask one of <@U0APPROVER1>."]);

    const approver = signedDetail("interaction", interactionBody(clickPayload(target, { comment: "change set reviewed", responseUrl })), new Date(), {
      requestId: "approver",
    });
    expect(await work(approver)).toEqual({ outcome: "approval", result: "approved" });
    expect((await executionDetail(world, PIPELINE, executionId)).status).toBe("Succeeded");

    const [update] = updates();
    expect(update?.headers.authorization).toBe(`Bearer ${BOT_TOKEN}`);
    const form = new URLSearchParams(update?.body);
    expect([form.get("channel"), form.get("ts")]).toEqual([CHANNEL, MESSAGE_TS]);
    expect(form.get("blocks")).toContain("Approved by <@U0APPROVER1>");
    expect(form.get("blocks")).toContain("change set reviewed");
    expect(form.get("blocks")).not.toContain("pipewright_approve");

    // The same click again (a redelivery, or a second click before the update): already answered, nothing fails.
    expect(await work(approver)).toEqual({ outcome: "approval", result: "already_answered" });
  });

  it("starts a pinned execution on an approver's deploy command, once per request", async () => {
    const known = new Set((await executionsOf(world, PIPELINE)).map((summary) => summary.pipelineExecutionId));
    const deploy = signedDetail(
      "command",
      commandBody(`deploy checkout ${DEPLOY_COMMIT}`, { responseUrl: `${slack.url}/response/deploy` }),
      new Date(),
      {
        requestId: "deploy-1",
      },
    );
    expect(await work(deploy)).toEqual({ outcome: "answered", command: "deploy" });
    expect(await work(deploy)).toEqual({ outcome: "answered", command: "deploy" });

    const started = (await executionsOf(world, PIPELINE)).filter((summary) => !known.has(summary.pipelineExecutionId));
    expect(started).toHaveLength(1);
    expect(sourceRevision(started[0]!)).toBe(DEPLOY_COMMIT);
    const texts = responses().map((request) => request.json().text as string);
    expect(texts).toHaveLength(2);
    for (const text of texts) {
      expect(text).toContain(`Started ${PIPELINE} at commit \`c0ffee0\`: execution <`);
      expect(text).toContain(started[0]!.pipelineExecutionId);
      expect(text).toContain("Its prod stage still waits for its approval.");
    }
  });

  it("takes a signed /pipewright status from the front through the bus's rule to the worker's answer", async () => {
    const event = signedEvent("/slack/commands", commandBody("status checkout", { responseUrl: `${slack.url}/response/status` }), { at: new Date() });
    const answer = await front(event);
    expect(JSON.parse(answer.body ?? "null")).toEqual({ response_type: "ephemeral", text: "Working on it: `/pipewright status checkout`" });

    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2, MaxNumberOfMessages: 10 }));
    expect(Messages).toHaveLength(1);
    const delivered = JSON.parse(Messages?.[0]?.Body ?? "null") as EventBridgeEvent<string, unknown>;
    expect([delivered.source, delivered["detail-type"]]).toEqual([SLACK_EVENT_SOURCE, SLACK_REQUEST_DETAIL_TYPE]);

    expect(await handleEvent(delivered)).toEqual({ outcome: "answered", command: "status" });
    const [status] = responses();
    expect(status?.path).toBe("/response/status");
    const line = JSON.stringify(status?.json().blocks);
    expect(line).toContain(`*checkout* (${REPOSITORY}, ${PIPELINE}):`);
    expect(line).toContain(`/codesuite/codepipeline/pipelines/${PIPELINE}/executions/`);
  });
});
