import {
  CodePipelineClient,
  PipelineNotFoundException,
  StartPipelineExecutionCommand,
  type StartPipelineExecutionCommandInput,
} from "@aws-sdk/client-codepipeline";
import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { CodePipelineStarter } from "../../../functions/push-router/aws";
import { GitHubChangedFiles } from "../../../functions/push-router/github";
import { PushClaimFailedError } from "../../../functions/push-router/claim";
import { InvalidPushEventError, makeHandler, PUSHES_IGNORED } from "../../../functions/push-router/handler";
import { PipelineStartsFailedError } from "../../../functions/push-router/start";
import { clientRequestToken } from "../../../functions/push-router/token";
import { clientSourceFor, FakeGitHub } from "../../support/fake-github";
import {
  AFTER,
  ALL_PIPELINES,
  BEFORE,
  busEvent,
  config,
  fakePushState,
  logged,
  MONO,
  push,
  PUSHED_AT,
  recordingLogger,
  sha,
  SHOP,
  ZERO,
} from "./fixtures";

const codepipeline = mockClient(CodePipelineClient);
let github: FakeGitHub;
let logger: ReturnType<typeof recordingLogger>;
let state: ReturnType<typeof fakePushState>;
const METRIC_TIME = 1_764_000_000_789;

beforeEach(async () => {
  codepipeline.reset();
  state = fakePushState();
  codepipeline
    .on(StartPipelineExecutionCommand)
    .callsFake((input: StartPipelineExecutionCommandInput) => ({ pipelineExecutionId: `exec-${input.name}` }));
  github = await FakeGitHub.start(MONO, { tokens: ["ghs_test"], moreRepositories: [SHOP] });
  logger = recordingLogger();
});

afterEach(async () => {
  state.restore();
  await github.stop();
});

/** n distinct paths under a folder. */
const manyFiles = (folder: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${folder}/file-${i}.ts`);
const compareCalls = (repository = MONO) =>
  github.requests.filter((r) => r.path.startsWith(`/repos/${repository}/compare/`)).map((r) => r.path.split("/compare/")[1]);

function route(options: { token?: string | null } = {}) {
  const client = options.token === null ? undefined : clientSourceFor(github, { kind: "token", token: options.token ?? "ghs_test" });
  return makeHandler({
    config,
    logger,
    pipelines: new CodePipelineStarter(new CodePipelineClient({ region: "eu-west-1" })),
    changes: new GitHubChangedFiles(client ? { client } : {}),
    order: state.store,
    now: () => METRIC_TIME,
  });
}

const startedInputs = () => codepipeline.commandCalls(StartPipelineExecutionCommand).map((call) => call.args[0].input);
const startedPipelines = () =>
  startedInputs()
    .map((input) => input.name)
    .sort();

describe("pushes that start nothing", () => {
  it.each<[string, Parameters<typeof push>[0], RegExp]>([
    ["a tag push", { ref: "refs/tags/v1.0.0" }, /is a tag/],
    ["the deletion of main", { deleted: true, after: ZERO, changedFiles: [] }, /was deleted/],
    ["a push to another branch", { ref: "refs/heads/develop" }, /is not refs\/heads\/main/],
    ["a push to feature/main", { ref: "refs/heads/feature/main", truncated: true }, /is not refs\/heads\/main/],
  ])("%s starts nothing, asks GitHub nothing and logs why", async (_name, overrides, reason) => {
    const result = await route()(busEvent(push(overrides)));
    expect(result).toEqual({ outcome: "skipped", reason: expect.stringMatching(reason) });
    expect(startedInputs()).toEqual([]);
    expect(github.requests).toEqual([]);
    expect(logged(logger.info)).toMatch(reason);
    expect(state.dynamodb.calls()).toHaveLength(0);
  });

  it("a push to main whose files belong to no service starts nothing and logs why", async () => {
    const result = await route()(busEvent(push({ changedFiles: ["docs/intro.md", "services/api/README.md"] })));
    expect(result).toMatchObject({ outcome: "started", started: [], ignored: [] });
    expect(startedInputs()).toEqual([]);
    expect(logged(logger.info)).toMatch(/Starting no pipeline: none of the 2 changed file/);
    expect(state.dynamodb.calls()).toHaveLength(0);
  });
});

describe("a push to main", () => {
  it("with one service's files starts only that pipeline, pinned to the pushed commit", async () => {
    const detail = push({ changedFiles: ["services/web/src/app.ts", "README.md"] });
    const result = await route()(busEvent(detail));
    expect(startedInputs()).toEqual([
      {
        name: "pw-web",
        clientRequestToken: clientRequestToken(detail.deliveryId, "pw-web"),
        sourceRevisions: [{ actionName: "Source", revisionType: "COMMIT_ID", revisionValue: AFTER }],
      },
    ]);
    expect(result).toEqual({
      outcome: "started",
      everything: false,
      reason: expect.any(String),
      started: [{ pipeline: "pw-web", executionId: "exec-pw-web" }],
      ignored: [],
    });
    expect(github.requests).toEqual([]);
    expect(state.table.get("pw-web")).toMatchObject({
      after: { S: AFTER },
      pushedAt: { N: String(PUSHED_AT) },
      deliveryId: { S: detail.deliveryId },
    });
    expect([...state.table.items.keys()]).toEqual(["pw-web"]);
  });

  it("pins the configured source action name", async () => {
    const handler = makeHandler({
      config: { ...config, sourceActionName: "GitHub" },
      logger,
      pipelines: new CodePipelineStarter(new CodePipelineClient({ region: "eu-west-1" })),
      changes: new GitHubChangedFiles({}),
      order: state.store,
    });
    await handler(busEvent(push()));
    expect(startedInputs()[0]?.sourceRevisions).toEqual([{ actionName: "GitHub", revisionType: "COMMIT_ID", revisionValue: AFTER }]);
  });

  it("a shared library starts both services that include it, in parallel", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    codepipeline.on(StartPipelineExecutionCommand).callsFake(async (input: StartPipelineExecutionCommandInput) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight--;
      return { pipelineExecutionId: `exec-${input.name}` };
    });
    await route()(busEvent(push({ changedFiles: ["libs/shared/date.ts"] })));
    expect(startedPipelines()).toEqual(["pw-api", "pw-web"]);
    expect(maxInFlight).toBe(2);
  });

  it("uses the same clientRequestToken when the same delivery comes again, and another for another delivery", async () => {
    const handler = route();
    await handler(busEvent(push(), "evt-1"));
    await handler(busEvent(push(), "evt-2-eventbridge-retry"));
    await handler(busEvent(push({ deliveryId: "another-delivery", before: AFTER, after: sha("c"), pushedAt: PUSHED_AT + 1 })));
    const tokens = startedInputs().map((input) => input.clientRequestToken);
    expect(tokens).toHaveLength(3);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
  });
});

describe("many repositories: a push's repository selects its main branch and services", () => {
  it("a push to the other repository's main branch starts only that repository's matching pipeline", async () => {
    const detail = push({ repository: SHOP, ref: "refs/heads/release", changedFiles: ["services/web/src/app.ts"] });
    const result = await route()(busEvent(detail));
    expect(startedInputs()).toEqual([
      {
        name: "pw-shop-cart",
        clientRequestToken: clientRequestToken(detail.deliveryId, "pw-shop-cart"),
        sourceRevisions: [{ actionName: "Source", revisionType: "COMMIT_ID", revisionValue: AFTER }],
      },
    ]);
    expect(result).toMatchObject({ outcome: "started", everything: false, started: [{ pipeline: "pw-shop-cart" }] });
    expect([...state.table.items.keys()]).toEqual(["pw-shop-cart"]);
  });

  it("a push to the monorepo touching paths the other repository's globs also match starts only the monorepo's pipeline", async () => {
    await route()(busEvent(push({ changedFiles: ["services/web/src/app.ts"] })));
    expect(startedPipelines()).toEqual(["pw-web"]);
  });

  it("a push to the monorepo's branch named like the other repository's main branch starts nothing", async () => {
    const result = await route()(busEvent(push({ ref: "refs/heads/release", changedFiles: ["services/web/src/app.ts"] })));
    expect(result).toEqual({
      outcome: "skipped",
      reason: expect.stringMatching(/refs\/heads\/release is not refs\/heads\/main; only pushes to the main branch of acme\/mono deploy/),
    });
    expect(startedInputs()).toEqual([]);
    expect(state.dynamodb.calls()).toHaveLength(0);
  });

  it("a push to the other repository's main branch with an unknown file list starts every pipeline of that repository only", async () => {
    const result = await route({ token: null })(busEvent(push({ repository: SHOP, ref: "refs/heads/release", truncated: true })));
    expect(result).toMatchObject({ everything: true });
    expect(startedPipelines()).toEqual(["pw-shop-cart"]);
  });

  it("asks the compare API of the pushed repository", async () => {
    github.compare(BEFORE, AFTER, { status: "ahead", files: ["libs/shared/date.ts"] });
    await route()(busEvent(push({ repository: SHOP, ref: "refs/heads/release", truncated: true })));
    expect(compareCalls(SHOP)).toEqual([`${BEFORE}...${AFTER}`]);
    expect(compareCalls(MONO)).toEqual([]);
    expect(startedPipelines()).toEqual(["pw-shop-cart"]);
  });

  it("a push of a repository that is not configured is logged and dropped: no GitHub call, no state, no start", async () => {
    const result = await route()(busEvent(push({ repository: "acme/unknown", truncated: true })));
    expect(result).toEqual({ outcome: "skipped", reason: "acme/unknown is not a configured repository" });
    expect(logged(logger.warn)).toMatch(/Starting no pipeline: acme\/unknown is not a configured repository/);
    expect(startedInputs()).toEqual([]);
    expect(github.requests).toEqual([]);
    expect(state.dynamodb.calls()).toHaveLength(0);
  });

  it("finds the repository case-insensitively, as GitHub names it", async () => {
    await route()(busEvent(push({ repository: "ACME/Shop", ref: "refs/heads/release", changedFiles: ["services/a.ts"] })));
    expect(startedPipelines()).toEqual(["pw-shop-cart"]);
  });

  it("pushes to two repositories are not ordered against each other: an older push to one still starts its pipelines after a newer push to the other", async () => {
    const handler = route();
    await handler(busEvent(push({ deliveryId: "mono-newer", pushedAt: PUSHED_AT + 60, changedFiles: ["libs/shared/date.ts"] })));
    const older = await handler(
      busEvent(
        push({ deliveryId: "shop-older", repository: SHOP, ref: "refs/heads/release", after: sha("d"), changedFiles: ["libs/shared/date.ts"] }),
      ),
    );
    expect(older).toMatchObject({ started: [{ pipeline: "pw-shop-cart" }], ignored: [] });
    expect(startedPipelines()).toEqual(["pw-api", "pw-shop-cart", "pw-web"]);
  });
});

describe("pushes whose event cannot list every file", () => {
  it.each<[string, Parameters<typeof push>[0]]>([
    ["truncated", { truncated: true }],
    ["forced", { forced: true }],
  ])("%s: asks the compare API and starts only what it lists", async (_name, overrides) => {
    github.compare(BEFORE, AFTER, { status: "ahead", files: ["infra/main.tf"] });
    await route()(busEvent(push({ ...overrides, changedFiles: ["services/api/only-in-the-event.ts"] })));
    expect(compareCalls()).toEqual([`${BEFORE}...${AFTER}`]);
    expect(startedPipelines()).toEqual(["pw-infra"]);
    expect(logged(logger.info)).toMatch(/compare API/);
  });

  it("a force push also deploys the services whose commits it replaced", async () => {
    github.compare(BEFORE, AFTER, { status: "diverged", files: ["services/api/a.ts"] });
    github.compare(AFTER, BEFORE, { status: "diverged", files: ["services/web/reverted.ts"] });
    await route()(busEvent(push({ forced: true })));
    expect(startedPipelines()).toEqual(["pw-api", "pw-web"]);
  });

  it("retries GitHub's 5xx and then routes", async () => {
    github.compare(BEFORE, AFTER, { status: "ahead", files: ["services/api/a.ts"] });
    github.intercept((_request, count) => (count === 0 ? { status: 500, body: { message: "Server Error" } } : undefined));
    await route()(busEvent(push({ truncated: true })));
    expect(compareCalls()).toHaveLength(2);
    expect(startedPipelines()).toEqual(["pw-api"]);
  });

  it("401 from GitHub: starts every pipeline and logs why", async () => {
    const result = await route({ token: "ghs_revoked" })(busEvent(push({ truncated: true })));
    expect(startedPipelines()).toEqual([...ALL_PIPELINES].sort());
    expect(result).toMatchObject({ outcome: "started", everything: true });
    expect(logged(logger.error)).toMatch(/GitHubCallError.*401/);
    expect(logged(logger.warn)).toMatch(/Starting every pipeline: .*401/);
  });

  it("GitHub's file limit reached: starts every pipeline and logs why", async () => {
    github.compare(BEFORE, AFTER, { status: "ahead", files: manyFiles("docs", 300) });
    await route()(busEvent(push({ truncated: true })));
    expect(startedPipelines()).toEqual([...ALL_PIPELINES].sort());
    expect(logged(logger.warn)).toMatch(/at most 300 changed files/);
  });

  it("no token: starts every pipeline without calling GitHub, and logs why", async () => {
    await route({ token: null })(busEvent(push({ truncated: true })));
    expect(github.requests).toEqual([]);
    expect(startedPipelines()).toEqual([...ALL_PIPELINES].sort());
    expect(logged(logger.warn)).toMatch(/no GitHub token/);
  });

  it("the token cannot be read: starts every pipeline and logs why", async () => {
    const handler = makeHandler({
      config,
      logger,
      pipelines: new CodePipelineStarter(new CodePipelineClient({ region: "eu-west-1" })),
      changes: new GitHubChangedFiles({
        client: async () => {
          throw new Error("AccessDeniedException: not allowed to read the secret");
        },
      }),
      order: state.store,
    });
    await handler(busEvent(push({ truncated: true })));
    expect(startedPipelines()).toEqual([...ALL_PIPELINES].sort());
    expect(logged(logger.warn)).toMatch(/not allowed to read the secret/);
  });

  it("created: the compare is impossible, so every pipeline starts without calling GitHub", async () => {
    await route()(busEvent(push({ created: true, before: ZERO })));
    expect(github.requests).toEqual([]);
    expect(startedPipelines()).toEqual([...ALL_PIPELINES].sort());
    expect(logged(logger.warn)).toMatch(/no previous commit to compare with/);
  });
});

describe("failures", () => {
  it("one pipeline fails: the others still start, then a named error names it, its cause, the delivery and commit", async () => {
    codepipeline
      .on(StartPipelineExecutionCommand, { name: "pw-web" })
      .rejects(new PipelineNotFoundException({ message: "Pipeline pw-web does not exist", $metadata: {} }));
    const detail = push({ changedFiles: ["libs/shared/date.ts", "package.json"] });
    const error = (await route()(busEvent(detail)).catch((e: unknown) => e)) as PipelineStartsFailedError;

    expect(startedPipelines()).toEqual(["pw-api", "pw-infra", "pw-web"]);
    expect(error).toBeInstanceOf(PipelineStartsFailedError);
    expect(error.name).toBe("PipelineStartsFailedError");
    expect(error.failures.map((f) => f.pipeline)).toEqual(["pw-web"]);
    expect(error.started.map((s) => s.pipeline).sort()).toEqual(["pw-api", "pw-infra"]);
    expect(error.message).toContain("pw-web (PipelineNotFoundException: Pipeline pw-web does not exist)");
    expect(error.message).toContain(detail.deliveryId);
    expect(error.message).toContain(AFTER);
    expect(error.cause).toBeInstanceOf(AggregateError);
    expect(logged(logger.error)).toMatch(/could not be started/);
  });

  it("a retry after a partial failure starts everything again with the same tokens, so CodePipeline starts only what is missing", async () => {
    codepipeline
      .on(StartPipelineExecutionCommand, { name: "pw-web" })
      .rejectsOnce(new Error("ThrottlingException"))
      .resolves({ pipelineExecutionId: "exec-pw-web" });
    const handler = route();
    const event = busEvent(push({ changedFiles: ["libs/shared/date.ts"] }));
    await expect(handler(event)).rejects.toThrow(PipelineStartsFailedError);
    await handler(event);
    const byPipeline = new Map<string, Set<string | undefined>>();
    for (const input of startedInputs()) {
      byPipeline.set(input.name!, (byPipeline.get(input.name!) ?? new Set()).add(input.clientRequestToken));
    }
    expect([...byPipeline.keys()].sort()).toEqual(["pw-api", "pw-web"]);
    for (const tokens of byPipeline.values()) expect(tokens.size).toBe(1);
  });

  it("an event that is not a push of the bus contract is rejected with a named error", async () => {
    await expect(route()(busEvent({ ...push(), after: "not-a-sha" }))).rejects.toThrow(InvalidPushEventError);
    expect(startedInputs()).toEqual([]);
  });
});

describe("ordering: a push starts a pipeline only if it is newer than the newest push that started it", () => {
  const shared = { changedFiles: ["libs/shared/date.ts"] };
  /** The push that moved main from AFTER to sha("c") a second later, touching one service. */
  const newerWebPush = () =>
    push({ deliveryId: "delivery-newer", before: AFTER, after: sha("c"), pushedAt: PUSHED_AT + 1, changedFiles: ["services/web/a.ts"] });

  /** Forgets the calls and log lines so far: the test looks at the next delivery only. */
  function forget(): void {
    codepipeline.resetHistory();
    state.dynamodb.resetHistory();
    for (const level of [logger.info, logger.warn, logger.error]) level.mockClear();
  }

  /** The attributes of every logged line that carries the PushesIgnored metric. */
  function metricLines(): Array<Record<string, any>> {
    return [...logger.info.mock.calls, ...logger.warn.mock.calls]
      .map((call: unknown[]) => call[1] as Record<string, any>)
      .filter((fields) => fields?.[PUSHES_IGNORED] !== undefined);
  }

  it("an older push delivered after a newer one starts only the pipelines the newer one did not start, and logs each ignored one with the metric", async () => {
    const handler = route();
    await handler(busEvent(newerWebPush()));
    forget();

    const result = await handler(busEvent(push(shared)));

    expect(startedPipelines()).toEqual(["pw-api"]);
    expect(result).toMatchObject({
      outcome: "started",
      started: [{ pipeline: "pw-api", executionId: "exec-pw-api" }],
      ignored: [{ pipeline: "pw-web", reason: "older" }],
    });
    expect(state.table.get("pw-web")?.after).toEqual({ S: sha("c") });
    expect(logged(logger.info)).toContain(
      `Not starting pw-web for commit ${AFTER} (pushed at ${PUSHED_AT}, delivery ${push().deliveryId}): it is older than the push that last started it, commit ${sha("c")} (pushed at ${PUSHED_AT + 1}, delivery delivery-newer)`,
    );
    expect(metricLines()).toEqual([
      expect.objectContaining({
        pipeline: "pw-web",
        commit: AFTER,
        pushedAt: PUSHED_AT,
        newest: { commit: sha("c"), pushedAt: PUSHED_AT + 1, deliveryId: "delivery-newer" },
        Reason: "older",
        [PUSHES_IGNORED]: 1,
        _aws: {
          Timestamp: METRIC_TIME,
          CloudWatchMetrics: [{ Namespace: "pipewright", Dimensions: [["Reason"]], Metrics: [{ Name: PUSHES_IGNORED, Unit: "Count" }] }],
        },
      }),
    ]);
  });

  it("a replay under a new delivery id (an archive replay, a re-sent payload) starts nothing: one line and one metric per pipeline", async () => {
    const handler = route();
    await handler(busEvent(push(shared)));
    forget();

    const result = await handler(busEvent(push({ ...shared, deliveryId: "replayed-delivery" })));

    expect(startedInputs()).toEqual([]);
    expect(result).toMatchObject({
      outcome: "started",
      started: [],
      ignored: [
        { pipeline: "pw-api", reason: "replay" },
        { pipeline: "pw-web", reason: "replay" },
      ],
    });
    expect(metricLines().map((fields) => [fields.pipeline, fields.Reason])).toEqual([
      ["pw-api", "replay"],
      ["pw-web", "replay"],
    ]);
    expect(logged(logger.info)).not.toMatch(/Started pipelines/);
  });

  it("a push of the same second that does not follow the stored one is ignored with a warning; the chained one starts", async () => {
    const handler = route();
    await handler(busEvent(push()));
    forget();

    const unchained = await handler(busEvent(push({ deliveryId: "d-unchained", before: sha("e"), after: sha("f"), pushedAt: PUSHED_AT })));
    const chained = await handler(busEvent(push({ deliveryId: "d-chained", before: AFTER, after: sha("c"), pushedAt: PUSHED_AT })));

    expect(unchained).toMatchObject({ started: [], ignored: [{ pipeline: "pw-api", reason: "ambiguous" }] });
    expect(chained).toMatchObject({ started: [{ pipeline: "pw-api" }], ignored: [] });
    expect(startedInputs().map((input) => input.sourceRevisions?.[0]?.revisionValue)).toEqual([sha("c")]);
    expect(logged(logger.warn)).toMatch(/Not starting pw-api for commit f{40}.*same second.*could roll pw-api back/);
    expect(metricLines()).toEqual([expect.objectContaining({ pipeline: "pw-api", Reason: "ambiguous", [PUSHES_IGNORED]: 1 })]);
  });

  it("when the file list is unknown and every pipeline would start, every pipeline is gated", async () => {
    const handler = route({ token: null });
    await handler(
      busEvent(push({ deliveryId: "delivery-infra", before: AFTER, after: sha("c"), pushedAt: PUSHED_AT + 5, changedFiles: ["infra/main.tf"] })),
    );
    forget();

    const result = await handler(busEvent(push({ truncated: true })));

    expect(result).toMatchObject({ everything: true, ignored: [{ pipeline: "pw-infra", reason: "older" }] });
    expect(startedPipelines()).toEqual(["pw-api", "pw-web"]);
    expect(
      state.dynamodb
        .commandCalls(UpdateItemCommand)
        .map((call) => call.args[0].input.Key?.pipeline?.S)
        .sort(),
    ).toEqual([...ALL_PIPELINES].sort());
  });

  it("a push state that cannot be written starts nothing and fails with a named error; the retry of the delivery then starts everything", async () => {
    let failures = 0;
    state.dynamodb.on(UpdateItemCommand, { Key: { pipeline: { S: "pw-web" } } }).callsFake(async (input) => {
      if (failures++ === 0) throw Object.assign(new Error("Throughput exceeds the current capacity"), { name: "ThrottlingException" });
      return state.table.updateItem(input);
    });
    const handler = route();
    const event = busEvent(push(shared));

    const error = (await handler(event).catch((e: unknown) => e)) as PushClaimFailedError;
    expect(error).toBeInstanceOf(PushClaimFailedError);
    expect(error.message).toMatch(/newest push of pipeline pw-web: ThrottlingException: Throughput exceeds/);
    expect(startedInputs()).toEqual([]);
    expect(logged(logger.error)).toMatch(/Could not record the push; no pipeline was started/);

    await expect(handler(event)).resolves.toMatchObject({ started: [{ pipeline: "pw-api" }, { pipeline: "pw-web" }], ignored: [] });
    expect(startedPipelines()).toEqual(["pw-api", "pw-web"]);
  });

  it("the newer push started after an older one still wins: pipelines never go back to the older commit", async () => {
    const handler = route();
    await handler(busEvent(push(shared)));
    await handler(busEvent(push({ ...shared, deliveryId: "delivery-newer", before: AFTER, after: sha("c"), pushedAt: PUSHED_AT + 1 })));
    await handler(busEvent(push(shared), "evt-late-redelivery"));
    const commits = startedInputs().map((input) => `${input.name}@${input.sourceRevisions?.[0]?.revisionValue?.slice(0, 1)}`);
    expect(commits).toEqual(["pw-api@a", "pw-web@a", "pw-api@c", "pw-web@c"]);
  });
});
