/**
 * pipewright end to end, on the local sandbox: brought up once with
 * `npm run sandbox -- up`, driven only through real webhook deliveries
 * signed with its secret, observed through the AWS SDK in the emulator,
 * and always brought down again. About 2 minutes, most of it `up`.
 *
 * The sandbox serves three repositories behind one webhook: the shop (two
 * services, where most scenarios run), one with a long name and a service
 * of its own, whose paths overlap the shop's, and the storefront (one
 * container service).
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { GetPipelineStateCommand, PipelineNotFoundException } from "@aws-sdk/client-codepipeline";
import { APPROVE_ACTION_ID, REJECT_ACTION_ID } from "../../functions/shared/slack/approval";
import { sandboxActionOutcomes } from "../../sandbox/commands/up";
import { setActionOutcomes } from "../../sandbox/emulator";
import { findButton, type SignedSlackRequest } from "../../sandbox/slack-requests";
import { loadSandboxConfig } from "../../sandbox/config";
import { REPO_ROOT } from "../../sandbox/paths";
import type { SandboxPipeline, SandboxRepository } from "../../sandbox/state";
import type { Delivery } from "../../sandbox/webhook-client";
import { PlatformNames } from "../../stacks/names";
import { type PlatformRepository, platformRepositories } from "../../stacks/repositories";
import { Identity } from "./support/identities";
import { testImage } from "./support/images";
import { eventually, SandboxWorld } from "./support/observe";
import { commit, pullRequestPayload, pushPayload } from "./support/payloads";
import { SandboxSlackSide } from "./support/slack";
import { useSandbox } from "./support/sandbox";

jest.setTimeout(60_000);

const sandbox = useSandbox();
let world: SandboxWorld;
let slack: SandboxSlackSide;

beforeAll(() => {
  world = new SandboxWorld(sandbox());
  if (world.state.slack === undefined) throw new Error("config/sandbox.json must run Slack in bot mode: state.json has no slack");
  slack = new SandboxSlackSide(world.state.slack);
});

afterAll(() => world?.destroy());

/** The first repository, `pipewright-sandbox/shop`: two services. */
const shop = (): SandboxRepository => world.state.repositories[0] as SandboxRepository;
/** The second, with a long name cut to its short name in its pipelines' names: one service. */
const preferences = (): SandboxRepository => world.state.repositories[1] as SandboxRepository;
/** A repository the sandbox does not serve. */
const UNCONFIGURED = "pipewright-sandbox/not-configured";
/** The README's push to the second repository's main. */
const PREFERENCES_PUSH_SAMPLE = "sandbox/samples/push-preferences-api.json";

/** A pull_request delivery; `minutes` orders deliveries of one pull request (its updated_at). */
function pullRequest(
  number: number,
  action: string,
  headSha: string,
  minutes: number,
  extra: { merged?: boolean; fork?: string; labels?: readonly string[]; label?: string; repository?: string; installation?: number } = {},
): Delivery & { deliveryId: string } {
  const updatedAt = new Date(Date.UTC(2026, 0, 1, 12, minutes));
  const body = JSON.stringify(pullRequestPayload({ repository: shop().repository, number, action, headSha, updatedAt, ...extra }));
  return { event: "pull_request", body, deliveryId: randomUUID() };
}

/** A push to a repository's main branch that touched `modified`. */
function mainPush(repository: SandboxRepository, after: string, modified: readonly string[], pushedAt?: number): Delivery {
  const body = JSON.stringify(
    pushPayload({
      repository: repository.repository,
      ref: `refs/heads/${repository.mainBranch}`,
      before: commit(`${after} before`),
      after,
      modified,
      pushedAt,
    }),
  );
  return { event: "push", body };
}

function prPipelinesOf(number: number, repository: SandboxRepository = shop()): string[] {
  return repository.pipelines.map((p) => `${p.name}-pr-${number}`);
}

/** Every main pipeline of every repository. */
function mainPipelines(): SandboxPipeline[] {
  return world.state.repositories.flatMap((repository) => repository.pipelines);
}

/** Every pipeline and the ids of its executions: what a refused or repeated delivery must leave alone. */
async function snapshot(): Promise<Record<string, string[]>> {
  const names = await world.pipelineNames();
  const entries = await Promise.all(
    names.map(async (name) => [name, (await world.executions(name)).map((e) => e.pipelineExecutionId as string)] as const),
  );
  return Object.fromEntries(entries);
}

async function expectAccepted(delivery: Delivery): Promise<void> {
  const answer = await world.deliver(delivery);
  expect({ status: answer.status, body: JSON.parse(answer.body) }).toEqual({ status: 202, body: expect.objectContaining({ status: "accepted" }) });
}

async function pipelineGone(name: string): Promise<boolean> {
  try {
    await world.declaration(name);
    return false;
  } catch (error) {
    if (error instanceof PipelineNotFoundException) return true;
    throw error;
  }
}

describe("a pull request's life", () => {
  const number = 101;
  const first = commit("pr-101 first");
  const second = commit("pr-101 second");

  it("opened: creates <pipeline>-pr-<number> for every service, V2, running pinned to the head commit", async () => {
    await expectAccepted(pullRequest(number, "opened", first, 0));
    await world.settled();

    expect(await world.pipelineNames()).toEqual(expect.arrayContaining(prPipelinesOf(number)));
    for (const name of prPipelinesOf(number)) {
      const declaration = await world.declaration(name);
      expect(declaration).toMatchObject({ pipelineType: "V2" });
      const source = declaration.stages?.[0]?.actions?.[0];
      expect(source?.configuration).toMatchObject({ BranchName: `feature/pr-${number}`, FullRepositoryId: shop().repository });
      // A pull request can never touch prod: no prod stage, no approval, no action acting in the prod account.
      expect(declaration.stages?.map((s) => s.name)).not.toContain("Prod");
      const actions = (declaration.stages ?? []).flatMap((s) => s.actions ?? []);
      expect(actions.filter((a) => a.actionTypeId?.category === "Approval")).toEqual([]);
      expect(actions.filter((a) => a.roleArn?.includes(`::${world.state.accounts.prod}:`))).toEqual([]);
      const [newest] = await world.executions(name);
      expect(newest).toMatchObject({
        trigger: { triggerType: "StartPipelineExecution" },
        sourceRevisions: [expect.objectContaining({ actionName: "Source", revisionId: first })],
      });
    }
  });

  it("synchronize: re-runs every pull request pipeline pinned to the new head commit", async () => {
    const before = await Promise.all(prPipelinesOf(number).map((name) => world.executions(name)));
    await expectAccepted(pullRequest(number, "synchronize", second, 1));
    await world.settled();

    for (const [index, name] of prPipelinesOf(number).entries()) {
      const executions = await world.executions(name);
      expect(executions).toHaveLength((before[index] as unknown[]).length + 1);
      expect(executions[0]).toMatchObject({ sourceRevisions: [expect.objectContaining({ actionName: "Source", revisionId: second })] });
    }
  });

  it("closed: deletes the pull request pipelines and exactly their artifacts", async () => {
    const keys = (await Promise.all(prPipelinesOf(number).map((name) => world.artifactKeys(name)))).flat();
    expect(keys.length).toBeGreaterThan(0);
    const mainKeys = (await Promise.all(shop().pipelines.map((p) => world.artifactKeys(p.name)))).flat();

    await expectAccepted(pullRequest(number, "closed", second, 2));
    await world.settled();

    for (const name of prPipelinesOf(number)) expect(await pipelineGone(name)).toBe(true);
    for (const key of keys) expect(await world.artifactVersions(key)).toEqual([]);
    // The main pipelines' artifacts are in main's store, which nothing of a pull request touches.
    for (const key of mainKeys) expect(await world.artifactVersions(key, "main")).not.toEqual([]);
  });
});

describe("deliveries that must change nothing", () => {
  it("a redelivery (same X-GitHub-Delivery) of an opened pull request starts nothing", async () => {
    const opened = pullRequest(102, "opened", commit("pr-102"), 0);
    await expectAccepted(opened);
    await world.settled();
    const before = await snapshot();
    expect(before).toHaveProperty(prPipelinesOf(102)[0] as string);

    await expectAccepted(opened);
    await world.settled();
    expect(await snapshot()).toEqual(before);
  });

  it("a late opened after closed does not bring the pipelines back", async () => {
    const number = 103;
    const opened = pullRequest(number, "opened", commit("pr-103"), 0);
    await expectAccepted(opened);
    await expectAccepted(pullRequest(number, "closed", commit("pr-103"), 5));
    await world.settled();
    for (const name of prPipelinesOf(number)) expect(await pipelineGone(name)).toBe(true);

    // GitHub redelivers the opened event, and an opened sent before the close arrives after it.
    await expectAccepted(opened);
    await expectAccepted(pullRequest(number, "opened", commit("pr-103"), 1));
    await world.settled();
    for (const name of prPipelinesOf(number)) expect(await pipelineGone(name)).toBe(true);
  });
});

describe("a push to the main branch", () => {
  it("touching one service starts only that service's pipeline, pinned to the pushed commit", async () => {
    const [target, ...others] = [...shop().pipelines].reverse() as [SandboxPipeline, ...SandboxPipeline[]];
    const file = (target.include[0] as string).replace("**", "src/handler.ts");
    const before = await Promise.all([target, ...others].map((p) => world.executions(p.name)));
    const after = commit("push one service");

    await expectAccepted(mainPush(shop(), after, [file]));
    await world.settled();

    const targetRuns = await world.executions(target.name);
    expect(targetRuns).toHaveLength((before[0] as unknown[]).length + 1);
    expect(targetRuns[0]).toMatchObject({
      trigger: { triggerType: "StartPipelineExecution" },
      sourceRevisions: [expect.objectContaining({ actionName: "Source", revisionId: after })],
    });
    for (const [index, other] of others.entries()) expect(await world.executions(other.name)).toEqual(before[index + 1]);
  });
});

describe("a pull request from a fork", () => {
  const number = 105;
  const fork = { fork: "stranger/shop" };
  const label = (platformRepositories(loadSandboxConfig())[0] as PlatformRepository).forkPullRequestLabel;

  it("runs nothing until a maintainer labels it, then only the labeled commit: a later push waits for a new label", async () => {
    const reviewed = commit("pr-105 reviewed");
    const unreviewed = commit("pr-105 pushed after the label");
    await expectAccepted(pullRequest(number, "opened", reviewed, 0, fork));
    await world.settled();
    const names = await world.pipelineNames();
    for (const name of prPipelinesOf(number)) expect(names).not.toContain(name);

    await expectAccepted(pullRequest(number, "labeled", reviewed, 1, { ...fork, labels: [label], label }));
    await world.settled();
    for (const name of prPipelinesOf(number)) {
      expect((await world.executions(name))[0]).toMatchObject({ sourceRevisions: [expect.objectContaining({ revisionId: reviewed })] });
    }
    const afterLabel = await snapshot();

    // The label is still on the pull request when the fork pushes again.
    await expectAccepted(pullRequest(number, "synchronize", unreviewed, 2, { ...fork, labels: [label] }));
    await world.settled();
    expect(await snapshot()).toEqual(afterLabel);

    // A maintainer reviews the new head and labels again: now it runs.
    await expectAccepted(pullRequest(number, "labeled", unreviewed, 3, { ...fork, labels: [label], label }));
    await world.settled();
    for (const name of prPipelinesOf(number)) {
      expect((await world.executions(name))[0]).toMatchObject({ sourceRevisions: [expect.objectContaining({ revisionId: unreviewed })] });
    }
  });
});

describe("pushes never go backwards", () => {
  it("a push older than one already started, or a replay of it under a new delivery id, starts nothing", async () => {
    const [target] = shop().pipelines as [SandboxPipeline];
    const file = (target.include[0] as string).replace("**", "src/order.ts");
    const push = (label: string, pushedAt: number, before: string) =>
      JSON.stringify(
        pushPayload({
          repository: shop().repository,
          ref: `refs/heads/${shop().mainBranch}`,
          before,
          after: commit(label),
          modified: [file],
          pushedAt,
        }),
      );
    // An hour ahead of every other push of this file, whose pushed_at is the current second.
    const newerAt = Math.floor(Date.now() / 1000) + 3600;
    await expectAccepted({ event: "push", body: push("order newer", newerAt, commit("order older")) });
    await world.settled();
    const afterNewer = await world.executions(target.name);
    expect(afterNewer[0]).toMatchObject({ sourceRevisions: [expect.objectContaining({ revisionId: commit("order newer") })] });

    // GitHub redelivers the older push late; then someone replays the newer one with a fresh delivery id.
    await expectAccepted({ event: "push", body: push("order older", newerAt - 60, commit("order oldest")) });
    await expectAccepted({ event: "push", body: push("order newer", newerAt, commit("order older")), deliveryId: randomUUID() });
    await world.settled();
    expect(await world.executions(target.name)).toEqual(afterNewer);
  });
});

describe("two repositories behind one webhook", () => {
  it("a pull request creates only its own repository's pipelines, also when the other has one of the same number", async () => {
    const number = 201;
    const shopHead = commit("shop pr-201");
    await expectAccepted(pullRequest(number, "opened", shopHead, 0));
    await world.settled();
    const afterShop = await snapshot();
    expect(Object.keys(afterShop)).toEqual(expect.arrayContaining(prPipelinesOf(number)));
    for (const name of prPipelinesOf(number, preferences())) expect(afterShop).not.toHaveProperty(name);

    const preferencesHead = commit("preferences pr-201");
    await expectAccepted(pullRequest(number, "opened", preferencesHead, 0, { repository: preferences().repository }));
    await world.settled();
    const afterBoth = await snapshot();
    for (const name of prPipelinesOf(number, preferences())) {
      const source = (await world.declaration(name)).stages?.[0]?.actions?.[0];
      expect(source?.configuration).toMatchObject({ FullRepositoryId: preferences().repository });
      expect((await world.executions(name))[0]).toMatchObject({ sourceRevisions: [expect.objectContaining({ revisionId: preferencesHead })] });
    }
    for (const name of prPipelinesOf(number)) expect(afterBoth[name]).toEqual(afterShop[name]);
  });

  it("a push to one repository's main starts only its pipelines: none of the other's, though their globs match a path too", async () => {
    const [target] = preferences().pipelines as [SandboxPipeline];
    // The README's sample: api/ and libs/shared/, which every service of every repository includes.
    const sample = JSON.parse(readFileSync(path.join(REPO_ROOT, PREFERENCES_PUSH_SAMPLE), "utf8"));
    expect(sample.repository.full_name).toBe(preferences().repository);
    expect(sample.head_commit.modified).toContain("libs/shared/src/format.ts");
    expect(mainPipelines().every((p) => p.include.includes("libs/shared/**"))).toBe(true);
    const before = await Promise.all(mainPipelines().map((p) => world.executions(p.name)));

    expect(await sandbox.cli(["send", "push", PREFERENCES_PUSH_SAMPLE])).toMatch(/^HTTP 202 /m);
    await world.settled();

    const targetRuns = await world.executions(target.name);
    expect(targetRuns[0]).toMatchObject({ sourceRevisions: [expect.objectContaining({ actionName: "Source", revisionId: sample.after })] });
    for (const [index, pipeline] of mainPipelines().entries()) {
      const runs = await world.executions(pipeline.name);
      if (pipeline === target) expect(runs).toHaveLength((before[index] as unknown[]).length + 1);
      else expect({ pipeline: pipeline.name, runs }).toEqual({ pipeline: pipeline.name, runs: before[index] });
    }
  });

  it("a delivery of a repository that is not configured: 202 ignored, and nothing changes", async () => {
    const before = await snapshot();
    const answer = await world.deliver(pullRequest(202, "opened", commit("unconfigured pr-202"), 0, { repository: UNCONFIGURED }));
    expect({ status: answer.status, body: JSON.parse(answer.body) }).toEqual({
      status: 202,
      body: expect.objectContaining({ status: "ignored" }),
    });
    // The CLI moves a sample to another repository, and says when the sandbox does not serve it.
    const sent = await sandbox.cli(["send", "push", "sandbox/samples/push-orders.json", "--repository", UNCONFIGURED]);
    expect(sent).toContain(`${UNCONFIGURED} is not a repository of this sandbox`);
    expect(sent).toMatch(/^HTTP 202 /m);
    expect(sent).toMatch(/"status":\s*"ignored"/);
    await world.settled();
    expect(await snapshot()).toEqual(before);
  });

  it("a GitHub App's delivery (with installation) of a configured repository is accepted and handled like any other", async () => {
    const number = 203;
    const head = commit("app pr-203");
    await expectAccepted(pullRequest(number, "opened", head, 0, { installation: 42 }));
    await world.settled();
    for (const name of prPipelinesOf(number)) {
      expect((await world.executions(name))[0]).toMatchObject({ sourceRevisions: [expect.objectContaining({ revisionId: head })] });
    }
  });
});

describe("who can reach what: each identity acts with its own credentials, and the emulator checks IAM", () => {
  const names = new PlatformNames(loadSandboxConfig());
  let admin: Identity;
  let buckets: { main: string; pr: string };
  let keys: { main: string; pr: string };
  const role = (account: "build" | "dev" | "prod", name: string) => `arn:aws:iam::${world.state.accounts[account]}:role/${name}`;
  const service = () => ({ name: (shop().pipelines[0] as SandboxPipeline).service });

  beforeAll(async () => {
    admin = new Identity(world.state, "build administrator", world.state.credentials.build);
    buckets = { main: world.state.resources.artifactBucket, pr: world.state.resources.prArtifactBucket };
    keys = { main: await admin.bucketKey(buckets.main), pr: await admin.bucketKey(buckets.pr) };
  });

  it("the PR CodeBuild role, which runs a pull request's code, writes the PR store and its own build logs, never main's", async () => {
    const prBuild = Identity.serviceRole(world.state, "build", names.prCodeBuildRole);
    const mainProject = names.codeBuildProjects(service()).build;
    expect(await prBuild.putArtifact(buckets.pr, keys.pr, "e2e/pr-build-output")).toBe("allowed");
    // What `aws cloudformation package` would overwrite for the next prod deployment:
    expect(await prBuild.putArtifact(buckets.main, keys.main, "packages/e2e-from-a-pull-request")).toBe("refused");
    expect(await prBuild.writeBuildLog(`/aws/codebuild/${names.prCodeBuildProject(mainProject)}`)).toBe("allowed");
    expect(await prBuild.writeBuildLog(`/aws/codebuild/${mainProject}`)).toBe("refused");
  });

  it("main's CodeBuild role writes main's store and never the pull requests'", async () => {
    const mainBuild = Identity.serviceRole(world.state, "build", names.codeBuildRole);
    expect(await mainBuild.putArtifact(buckets.main, keys.main, "e2e/main-build-output")).toBe("allowed");
    expect(await mainBuild.putArtifact(buckets.pr, keys.pr, "e2e/main-into-pr")).toBe("refused");
    // Encrypted with the wrong key, even its own store refuses the object.
    expect(await mainBuild.putArtifact(buckets.main, keys.pr, "e2e/other-key")).toBe("refused");
  });

  it("the PR pipeline role assumes only dev's preview door: not prod's deploy role, not main's door in dev", async () => {
    const prPipeline = Identity.serviceRole(world.state, "build", names.prPipelineRole);
    expect(await prPipeline.assume(role("dev", names.previewDeployRole))).toBeInstanceOf(Identity);
    expect(await prPipeline.assume(role("prod", names.deployRole))).toBe("refused");
    expect(await prPipeline.assume(role("dev", names.deployRole))).toBe("refused");
  });

  it("main's pipeline role comes through main's doors only, and they only read the artifact store", async () => {
    const mainPipeline = Identity.serviceRole(world.state, "build", names.pipelineRole);
    expect(await mainPipeline.assume(role("dev", names.previewDeployRole))).toBe("refused");
    for (const account of ["dev", "prod"] as const) {
      const deploy = await mainPipeline.assume(role(account, names.deployRole));
      if (deploy === "refused") throw new Error(`main's pipeline role could not assume ${account}'s deploy role`);
      expect({ account, put: await deploy.putArtifact(buckets.main, keys.main, `packages/e2e-from-${account}`) }).toEqual({
        account,
        put: "refused",
      });
    }
    // Trust is exact: an administrator of the build account is not the pipeline role.
    expect(await admin.assume(role("prod", names.deployRole))).toBe("refused");
  });

  it("the preview execution role creates roles only under the boundary and only for preview stacks, and cannot remove the boundary", async () => {
    const previewExec = Identity.serviceRole(world.state, "dev", names.previewCloudFormationExecutionRole);
    const boundary = `arn:aws:iam::${world.state.accounts.dev}:policy/${names.applicationBoundaryPolicy}`;
    const preview = `${names.applicationStackPrefix(service())}-pr-901`;
    expect(await previewExec.createRole(`${preview}-NoBoundary`)).toBe("refused");
    expect(
      await previewExec.createRole(`${preview}-OtherBoundary`, `arn:aws:iam::${world.state.accounts.dev}:policy/${names.project}-wide-open`),
    ).toBe("refused");
    expect(await previewExec.createRole(`${names.applicationStacks(service(), "dev")}-FromAPullRequest`, boundary)).toBe("refused");
    expect(await previewExec.createRole(`${preview}-AppFunctionRole`, boundary)).toBe("allowed");
    expect(await previewExec.removeBoundary(`${preview}-AppFunctionRole`)).toBe("refused");
  });

  it("the Slack worker answers only the main pipelines' approval actions and starts no pull request pipeline; the Slack front does neither", async () => {
    const pipeline = (shop().pipelines[0] as SandboxPipeline).name;
    const worker = Identity.serviceRole(world.state, "build", names.slackActionsFunction);
    expect(await worker.answerApproval(pipeline, "Prod", "Approve")).toBe("allowed");
    expect(await worker.answerApproval(pipeline, "Dev", "Deploy")).toBe("refused");
    expect(await worker.answerApproval(`${pipeline}-pr-7`, "Prod", "Approve")).toBe("refused");
    expect(await worker.startPipeline(`${pipeline}-pr-7`)).toBe("refused");
    const front = Identity.serviceRole(world.state, "build", names.slackFunction);
    expect(await front.answerApproval(pipeline, "Prod", "Approve")).toBe("refused");
    expect(await front.startPipeline(pipeline)).toBe("refused");
  });

  it("a pipewright.slack event put by anyone but the Slack front is refused", async () => {
    const forged = {
      kind: "command",
      requestId: randomUUID(),
      receivedAt: new Date().toISOString(),
      request: { body: "", timestamp: "0", signature: "v0=" },
    };
    // An administrator of the build account: allowed everything by its own policy, refused by the bus's.
    expect(await admin.putEvent(world.state.resources.githubBus, "pipewright.slack", "Slack request", forged)).toBe("refused");
  });

  it("a pipewright.github event put by anyone but the webhook is refused, and starts nothing", async () => {
    const before = await snapshot();
    const forged = { deliveryId: randomUUID(), repository: shop().repository, ref: `refs/heads/${shop().mainBranch}` };
    // An administrator of the build account: allowed everything by its own policy, refused by the bus's.
    expect(await admin.putEvent(world.state.resources.githubBus, "pipewright.github", "push", forged)).toBe("refused");
    const prBuild = Identity.serviceRole(world.state, "build", names.prCodeBuildRole);
    expect(await prBuild.putEvent(world.state.resources.githubBus, "pipewright.github", "push", forged)).toBe("refused");
    // The same administrator may put other events on the bus: the policy is about speaking for GitHub.
    expect(await admin.putEvent(world.state.resources.githubBus, "e2e.other", "note", {})).toBe("allowed");
    await world.settled();
    expect(await snapshot()).toEqual(before);
  });
});

describe("refused deliveries", () => {
  const body = () =>
    JSON.stringify(
      pullRequestPayload({ repository: shop().repository, number: 104, action: "opened", headSha: commit("pr-104"), updatedAt: new Date() }),
    );

  it.each([
    {
      what: "a bad signature",
      status: 401,
      delivery: () => ({ event: "pull_request", body: body(), headers: { "x-hub-signature-256": `sha256=${"0".repeat(64)}` } }),
    },
    { what: "no signature", status: 401, delivery: () => ({ event: "pull_request", body: body(), headers: { "x-hub-signature-256": undefined } }) },
    {
      what: "no X-GitHub-Event header",
      status: 400,
      delivery: () => ({ event: "pull_request", body: body(), headers: { "x-github-event": undefined } }),
    },
    {
      what: "no X-GitHub-Delivery header",
      status: 400,
      delivery: () => ({ event: "pull_request", body: body(), headers: { "x-github-delivery": undefined } }),
    },
    { what: "a body that is not JSON (correctly signed)", status: 400, delivery: () => ({ event: "pull_request", body: '{"action": "opened", ' }) },
  ])("$what: $status, and nothing changes", async ({ delivery, status }) => {
    const before = await snapshot();
    const answer = await world.deliver(delivery());
    expect(answer.status).toBe(status);
    await world.settled();
    expect(await snapshot()).toEqual(before);
  });

  it("a body over 10 MB: 413 from the HTTP API, and nothing changes", async () => {
    const before = await snapshot();
    const oversized = JSON.stringify({ ...JSON.parse(body()), padding: "x".repeat(10 * 1024 * 1024) });
    const answer = await world.deliver({ event: "pull_request", body: oversized });
    expect({ status: answer.status, body: JSON.parse(answer.body) }).toEqual({ status: 413, body: { message: "Request Entity Too Large" } });
    await world.settled();
    expect(await snapshot()).toEqual(before);
  });
});

describe("the README's walk-through", () => {
  it("npm run sandbox -- send with the sample payloads: pull request 7 opened gets its pipelines, closed removes them", async () => {
    const names = prPipelinesOf(7);
    const opened = await sandbox.cli(["send", "pull_request", "sandbox/samples/pull-request-opened.json"]);
    expect(opened).toMatch(/^HTTP 202 \(delivery [0-9a-f-]{36}\)$/m);
    await world.settled();
    expect(await world.pipelineNames()).toEqual(expect.arrayContaining(names));

    const closed = await sandbox.cli(["send", "pull_request", "sandbox/samples/pull-request-closed.json"]);
    expect(closed).toMatch(/^HTTP 202 /m);
    await world.settled();
    for (const name of names) expect(await pipelineGone(name)).toBe(true);
  });

  it("npm run sandbox -- send with a payload file that does not exist: exit 1, naming the file and the fix", async () => {
    const failure = sandbox.cli(["send", "pull_request", "samples/missing.json"]);
    await expect(failure).rejects.toThrow(/exited with 1:[\s\S]*Cannot read the payload file samples\/missing\.json \(ENOENT\)\. Fix: /);
    await expect(failure).rejects.not.toThrow(/\n\s+at /); // a message, not a stack trace
  });

  it("npm run sandbox -- status reports a running sandbox", async () => {
    const output = await sandbox.cli(["status"]);
    expect(output).toMatch(/^up +webhook at http:\/\/127\.0\.0\.1:\d+\/webhook$/m);
    expect(output).toMatch(/^up +AWS emulator/m);
    expect(output).not.toMatch(/DOWN/);
  });
});

describe("a pipeline failure", () => {
  it("a build that fails reaches the notifier through CodePipeline's own events: an e-mail on the SNS topic, a reply in the execution's Slack thread", async () => {
    const pipeline = (shop().pipelines[1] as SandboxPipeline).name;
    const endpoint = world.state.awsEndpoint;
    const inbox = await world.subscribeToNotifications();
    await setActionOutcomes({ endpoint }, [
      { pipeline, stage: "Build", outcome: "Failed", summary: "e2e: the unit tests failed" },
      ...sandboxActionOutcomes("pipewright"),
    ]);
    let executionId: string;
    try {
      executionId = await world.startExecution(pipeline);
    } finally {
      await setActionOutcomes({ endpoint }, sandboxActionOutcomes("pipewright"));
    }

    const message = await eventually(async () => {
      const failed = (await inbox.receive()).find((m) => m.body.includes(executionId));
      if (failed === undefined) throw new Error(`No notification of execution ${executionId} published yet`);
      return failed;
    }, 30_000);
    expect(message.subject).toContain(pipeline);
    expect(message.subject).toMatch(/fail/i);
    expect(message.body).toContain("e2e: the unit tests failed");
    await eventually(async () => {
      const texts = (await slack.recorded())
        .filter((call) => call.kind === "postMessage" && call.thread_ts !== undefined)
        .map((call) => JSON.stringify(call.body));
      expect(texts.some((text) => text.includes(pipeline) && text.includes("e2e: the unit tests failed"))).toBe(true);
    }, 30_000);
  });
});

describe("Slack as a control room", () => {
  const STRANGER = "U0STRANGER1";
  const orders = () => shop().pipelines[0] as SandboxPipeline;
  const ordersFile = () => (orders().include[0] as string).replace("**", "src/handler.ts");

  async function executionAt(pipeline: string, sha: string): Promise<string> {
    const run = (await world.executions(pipeline)).find((e) => e.sourceRevisions?.some((r) => r.revisionId === sha));
    if (run?.pipelineExecutionId === undefined) throw new Error(`No execution of ${pipeline} at ${sha} yet`);
    return run.pipelineExecutionId;
  }

  async function approvalAction(pipeline: string) {
    const state = await world.pipelines.send(new GetPipelineStateCommand({ name: pipeline }));
    const prod = state.stageStates?.find((stage) => stage.stageName === "Prod");
    return prod?.actionStates?.find((action) => action.actionName === "Approve")?.latestExecution;
  }

  it("a push runs to the approval, posted with buttons; a stranger's click is refused and changes nothing; an approver's approves and prod deploys", async () => {
    const after = commit("slack approval");
    // Later than "pushes never go backwards"' push of this service, which is an hour ahead.
    await expectAccepted(mainPush(shop(), after, [ordersFile()], Math.floor(Date.now() / 1000) + 2 * 3600));
    const executionId = await eventually(() => executionAt(orders().name, after));
    const approval = await eventually(() => slack.approvalOf(orders().name, executionId), 30_000);
    expect(approval.target).toEqual({ pipeline: orders().name, stage: "Prod", action: "Approve", executionId });
    expect(findButton(approval.message, "pipewright_approval", REJECT_ACTION_ID)).toBeDefined();

    const refused = await slack.click(approval, APPROVE_ACTION_ID, { userId: STRANGER });
    expect(refused.answer.status).toBe(200);
    expect(await eventually(async () => (await slack.answersAt(refused.responseUrl))[0] ?? Promise.reject(new Error("no answer yet")))).toMatch(
      /may not approve/,
    );
    await world.settled();
    expect(await approvalAction(orders().name)).toMatchObject({ status: "InProgress" });

    const approved = await slack.click(approval, APPROVE_ACTION_ID, { comment: "change set reviewed" });
    expect(approved.answer.status).toBe(200);
    await eventually(async () => {
      const run = (await world.executions(orders().name)).find((e) => e.pipelineExecutionId === executionId);
      expect(run?.status).toBe("Succeeded");
    }, 30_000);
    expect(await approvalAction(orders().name)).toMatchObject({
      status: "Succeeded",
      summary: expect.stringMatching(/U0APPROVER1.*change set reviewed/),
    });
    const updated = await eventually(() => slack.updateOf(approval.message.ts as string));
    expect(updated).toContain("Approved by <@U0APPROVER1>");
    expect(updated).not.toContain(APPROVE_ACTION_ID);
  });

  it("/pipewright deploy orders <sha> starts a run pinned to the commit; a stranger's deploy starts nothing", async () => {
    const sha = commit("deployed from slack");
    const refused = await slack.command(`deploy orders ${sha}`, { userId: STRANGER });
    expect(await eventually(async () => (await slack.answersAt(refused.responseUrl))[0] ?? Promise.reject(new Error("no answer yet")))).toMatch(
      /may not deploy orders/,
    );
    await world.settled();
    await expect(executionAt(orders().name, sha)).rejects.toThrow();

    const started = await slack.command(`deploy orders ${sha}`);
    expect(started.answer.status).toBe(200);
    const executionId = await eventually(() => executionAt(orders().name, sha));
    expect(await eventually(async () => (await slack.answersAt(started.responseUrl))[0] ?? Promise.reject(new Error("no answer yet")))).toContain(
      executionId,
    );
  });

  const forged = (signature: string) => (request: SignedSlackRequest) => ({
    ...request,
    headers: { ...request.headers, "x-slack-signature": signature },
  });
  it.each([
    { what: "unsigned", sender: { tamper: forged("") } },
    { what: "wrongly signed", sender: { tamper: forged(`v0=${"0".repeat(64)}`) } },
    { what: "10 minutes old", sender: { sentAt: new Date(Date.now() - 10 * 60_000) } },
  ])("a $what request gets 401 and changes nothing", async ({ sender }) => {
    const before = await snapshot();
    const exchange = await slack.command(`deploy orders ${commit("never deployed")}`, sender);
    expect(exchange.answer.status).toBe(401);
    await world.settled();
    expect(await snapshot()).toEqual(before);
    expect(await slack.answersAt(exchange.responseUrl)).toEqual([]);
  });
});

describe("a container service", () => {
  const names = new PlatformNames(loadSandboxConfig());
  /** The third repository, `pipewright-sandbox/storefront`: one container service, without previews. */
  const storefront = (): SandboxRepository => world.state.repositories[2] as SandboxRepository;
  const web = (): SandboxPipeline => storefront().pipelines[0] as SandboxPipeline;
  const service = () => ({ name: web().service });
  const repositories = () => ({ main: names.imageRepository(service()), pr: names.prImageRepository(service()) });

  it("has the Lambda services' stages, with an image build; its repositories are immutable, scanned on push and encrypted with its zone's key", async () => {
    const declaration = await world.declaration(web().name);
    expect(declaration.stages?.map((stage) => stage.name)).toEqual(["Source", "Build", "Dev", "IntegrationTests", "Prod"]);
    const build = declaration.stages?.[1]?.actions?.[0];
    expect(build).toMatchObject({
      name: "BuildImage",
      actionTypeId: { category: "Build", provider: "CodeBuild" },
      namespace: "BuildVariables",
      configuration: { ProjectName: names.codeBuildProjects(service()).build },
    });
    // The dev and prod change sets read the template configurations the build wrote with the image's digest.
    const [devChangeSet] = declaration.stages?.[2]?.actions ?? [];
    expect(devChangeSet?.configuration).toMatchObject({ TemplatePath: "BuildOutput::packaged.yaml", TemplateConfiguration: "BuildOutput::dev.json" });

    const keys = {
      main: await world.bucketKey(world.state.resources.artifactBucket),
      pr: await world.bucketKey(world.state.resources.prArtifactBucket),
    };
    for (const zone of ["main", "pr"] as const) {
      expect(await world.imageRepository(repositories()[zone])).toMatchObject({
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: { encryptionType: "KMS", kmsKey: keys[zone] },
      });
    }
  });

  it("a push touching its paths starts its pipeline pinned to the pushed commit, and no other", async () => {
    const others = mainPipelines().filter((pipeline) => pipeline.name !== web().name);
    const before = await Promise.all([web(), ...others].map((pipeline) => world.executions(pipeline.name)));
    const after = commit("storefront push");

    await expectAccepted(mainPush(storefront(), after, [(web().include[0] as string).replace("**", "src/server.mjs")]));
    await world.settled();

    const runs = await world.executions(web().name);
    expect(runs).toHaveLength((before[0] as unknown[]).length + 1);
    expect(runs[0]).toMatchObject({ sourceRevisions: [expect.objectContaining({ actionName: "Source", revisionId: after })] });
    for (const [index, other] of others.entries()) expect(await world.executions(other.name)).toEqual(before[index + 1]);
  });

  it("a pull request's pipeline builds and tests the image in the PR project, pushing to the PR repository, and deploys nowhere", async () => {
    const number = 301;
    const head = commit("storefront pr-301");
    await expectAccepted(pullRequest(number, "opened", head, 0, { repository: storefront().repository }));
    await world.settled();

    const name = `${web().name}-pr-${number}`;
    const declaration = await world.declaration(name);
    // preview: false (the default for containers): no Dev, so no IntegrationTests; never Prod.
    expect(declaration.stages?.map((stage) => stage.name)).toEqual(["Source", "Build"]);
    const prProject = names.prCodeBuildProject(names.codeBuildProjects(service()).build);
    expect(declaration.stages?.[1]?.actions?.[0]?.configuration).toMatchObject({ ProjectName: prProject });
    expect(declaration.roleArn).toBe(`arn:aws:iam::${world.state.accounts.build}:role/${names.prPipelineRole}`);
    const [newest] = await world.executions(name);
    expect(newest).toMatchObject({ sourceRevisions: [expect.objectContaining({ actionName: "Source", revisionId: head })] });

    await expectAccepted(pullRequest(number, "closed", head, 1, { repository: storefront().repository }));
    await world.settled();
    expect(await pipelineGone(name)).toBe(true);
  });

  it("only main's builds push to main's repository and only the pull requests' to theirs; only dev's and prod's pull roles pull main's images", async () => {
    const { main, pr } = repositories();
    const build = world.state.accounts.build;
    const mainBuild = Identity.serviceRole(world.state, "build", names.codeBuildRole);
    const prBuild = Identity.serviceRole(world.state, "build", names.prCodeBuildRole);
    const tested = testImage("tested on main");
    const fromAPullRequest = testImage("a pull request's image");

    expect(await mainBuild.pushImage(main, tested, commit("main image"))).toBe("allowed");
    expect(await prBuild.pushImage(main, fromAPullRequest, commit("main image from a pull request"))).toBe("refused");
    expect(await prBuild.pushImage(pr, fromAPullRequest, commit("pull request image"))).toBe("allowed");
    expect(await mainBuild.pushImage(pr, tested, commit("main into the pull requests' repository"))).toBe("refused");
    // The repository policy refuses pushes by anyone but main's CodeBuild role, an administrator of the build account too.
    const buildAdministrator = new Identity(world.state, "build administrator", world.state.credentials.build);
    expect(await buildAdministrator.pushImage(main, fromAPullRequest, commit("main image from an administrator"))).toBe("refused");

    for (const account of ["dev", "prod"] as const) {
      const pull = Identity.serviceRole(world.state, account, names.imagePullRole);
      expect({ account, main: await pull.pullImage(build, main, tested.digest) }).toEqual({ account, main: "allowed" });
      // Main's deployments never read a pull request's image.
      expect({ account, pr: await pull.pullImage(build, pr, fromAPullRequest.digest) }).toEqual({ account, pr: "refused" });
    }
    // Other roles of dev, even one that deploys there, are not named by the repository policy.
    const devExecution = Identity.serviceRole(world.state, "dev", names.cloudFormationExecutionRole);
    expect(await devExecution.pullImage(build, main, tested.digest)).toBe("refused");
  });
});

describe("after all deliveries", () => {
  it("no event was dead-lettered: every function succeeded with its own role's permissions", async () => {
    await world.settled();
    for (const [fn, url] of Object.entries(world.state.resources.deadLetterQueues)) {
      await eventually(async () => expect({ fn, depth: await world.queueDepth(url) }).toEqual({ fn, depth: 0 }), 1_000);
    }
  });
});
