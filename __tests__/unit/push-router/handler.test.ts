import {
  CodePipelineClient,
  PipelineNotFoundException,
  StartPipelineExecutionCommand,
  type StartPipelineExecutionCommandInput,
} from "@aws-sdk/client-codepipeline";
import { mockClient } from "aws-sdk-client-mock";
import { CodePipelineStarter } from "../../../functions/push-router/aws";
import { GitHubChangedFiles } from "../../../functions/push-router/github";
import { InvalidPushEventError, makeHandler } from "../../../functions/push-router/handler";
import { PipelineStartsFailedError } from "../../../functions/push-router/start";
import { clientRequestToken } from "../../../functions/push-router/token";
import { comparison, FakeGitHub, manyFiles } from "./fake-github";
import { AFTER, ALL_PIPELINES, BEFORE, busEvent, config, logged, push, recordingLogger, ZERO } from "./fixtures";

const codepipeline = mockClient(CodePipelineClient);
let github: FakeGitHub;
let logger: ReturnType<typeof recordingLogger>;

beforeEach(async () => {
  codepipeline.reset();
  codepipeline
    .on(StartPipelineExecutionCommand)
    .callsFake((input: StartPipelineExecutionCommandInput) => ({ pipelineExecutionId: `exec-${input.name}` }));
  github = await FakeGitHub.start();
  logger = recordingLogger();
});

afterEach(async () => {
  await github.stop();
});

function route(options: { token?: string | null } = {}) {
  const token = options.token === null ? undefined : async () => options.token ?? "ghs_test";
  return makeHandler({
    config,
    logger,
    pipelines: new CodePipelineStarter(new CodePipelineClient({ region: "eu-west-1" })),
    changes: new GitHubChangedFiles({ repository: config.repository, baseUrl: github.url, token, retryDelayMs: 1 }),
  });
}

const startedInputs = () => codepipeline.commandCalls(StartPipelineExecutionCommand).map((call) => call.args[0].input);
const startedPipelines = () => startedInputs().map((input) => input.name).sort();

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
  });

  it("a push to main whose files belong to no service starts nothing and logs why", async () => {
    const result = await route()(busEvent(push({ changedFiles: ["docs/intro.md", "services/api/README.md"] })));
    expect(result).toMatchObject({ outcome: "started", started: [] });
    expect(startedInputs()).toEqual([]);
    expect(logged(logger.info)).toMatch(/Starting no pipeline: none of the 2 changed file/);
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
    expect(result).toMatchObject({ outcome: "started", everything: false, started: [{ pipeline: "pw-web", executionId: "exec-pw-web" }] });
    expect(github.requests).toEqual([]);
  });

  it("pins the configured source action name", async () => {
    const handler = makeHandler({
      config: { ...config, sourceActionName: "GitHub" },
      logger,
      pipelines: new CodePipelineStarter(new CodePipelineClient({ region: "eu-west-1" })),
      changes: new GitHubChangedFiles({ repository: config.repository, baseUrl: github.url }),
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
    await handler(busEvent(push({ deliveryId: "another-delivery" })));
    const tokens = startedInputs().map((input) => input.clientRequestToken);
    expect(tokens).toHaveLength(3);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
  });
});

describe("pushes whose event cannot list every file", () => {
  it.each<[string, Parameters<typeof push>[0]]>([
    ["truncated", { truncated: true }],
    ["forced", { forced: true }],
  ])("%s: asks the compare API and starts only what it lists", async (_name, overrides) => {
    github.respond(() => ({ status: 200, body: comparison("ahead", ["infra/main.tf"]) }));
    await route()(busEvent(push({ ...overrides, changedFiles: ["services/api/only-in-the-event.ts"] })));
    expect(github.compareCalls()).toEqual([`${BEFORE}...${AFTER} page=1`]);
    expect(startedPipelines()).toEqual(["pw-infra"]);
    expect(logged(logger.info)).toMatch(/compare API/);
  });

  it("pages through the compare API and routes files of later pages", async () => {
    github.respond((request) => ({
      status: 200,
      body: comparison("ahead", request.query.get("page") === "1" ? manyFiles("docs", 100) : ["services/web/late.ts"]),
    }));
    await route()(busEvent(push({ truncated: true })));
    expect(github.compareCalls()).toEqual([`${BEFORE}...${AFTER} page=1`, `${BEFORE}...${AFTER} page=2`]);
    expect(startedPipelines()).toEqual(["pw-web"]);
  });

  it("a force push also deploys the services whose commits it replaced", async () => {
    github.respond((request) =>
      request.path.endsWith(`${BEFORE}...${AFTER}`)
        ? { status: 200, body: comparison("diverged", ["services/api/a.ts"]) }
        : { status: 200, body: comparison("diverged", ["services/web/reverted.ts"]) },
    );
    await route()(busEvent(push({ forced: true })));
    expect(startedPipelines()).toEqual(["pw-api", "pw-web"]);
  });

  it("retries GitHub's 5xx and then routes", async () => {
    github.respond((_request, count) =>
      count === 0 ? { status: 500, body: { message: "Server Error" } } : { status: 200, body: comparison("ahead", ["services/api/a.ts"]) },
    );
    await route()(busEvent(push({ truncated: true })));
    expect(github.compareCalls()).toHaveLength(2);
    expect(startedPipelines()).toEqual(["pw-api"]);
  });

  it("401 from GitHub: starts every pipeline and logs why", async () => {
    github.respond(() => ({ status: 401, body: { message: "Bad credentials" } }));
    const result = await route()(busEvent(push({ truncated: true })));
    expect(startedPipelines()).toEqual([...ALL_PIPELINES].sort());
    expect(result).toMatchObject({ outcome: "started", everything: true });
    expect(logged(logger.error)).toMatch(/GitHubApiError.*401/);
    expect(logged(logger.warn)).toMatch(/Starting every pipeline: .*401/);
  });

  it("GitHub's file limit reached: starts every pipeline and logs why", async () => {
    github.respond((request) => {
      const page = Number(request.query.get("page"));
      return { status: 200, body: comparison("ahead", manyFiles("docs", 100, (page - 1) * 100)) };
    });
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
        repository: config.repository,
        baseUrl: github.url,
        token: async () => {
          throw new Error("AccessDeniedException: not allowed to read the secret");
        },
      }),
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
    codepipeline.on(StartPipelineExecutionCommand, { name: "pw-web" }).rejectsOnce(new Error("ThrottlingException")).resolves({ pipelineExecutionId: "exec-pw-web" });
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
