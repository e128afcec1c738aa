import {
  CodePipelineClient,
  CreatePipelineCommand,
  DeletePipelineCommand,
  GetPipelineCommand,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
  type CreatePipelineInput,
  type DeletePipelineInput,
  type GetPipelineInput,
  type StartPipelineExecutionInput,
  type PipelineDeclaration,
  type StopPipelineExecutionInput,
  type Tag,
} from "@aws-sdk/client-codepipeline";
import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand, type UpdateItemCommandInput } from "@aws-sdk/client-dynamodb";
import {
  DeleteObjectsCommand,
  ListObjectVersionsCommand,
  S3Client,
  type DeleteObjectsCommandInput,
  type ListObjectVersionsCommandInput,
} from "@aws-sdk/client-s3";
import { CodePipelineGateway, S3ArtifactGateway } from "../../../functions/pr-pipelines/aws";
import { DynamoCapacityLedger } from "../../../functions/pr-pipelines/capacity-ledger";
import { clonePipelineForPullRequest, NO_PREVIEW_REASON, PR_TAG_KEYS } from "../../../functions/pr-pipelines/clone";
import { BasePipelineNotFoundError, InvalidEventError, PullRequestPipelineError } from "../../../functions/pr-pipelines/errors";
import type { ForkApprovalNotices } from "../../../functions/pr-pipelines/fork-approval";
import { makeHandler } from "../../../functions/pr-pipelines/handler";
import { clientRequestToken } from "../../../functions/pr-pipelines/names";
import type { PreviewStackCleanupRequest } from "../../../functions/pr-pipelines/preview-stacks";
import { DynamoPrStateStore } from "../../../functions/pr-pipelines/state";
import type { PullRequestEvent } from "../../../functions/shared/events";
import { RepositoryCatalog } from "../../../functions/shared/repositories";
import { FakeAws, REGION, throttling } from "./support/fake-aws";
import {
  busEvent,
  config,
  HEAD_SHA,
  identities,
  mainContainerPipeline,
  mainPipelineV2,
  memoryLogger,
  NEXT_SHA,
  PR_ARTIFACT_BUCKET,
  PROD_ACCOUNT,
  pullRequest,
  REPOSITORY,
} from "./support/fixtures";

const NOW = new Date("2025-05-01T10:00:05Z");
const PR_PIPELINES = ["pipewright-orders-pr-7", "pipewright-payments-pr-7"];

let aws: FakeAws;

beforeEach(() => {
  aws = new FakeAws(config.stateTable);
  aws.addPipeline(mainPipelineV2("orders"));
  aws.addPipeline(mainPipelineV2("payments"));
});
afterEach(() => aws.restore());

/** `onCleanup` runs as each preview-stack cleanup request arrives. */
function setup(onCleanup: (request: PreviewStackCleanupRequest) => void = () => {}, forkApproval?: ForkApprovalNotices, handlerConfig = config) {
  const logger = memoryLogger();
  const cleanupRequests: PreviewStackCleanupRequest[] = [];
  const handle = makeHandler({
    pipelines: new CodePipelineGateway(new CodePipelineClient({ region: REGION })),
    artifacts: new S3ArtifactGateway(new S3Client({ region: REGION })),
    state: new DynamoPrStateStore(new DynamoDBClient({ region: REGION }), config.stateTable),
    capacity: new DynamoCapacityLedger(new DynamoDBClient({ region: REGION }), config.stateTable),
    config: handlerConfig,
    logger,
    previewStacks: {
      async deletePreviewStacks(request) {
        cleanupRequests.push(request);
        onCleanup(request);
      },
    },
    ...(forkApproval === undefined ? {} : { forkApproval }),
    now: () => NOW,
  });
  return { handle: (detail: PullRequestEvent) => handle(busEvent(detail)), raw: handle, logger, cleanupRequests };
}

function stateItem(number = 7) {
  return aws.table.get(`PR#${REPOSITORY}#${number}`);
}

function codePipelineWrites(): number {
  return [CreatePipelineCommand, StartPipelineExecutionCommand, StopPipelineExecutionCommand, DeletePipelineCommand].reduce(
    (total, command) => total + aws.sent(command as never).length,
    0,
  );
}

describe("opened", () => {
  it("clones every service pipeline, runs it pinned to the head commit and abandons the automatic execution", async () => {
    const { handle } = setup();
    const result = await handle(pullRequest({ action: "opened" }));

    expect(result.outcome).toBe("ran");
    const created = aws.sent<CreatePipelineInput>(CreatePipelineCommand);
    expect(created.map((input) => input.pipeline?.name)).toEqual(PR_PIPELINES);
    for (const input of created) {
      expect(input.pipeline).toMatchObject({ pipelineType: "V2", executionMode: "SUPERSEDED" });
      expect(input.pipeline?.stages?.map((stage) => stage.name)).toEqual(["Source", "Build", "Dev"]);
      expect(JSON.stringify(input.pipeline)).not.toContain(PROD_ACCOUNT);
      expect(input.tags).toContainEqual({ key: PR_TAG_KEYS.headSha, value: HEAD_SHA });
    }

    const starts = aws.sent<StartPipelineExecutionInput>(StartPipelineExecutionCommand);
    expect(starts).toEqual(
      PR_PIPELINES.map((name) => ({
        name,
        clientRequestToken: clientRequestToken(pullRequest().deliveryId, name),
        sourceRevisions: [{ actionName: "Source", revisionType: "COMMIT_ID", revisionValue: HEAD_SHA }],
      })),
    );
    for (const start of starts) expect(start.clientRequestToken).toMatch(/^[a-zA-Z0-9-]{1,128}$/);

    const stops = aws.sent<StopPipelineExecutionInput>(StopPipelineExecutionCommand);
    expect(stops).toHaveLength(2);
    for (const name of PR_PIPELINES) {
      const executions = aws.pipelines.get(name)?.executions ?? [];
      const automatic = executions.filter((execution) => execution.triggerType === "CreatePipeline");
      const pinned = executions.filter((execution) => execution.triggerType === "StartPipelineExecution");
      expect(automatic.map((execution) => execution.status)).toEqual(["Stopped"]);
      expect(pinned.map((execution) => execution.status)).toEqual(["InProgress"]);
      expect(stops).toContainEqual({
        pipelineName: name,
        pipelineExecutionId: automatic[0]?.id,
        abandon: true,
        reason: expect.stringContaining(pinned[0]?.id ?? "?"),
      });
    }

    expect(stateItem()).toMatchObject({
      desired: { S: "open" },
      phase: { S: "done" },
      headSha: { S: HEAD_SHA },
      updatedAt: { N: String(Date.parse("2025-05-01T10:00:00Z")) },
      expiresAt: { N: String(Math.floor(NOW.getTime() / 1000) + 30 * 24 * 3600) },
    });
  });

  it("logs one line per pipeline, saying what the clone left out", async () => {
    const { handle, logger } = setup();
    await handle(pullRequest({ action: "opened" }));
    const started = logger.entries.filter((entry) => entry.message === "Started a pinned execution");
    expect(started.map((entry) => entry.attributes.prPipeline)).toEqual(PR_PIPELINES);
    for (const entry of started) {
      expect(entry.attributes).toMatchObject({ created: true, headSha: HEAD_SHA, removedStages: [expect.objectContaining({ name: "Prod" })] });
    }
  });

  it("creates without looking the pull request pipelines up first: only the main pipelines are read", async () => {
    const { handle } = setup();
    await handle(pullRequest({ action: "opened" }));
    expect(aws.sent<GetPipelineInput>(GetPipelineCommand).map((input) => input.name)).toEqual(["pipewright-orders", "pipewright-payments"]);
  });

  it("runs the pipeline that is already there when CreatePipeline finds the name in use, and moves its head-sha tag", async () => {
    const { handle } = setup();
    await handle(pullRequest({ action: "opened" }));
    // The close between them was lost; the pipelines are still there.
    const reopened = pullRequest({ action: "reopened", headSha: NEXT_SHA, updatedAt: "2025-05-01T11:00:00Z", deliveryId: "reopen" });
    await expect(handle(reopened)).resolves.toMatchObject({
      outcome: "ran",
      runs: PR_PIPELINES.map((prPipeline) => ({ prPipeline, created: false })),
    });

    expect(aws.sent(CreatePipelineCommand)).toHaveLength(4);
    const starts = aws.sent<StartPipelineExecutionInput>(StartPipelineExecutionCommand).slice(2);
    expect(starts.map((start) => [start.name, start.sourceRevisions?.[0]?.revisionValue])).toEqual(PR_PIPELINES.map((name) => [name, NEXT_SHA]));
    for (const name of PR_PIPELINES) {
      expect(aws.pipelines.get(name)?.tags).toContainEqual({ key: PR_TAG_KEYS.headSha, value: NEXT_SHA });
    }
  });

  it("fails, to be retried, when CreatePipeline finds the name in use but the pipeline is gone by the time it is read", async () => {
    const { handle } = setup();
    const inUse = new Error("Pipeline name pipewright-orders-pr-7 is in use");
    inUse.name = "PipelineNameInUseException";
    aws.failNext("CreatePipeline", inUse);
    const failure = await handle(pullRequest()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PullRequestPipelineError);
    expect((failure as Error).message).toContain('CreatePipeline for pipeline "pipewright-orders-pr-7"');
    expect((failure as Error).message).toContain("GetPipeline finds no such pipeline");
    const started = aws.sent<StartPipelineExecutionInput>(StartPipelineExecutionCommand).map((input) => input.name);
    expect(started).not.toContain("pipewright-orders-pr-7");
    expect(stateItem()?.phase).toEqual({ S: "applying" });
  });

  it("changes nothing when the same delivery comes again after it was done", async () => {
    const { handle } = setup();
    await handle(pullRequest());
    const writes = codePipelineWrites();
    const item = structuredClone(stateItem());

    await expect(handle(pullRequest())).resolves.toMatchObject({ outcome: "stale" });
    expect(codePipelineWrites()).toBe(writes);
    expect(stateItem()).toEqual(item);
  });

  it("completes on retry after a partial failure, without a second clone or a second pinned run", async () => {
    const { handle } = setup();
    aws.failNext("StartPipelineExecution", throttling());

    const failure = await handle(pullRequest()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PullRequestPipelineError);
    expect((failure as Error).message).toContain('StartPipelineExecution for pipeline "pipewright-orders-pr-7"');
    expect((failure as Error).message).toContain(`${REPOSITORY}#7`);
    expect((failure as Error).message).toContain(pullRequest().deliveryId);
    expect(((failure as Error).cause as Error).name).toBe("ThrottlingException");
    expect(stateItem()?.phase).toEqual({ S: "applying" });

    await expect(handle(pullRequest())).resolves.toMatchObject({ outcome: "ran" });
    expect(aws.sent<CreatePipelineInput>(CreatePipelineCommand).map((input) => input.pipeline?.name)).toEqual(PR_PIPELINES);
    for (const name of PR_PIPELINES) {
      const executions = aws.pipelines.get(name)?.executions ?? [];
      expect(executions.map((execution) => [execution.triggerType, execution.status])).toEqual([
        ["CreatePipeline", "Stopped"],
        ["StartPipelineExecution", "InProgress"],
      ]);
    }
    expect(stateItem()?.phase).toEqual({ S: "done" });
  });

  it("does nothing for an opened that arrives after the close", async () => {
    const { handle } = setup();
    await handle(pullRequest({ action: "closed", updatedAt: "2025-05-01T12:00:00Z", deliveryId: "close-delivery" }));
    await expect(handle(pullRequest({ action: "opened", updatedAt: "2025-05-01T10:00:00Z" }))).resolves.toMatchObject({ outcome: "stale" });
    expect(aws.sent(CreatePipelineCommand)).toHaveLength(0);
    expect(PR_PIPELINES.filter((name) => aws.pipelines.has(name))).toEqual([]);
    expect(stateItem()?.desired).toEqual({ S: "closed" });
  });

  it("orders deliveries by instant, not by how updatedAt is written", async () => {
    const { handle } = setup();
    await handle(pullRequest({ action: "closed", updatedAt: "2025-05-01T12:00:00+02:00", deliveryId: "close-delivery" }));
    // 10:30Z is after 10:00Z (the close) although "2025-05-01T10:30:00Z" < "2025-05-01T12:00:00+02:00" as strings.
    await expect(handle(pullRequest({ action: "reopened", updatedAt: "2025-05-01T10:30:00Z", deliveryId: "reopen" }))).resolves.toMatchObject({
      outcome: "ran",
    });
  });

  it("does not bring a closed fork pull request back when it is labeled later", async () => {
    const { handle } = setup();
    const fork = { fromFork: true, headRepository: "stranger/shop" };
    await handle(pullRequest({ ...fork, action: "closed", updatedAt: "2025-05-01T12:00:00Z", deliveryId: "close" }));
    const labeled = pullRequest({ ...fork, action: "labeled", label: "safe-to-test", labels: ["safe-to-test"], updatedAt: "2025-05-02T08:00:00Z" });
    await expect(handle(labeled)).resolves.toMatchObject({ outcome: "stale" });
    expect(aws.sent(CreatePipelineCommand)).toHaveLength(0);
  });

  it("fails with a named error when a service pipeline does not exist", async () => {
    aws.pipelines.delete("pipewright-payments");
    const { handle } = setup();
    const failure = await handle(pullRequest()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BasePipelineNotFoundError);
    expect((failure as Error).message).toMatch(/"pipewright-payments" named in the repository catalog does not exist/);
  });
});

describe("forks", () => {
  const fork = { fromFork: true, headRepository: "stranger/shop", htmlUrl: "https://github.com/example-org/shop/pull/7" };
  const LABEL = "safe-to-test";
  const at = (minute: number) => `2025-05-01T10:${String(minute).padStart(2, "0")}:00Z`;
  const labeled = (minute: number, headSha = HEAD_SHA) =>
    pullRequest({ ...fork, action: "labeled", label: LABEL, labels: [LABEL], headSha, updatedAt: at(minute), deliveryId: `label-${minute}` });
  const pushed = (minute: number, headSha: string, labels: string[] = [LABEL]) =>
    pullRequest({ ...fork, action: "synchronize", labels, headSha, updatedAt: at(minute), deliveryId: `push-${minute}` });

  /** The notices the handler asked for, as [kind, head sha, labels]. */
  function recordingNotices() {
    const calls: Array<[string, string, readonly string[]]> = [];
    const notices: ForkApprovalNotices = {
      async awaiting(pr) {
        calls.push(["awaiting", pr.headSha, pr.labels]);
      },
      async approved(pr) {
        calls.push(["approved", pr.headSha, pr.labels]);
      },
    };
    return { calls, notices };
  }

  it("never runs a fork's pull request without the label, touches nothing, logs why and shows that the head waits", async () => {
    const { calls, notices } = recordingNotices();
    const { handle, logger } = setup(undefined, notices);
    await expect(handle(pullRequest({ ...fork, action: "opened" }))).resolves.toMatchObject({ outcome: "skipped" });
    await expect(handle(pullRequest({ ...fork, action: "synchronize", headSha: NEXT_SHA }))).resolves.toMatchObject({ outcome: "skipped" });
    expect(aws.codepipeline.calls()).toHaveLength(0);
    expect(aws.dynamodb.calls()).toHaveLength(0);
    const reasons = logger.entries.map((entry) => String(entry.attributes.reason));
    expect(reasons).toHaveLength(2);
    for (const reason of reasons) expect(reason).toContain('no "safe-to-test" label');
    expect(calls).toEqual([
      ["awaiting", HEAD_SHA, []],
      ["awaiting", NEXT_SHA, []],
    ]);
  });

  it("runs the head the label was put on, records it as approved and shows the approval", async () => {
    const { calls, notices } = recordingNotices();
    const { handle } = setup(undefined, notices);
    await handle(pullRequest({ ...fork, action: "opened" }));
    await expect(handle(labeled(10))).resolves.toMatchObject({ outcome: "ran" });
    expect(aws.sent<CreatePipelineInput>(CreatePipelineCommand).map((input) => input.pipeline?.name)).toEqual(PR_PIPELINES);
    expect(stateItem()).toMatchObject({ approvedHeadSha: { S: HEAD_SHA }, headSha: { S: HEAD_SHA }, phase: { S: "done" } });
    expect(calls).toEqual([
      ["awaiting", HEAD_SHA, []],
      ["approved", HEAD_SHA, [LABEL]],
    ]);
  });

  it("does not run a push after the labeling: the new head awaits approval, the state is unchanged and the label is to be removed", async () => {
    const { calls, notices } = recordingNotices();
    const { handle, logger } = setup(undefined, notices);
    await handle(labeled(10));
    const state = structuredClone(stateItem());
    const writes = codePipelineWrites();

    const result = await handle(pushed(20, NEXT_SHA));
    expect(result).toEqual({
      outcome: "awaiting-approval",
      reason: expect.stringMatching(/head 89abcde .*not the commit the "safe-to-test" label approved/),
    });
    expect(codePipelineWrites()).toBe(writes);
    expect(stateItem()).toEqual(state);
    expect(calls.at(-1)).toEqual(["awaiting", NEXT_SHA, [LABEL]]);
    expect(logger.entries).toContainEqual(expect.objectContaining({ message: "Not running the event" }));
  });

  it("runs a fork's run event whose head is the approved one", async () => {
    const { calls, notices } = recordingNotices();
    const { handle } = setup(undefined, notices);
    await handle(labeled(10));
    const before = aws.sent(StartPipelineExecutionCommand).length;
    await expect(handle(pushed(20, HEAD_SHA))).resolves.toMatchObject({ outcome: "ran" });
    const starts = aws.sent<StartPipelineExecutionInput>(StartPipelineExecutionCommand).slice(before);
    expect(starts.map((start) => start.sourceRevisions?.[0]?.revisionValue)).toEqual([HEAD_SHA, HEAD_SHA]);
    expect(calls).toEqual([["approved", HEAD_SHA, [LABEL]]]);
  });

  it("lets a maintainer approve the new head by labeling again", async () => {
    const { calls, notices } = recordingNotices();
    const { handle } = setup(undefined, notices);
    await handle(labeled(10));
    await handle(pushed(20, NEXT_SHA));
    await expect(handle(labeled(30, NEXT_SHA))).resolves.toMatchObject({ outcome: "ran" });
    expect(stateItem()).toMatchObject({ approvedHeadSha: { S: NEXT_SHA }, headSha: { S: NEXT_SHA } });
    const starts = aws.sent<StartPipelineExecutionInput>(StartPipelineExecutionCommand);
    expect(starts.at(-1)?.sourceRevisions?.[0]?.revisionValue).toBe(NEXT_SHA);
    expect(calls.map(([kind, sha]) => `${kind} ${sha.slice(0, 7)}`)).toEqual(["approved 0123456", "awaiting 89abcde", "approved 89abcde"]);
  });

  it("shows nothing for stale and duplicate deliveries, approved head or not", async () => {
    const { calls, notices } = recordingNotices();
    const { handle } = setup(undefined, notices);
    await handle(labeled(10));
    calls.length = 0;
    await expect(handle(labeled(10))).resolves.toMatchObject({ outcome: "stale" });
    await expect(handle(pushed(5, NEXT_SHA))).resolves.toMatchObject({ outcome: "stale" });
    await expect(handle(pushed(5, HEAD_SHA))).resolves.toMatchObject({ outcome: "stale" });
    expect(calls).toEqual([]);
  });

  it("leaves pull requests from the repository itself alone: no approval asked, recorded or shown", async () => {
    const { calls, notices } = recordingNotices();
    const { handle } = setup(undefined, notices);
    await expect(handle(pullRequest({ action: "opened" }))).resolves.toMatchObject({ outcome: "ran" });
    await expect(handle(pullRequest({ action: "synchronize", headSha: NEXT_SHA, updatedAt: at(10), deliveryId: "push" }))).resolves.toMatchObject({
      outcome: "ran",
    });
    expect(stateItem()).not.toHaveProperty("approvedHeadSha");
    expect(calls).toEqual([]);
  });

  it("without GitHub configured, logs once per event what could not be shown and how to configure it", async () => {
    const { handle, logger } = setup();
    await handle(pullRequest({ ...fork, action: "opened" }));
    const notShown = logger.entries.filter((entry) => entry.message.startsWith("Not shown on GitHub"));
    expect(notShown).toEqual([
      {
        level: "warn",
        message: 'Not shown on GitHub: commit 0123456 of pull request #7 waits for a maintainer to add the "safe-to-test" label',
        attributes: expect.objectContaining({ reason: "GITHUB_TOKEN_SECRET_ARN is not set", fix: expect.stringContaining("<project>/github-token") }),
      },
    ]);
  });
});

describe("synchronize", () => {
  it("starts a run pinned to the new head with a token of the new delivery, and updates the head-sha tag", async () => {
    const { handle } = setup();
    await handle(pullRequest());
    const before = aws.sent(StartPipelineExecutionCommand).length;

    const push = pullRequest({ action: "synchronize", headSha: NEXT_SHA, updatedAt: "2025-05-01T10:05:00Z", deliveryId: "push-delivery" });
    await expect(handle(push)).resolves.toMatchObject({ outcome: "ran" });

    expect(aws.sent(CreatePipelineCommand)).toHaveLength(2);
    // Only the automatic executions of CreatePipeline were ever stopped: the earlier pinned run is left to SUPERSEDED.
    expect(aws.sent(StopPipelineExecutionCommand)).toHaveLength(2);
    const starts = aws.sent<StartPipelineExecutionInput>(StartPipelineExecutionCommand).slice(before);
    expect(starts).toEqual(
      PR_PIPELINES.map((name) => ({
        name,
        clientRequestToken: clientRequestToken("push-delivery", name),
        sourceRevisions: [{ actionName: "Source", revisionType: "COMMIT_ID", revisionValue: NEXT_SHA }],
      })),
    );
    for (const name of PR_PIPELINES) {
      expect(aws.pipelines.get(name)?.tags).toContainEqual({ key: PR_TAG_KEYS.headSha, value: NEXT_SHA });
    }
    expect(stateItem()).toMatchObject({ headSha: { S: NEXT_SHA }, phase: { S: "done" } });
  });

  it("creates a pipeline whose opened event was lost", async () => {
    const { handle } = setup();
    const push = pullRequest({ action: "synchronize", headSha: NEXT_SHA, deliveryId: "push-delivery" });
    await expect(handle(push)).resolves.toMatchObject({ outcome: "ran" });
    expect(aws.sent(CreatePipelineCommand)).toHaveLength(2);
  });
});

describe("a pipeline with a pull request pipeline's name that is not this pull request's", () => {
  /** pipewright-orders-pr-7 exists already, made by someone else: with these tags and this role. */
  function seedForeign(edit: (pipeline: PipelineDeclaration, tags: Tag[]) => Tag[]) {
    const { pipeline, tags } = clonePipelineForPullRequest(mainPipelineV2("orders"), pullRequest(), { prodAccountId: PROD_ACCOUNT, identities });
    aws.addPipeline(pipeline, edit(pipeline, tags));
  }
  const cases: Array<[string, (pipeline: PipelineDeclaration, tags: Tag[]) => Tag[], RegExp]> = [
    [
      "tagged for another pull request",
      (_p, tags) => tags.map((t) => (t.key === PR_TAG_KEYS.pullRequest ? { ...t, value: "8" } : t)),
      /its pipewright:pull-request tag is 8/,
    ],
    ["without pipewright tags", () => [], /has no pipewright:repository and pipewright:pull-request tags/],
    ["running as main's pipeline role", (p, tags) => ((p.roleArn = identities.pipelineRole.main), tags), /not as the pull requests' pipeline role/],
  ];

  it.each(cases)("%s: a push does not run it, and says why", async (_what, edit, reason) => {
    seedForeign(edit);
    const { handle, logger } = setup();
    const result = await handle(pullRequest({ action: "synchronize", headSha: NEXT_SHA, deliveryId: "push-delivery" }));

    expect(result).toMatchObject({ outcome: "ran", leftAlone: [{ prPipeline: "pipewright-orders-pr-7", reason: expect.stringMatching(reason) }] });
    const started = aws.sent<StartPipelineExecutionInput>(StartPipelineExecutionCommand).map((input) => input.name);
    expect(started).toEqual(["pipewright-payments-pr-7"]);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: "warn",
        message: expect.stringContaining("Leaving a pipeline alone"),
        attributes: expect.objectContaining({ prPipeline: "pipewright-orders-pr-7" }),
      }),
    );
  });

  it.each(cases)("%s: a close neither deletes it nor touches its artifacts", async (_what, edit) => {
    seedForeign(edit);
    aws.addExecution("pipewright-orders-pr-7", { artifacts: [{ bucket: PR_ARTIFACT_BUCKET, key: "pipewright-orders-pr/SourceArti/foreign1" }] });
    aws.addObject(PR_ARTIFACT_BUCKET, "pipewright-orders-pr/SourceArti/foreign1", ["v1"]);
    const { handle, cleanupRequests } = setup();
    const result = await handle(pullRequest({ action: "closed", updatedAt: "2025-05-01T10:09:00Z" }));

    expect(result).toMatchObject({
      outcome: "deleted",
      deletions: expect.arrayContaining([
        expect.objectContaining({ prPipeline: "pipewright-orders-pr-7", deleted: false, leftAlone: expect.any(String) }),
      ]),
    });
    expect(aws.sent<DeletePipelineInput>(DeletePipelineCommand).map((input) => input.name)).toEqual(["pipewright-payments-pr-7"]);
    expect(aws.pipelines.has("pipewright-orders-pr-7")).toBe(true);
    expect(aws.objectsIn(PR_ARTIFACT_BUCKET).map((entry) => entry.key)).toContain("pipewright-orders-pr/SourceArti/foreign1");
    expect(cleanupRequests.map((request) => request.prPipeline)).toEqual(["pipewright-payments-pr-7"]);
  });
});

describe("closed", () => {
  const FOLDER = "pipewright-orders-pr"; // the first 20 characters of both pipewright-orders-pr-1 and -pr-12
  const key = (artifact: string, id: string) => `${FOLDER}/${artifact}/${id}`;

  function seedPullRequest(number: number, executions: Array<Array<{ bucket: string; key: string }>>, service = "orders") {
    const { pipeline, tags } = clonePipelineForPullRequest(mainPipelineV2(service), pullRequest({ number }), {
      prodAccountId: PROD_ACCOUNT,
      identities,
    });
    aws.addPipeline(pipeline, tags);
    for (const artifacts of executions) aws.addExecution(pipeline.name ?? "", { artifacts });
  }

  beforeEach(() => {
    expect("pipewright-orders-pr-1".slice(0, 20)).toBe("pipewright-orders-pr-12".slice(0, 20));
    seedPullRequest(1, [
      [
        { bucket: PR_ARTIFACT_BUCKET, key: key("SourceArti", "aB3dE5f") },
        { bucket: PR_ARTIFACT_BUCKET, key: key("BuildArtif", "gH7iJ9k") },
      ],
      [
        { bucket: PR_ARTIFACT_BUCKET, key: key("SourceArti", "lM1nO2p") },
        { bucket: "pipewright-artifacts-us-east-1", key: key("BuildArtif", "elsewhere") },
      ],
    ]);
    seedPullRequest(1, [[{ bucket: PR_ARTIFACT_BUCKET, key: "pipewright-payments-/SourceArti/pay0001" }]], "payments");
    seedPullRequest(12, [
      [
        { bucket: PR_ARTIFACT_BUCKET, key: key("SourceArti", "qR4sT6u") },
        { bucket: PR_ARTIFACT_BUCKET, key: key("SourceArti", "aB3dE5f2") },
      ],
    ]);
    aws.addObject(PR_ARTIFACT_BUCKET, key("SourceArti", "aB3dE5f"), ["v1", "v2"], ["v3"]);
    aws.addObject(PR_ARTIFACT_BUCKET, key("BuildArtif", "gH7iJ9k"), ["v1"]);
    aws.addObject(PR_ARTIFACT_BUCKET, key("SourceArti", "lM1nO2p"), ["null"]);
    aws.addObject(PR_ARTIFACT_BUCKET, "pipewright-payments-/SourceArti/pay0001", ["v1", "v2"]);
    aws.addObject(PR_ARTIFACT_BUCKET, key("SourceArti", "qR4sT6u"), ["v1", "v2"]);
    aws.addObject(PR_ARTIFACT_BUCKET, key("SourceArti", "aB3dE5f2"), ["v1", "v2", "v3"]);
    aws.addObject("pipewright-artifacts-us-east-1", key("BuildArtif", "elsewhere"), ["v1"]);
  });

  const closeOne = pullRequest({ number: 1, action: "closed", merged: true, updatedAt: "2025-05-03T09:00:00Z", deliveryId: "close-1" });

  it("deletes the pull request's pipelines and every version of exactly their artifacts, nothing of #12", async () => {
    const { handle } = setup();
    const result = await handle(closeOne);

    expect(result).toMatchObject({ outcome: "deleted", deletedArtifactVersions: 7 });
    expect(aws.sent(DeletePipelineCommand)).toEqual([{ name: "pipewright-orders-pr-1" }, { name: "pipewright-payments-pr-1" }]);
    expect(aws.pipelines.has("pipewright-orders-pr-12")).toBe(true);
    expect(aws.pipelines.has("pipewright-orders")).toBe(true);

    const left = aws
      .objectsIn(PR_ARTIFACT_BUCKET)
      .map((entry) => `${entry.key}@${entry.versionId}`)
      .sort();
    expect(left).toEqual(
      [
        `${key("SourceArti", "aB3dE5f2")}@v1`,
        `${key("SourceArti", "aB3dE5f2")}@v2`,
        `${key("SourceArti", "aB3dE5f2")}@v3`,
        `${key("SourceArti", "qR4sT6u")}@v1`,
        `${key("SourceArti", "qR4sT6u")}@v2`,
      ].sort(),
    );
    expect(aws.objectsIn("pipewright-artifacts-us-east-1")).toHaveLength(1);

    // Listed by exact key, never by the shared folder.
    const prefixes = aws.sent<ListObjectVersionsCommandInput>(ListObjectVersionsCommand).map((input) => input.Prefix);
    expect(new Set(prefixes)).toEqual(
      new Set([key("SourceArti", "aB3dE5f"), key("BuildArtif", "gH7iJ9k"), key("SourceArti", "lM1nO2p"), "pipewright-payments-/SourceArti/pay0001"]),
    );
    expect(stateItem(1)).toMatchObject({ desired: { S: "closed" }, phase: { S: "done" } });
    expect(stateItem(1)).not.toHaveProperty("pendingArtifactKeys");
  });

  it("hands the preview stacks to the cleanup extension point", async () => {
    const { handle, cleanupRequests } = setup();
    await handle(closeOne);
    expect(cleanupRequests.map((request) => [request.prPipeline, request.stacks.map((stack) => stack.stackName)])).toEqual([
      ["pipewright-orders-pr-1", ["pipewright-orders-pr-1"]],
      ["pipewright-payments-pr-1", ["pipewright-payments-pr-1"]],
    ]);
    expect(cleanupRequests[0]).toMatchObject({ repository: REPOSITORY, pullRequest: 1, deliveryId: "close-1" });
  });

  it("deletes every pipeline of the pull request before any of its preview stacks", async () => {
    const pipelinesLeftAtCleanup: boolean[][] = [];
    const { handle } = setup(() =>
      pipelinesLeftAtCleanup.push(["pipewright-orders-pr-1", "pipewright-payments-pr-1"].map((name) => aws.pipelines.has(name))),
    );
    await handle(closeOne);
    expect(pipelinesLeftAtCleanup).toEqual([
      [false, false],
      [false, false],
    ]);
  });

  it("finishes the cleanup on retry when S3 failed after the pipelines were deleted", async () => {
    const { handle } = setup();
    aws.failNext("DeleteObjects", throttling());
    await expect(handle(closeOne)).rejects.toThrow(/delete artifacts .*pull request example-org\/shop#1, delivery close-1/);
    expect(aws.pipelines.has("pipewright-orders-pr-1")).toBe(false);
    expect(stateItem(1)?.pendingArtifactKeys?.SS).toHaveLength(4);

    await expect(handle(closeOne)).resolves.toMatchObject({ outcome: "deleted", deletedArtifactVersions: 7 });
    expect(aws.objectsIn(PR_ARTIFACT_BUCKET).map((entry) => entry.key)).not.toContain(key("SourceArti", "aB3dE5f"));
    expect(aws.objectsIn(PR_ARTIFACT_BUCKET)).toHaveLength(5);
    expect(stateItem(1)).toMatchObject({ phase: { S: "done" } });
  });

  it("records the artifact keys of all its pipelines in one write, before deleting any pipeline", async () => {
    const { handle } = setup();
    aws.failNext("DeletePipeline", throttling());
    await expect(handle(closeOne)).rejects.toThrow(/DeletePipeline/);
    expect(aws.pipelines.has("pipewright-orders-pr-1")).toBe(true);
    expect(stateItem(1)?.pendingArtifactKeys?.SS).toHaveLength(4);
    const records = aws.sent<UpdateItemCommandInput>(UpdateItemCommand).filter((input) => input.UpdateExpression?.startsWith("ADD"));
    expect(records).toHaveLength(1);
  });

  it("leaves every pipeline to a newer change that took over while it collected the keys", async () => {
    const { handle } = setup();
    aws.dynamodb
      .on(UpdateItemCommand, { UpdateExpression: "ADD #pending :keys" })
      .rejectsOnce(new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} }));
    await expect(handle(closeOne)).resolves.toMatchObject({ outcome: "superseded" });
    expect(aws.sent(DeletePipelineCommand)).toEqual([]);
    expect(aws.pipelines.has("pipewright-orders-pr-1") && aws.pipelines.has("pipewright-payments-pr-1")).toBe(true);
  });

  it("accepts pipelines that are already gone", async () => {
    const { handle } = setup();
    await handle(closeOne);
    await expect(handle({ ...closeOne, updatedAt: "2025-05-03T09:30:00Z", deliveryId: "close-again" })).resolves.toMatchObject({
      outcome: "deleted",
      deletedArtifactVersions: 0,
    });
  });

  it("sends every version in DeleteObjects calls of at most 1000", async () => {
    const { handle } = setup();
    aws.listPageSize = 1000;
    aws.addObject(
      PR_ARTIFACT_BUCKET,
      key("BuildArtif", "gH7iJ9k"),
      Array.from({ length: 1500 }, (_, index) => `bulk-${String(index).padStart(4, "0")}`),
    );
    await handle(closeOne);
    const sizes = aws.sent<DeleteObjectsCommandInput>(DeleteObjectsCommand).map((input) => input.Delete?.Objects?.length);
    expect(sizes).toEqual([1000, 507]);
    expect(aws.objectsIn(PR_ARTIFACT_BUCKET).filter((entry) => entry.key === key("BuildArtif", "gH7iJ9k"))).toHaveLength(0);
  });
});

describe("a service without previews (preview: false in the catalog)", () => {
  const ORDERS = "pipewright-orders-pr-7";
  const STOREFRONT = "pipewright-storefront-pr-7";
  const previewless = {
    ...config,
    repositories: RepositoryCatalog.from({
      repositories: [
        {
          repository: REPOSITORY,
          mainBranch: "main",
          forkLabel: "safe-to-test",
          services: [
            { name: "orders", pipeline: "pipewright-orders", include: ["services/orders/**"] },
            { name: "storefront", pipeline: "pipewright-storefront", include: ["services/storefront/**"], kind: "container", preview: false },
          ],
        },
      ],
    }),
  };
  const opened = pullRequest({ action: "opened" });
  const closed = pullRequest({ action: "closed", updatedAt: "2025-05-01T11:00:00Z", deliveryId: "close-7" });

  beforeEach(() => {
    aws.addPipeline(mainContainerPipeline("storefront"));
  });

  it("gets a pipeline that builds and tests only, and the log line says why the stages went", async () => {
    const { handle, logger } = setup(undefined, undefined, previewless);
    await expect(handle(opened)).resolves.toMatchObject({ outcome: "ran" });

    const created = new Map(aws.sent<CreatePipelineInput>(CreatePipelineCommand).map((input) => [input.pipeline?.name, input.pipeline]));
    expect(created.get(ORDERS)?.stages?.map((stage) => stage.name)).toEqual(["Source", "Build", "Dev"]);
    expect(created.get(STOREFRONT)?.stages?.map((stage) => stage.name)).toEqual(["Source", "Build"]);
    expect(created.get(STOREFRONT)?.stages?.[1]?.actions?.[0]?.configuration?.ProjectName).toBe("pipewright-pr-storefront-build");

    const started = logger.entries.find((entry) => entry.message === "Started a pinned execution" && entry.attributes.prPipeline === STOREFRONT);
    expect(started?.attributes).toMatchObject({
      previewStacks: [],
      removedStages: [
        { name: "Dev", reason: NO_PREVIEW_REASON },
        { name: "IntegrationTests", reason: expect.stringContaining('"DevStack"') },
        { name: "Prod", reason: expect.any(String) },
      ],
    });
  });

  it("closing deletes its pipeline and artifacts and asks for no stack cleanup; the service with previews still gets its", async () => {
    const { handle, cleanupRequests } = setup(undefined, undefined, previewless);
    await handle(opened);
    aws.addExecution(STOREFRONT, { artifacts: [{ bucket: PR_ARTIFACT_BUCKET, key: "pipewright-storefron/BuildOutpu/img0001" }] });
    aws.addObject(PR_ARTIFACT_BUCKET, "pipewright-storefron/BuildOutpu/img0001", ["v1", "v2"]);

    const result = await handle(closed);
    expect(result).toMatchObject({
      outcome: "deleted",
      deletedArtifactVersions: 2,
      deletions: [
        { prPipeline: ORDERS, deleted: true, previewStacks: [ORDERS] },
        { prPipeline: STOREFRONT, deleted: true, previewStacks: [] },
      ],
    });
    expect(aws.sent(DeletePipelineCommand)).toEqual([{ name: ORDERS }, { name: STOREFRONT }]);
    expect(aws.objectsIn(PR_ARTIFACT_BUCKET)).toEqual([]);
    expect(cleanupRequests.map((request) => request.prPipeline)).toEqual([ORDERS]);
  });

  it("a close after its pipeline is gone derives no preview stack for it from the main pipeline", async () => {
    const { handle, cleanupRequests } = setup(undefined, undefined, previewless);
    await expect(handle(closed)).resolves.toMatchObject({
      outcome: "deleted",
      deletions: [
        { prPipeline: ORDERS, deleted: false, previewStacks: [ORDERS] },
        { prPipeline: STOREFRONT, deleted: false, previewStacks: [] },
      ],
    });
    expect(cleanupRequests.map((request) => request.prPipeline)).toEqual([ORDERS]);
  });
});

describe("invalid events", () => {
  it("rejects an event that breaks the contract with a named error, and logs where, not what", async () => {
    const { raw, logger } = setup();
    const detail = { ...pullRequest(), headSha: "not-a-sha-from-secret-branch", headRef: undefined };
    const failure = await raw(busEvent(detail)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InvalidEventError);
    expect((failure as InvalidEventError).problems).toEqual(
      expect.arrayContaining([expect.stringContaining("detail.headSha"), expect.stringContaining("detail.headRef")]),
    );
    expect((failure as Error).message).not.toContain("not-a-sha-from-secret-branch");
    expect(JSON.stringify(logger.entries)).not.toContain("not-a-sha-from-secret-branch");
    expect(aws.codepipeline.calls()).toHaveLength(0);
    expect(aws.dynamodb.calls()).toHaveLength(0);
  });

  it("rejects an event of another detail type", async () => {
    const { raw } = setup();
    await expect(raw(busEvent(pullRequest(), "push"))).rejects.toBeInstanceOf(InvalidEventError);
  });
});
