import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import * as path from "node:path";
import type { PipewrightConfig } from "../../stacks/config";
import { PlatformNames } from "../../stacks/names";
import { platformRepositories, platformServices } from "../../stacks/repositories";
import {
  createAdministrators,
  createProvisioningRoles,
  enableIamChecks,
  functionCredentials,
  newSlackAppCredentials,
  serviceRoleCredentials,
  setSlackSecrets,
  setWebhookSecret,
  type SlackAppCredentials,
} from "../accounts";
import { applyStacks, initStacks } from "../apply";
import { loadSandboxConfig, slackBotSettings } from "../config";
import { DaemonClient } from "../daemon-client";
import { ManifestError, SandboxAlreadyRunningError } from "../errors";
import { unpackFunction } from "../function-code";
import { REPO_ROOT, removeSandboxFiles, type SandboxPaths } from "../paths";
import { requireTerraform } from "../prerequisites";
import { isOurs, PROCESS_MARKERS } from "../processes";
import { Progress } from "../progress";
import { type ActionOutcomeRule, setActionOutcomes } from "../emulator";
import { manifestFromState, type RunnableFunction, type RuntimeManifest, routeUrl } from "../runtime/manifest";
import { DELIVERY_TARGET_ID } from "../sandbox-resources";
import { readState, removeState, type SandboxSlack, type SandboxState, writeState } from "../state";
import { synthesizeSandbox } from "../synth";
import { TerraformState } from "../tfstate";

export interface UpOptions {
  readonly paths: SandboxPaths;
  /** @default config/sandbox.json */
  readonly configFile?: string;
  /** Execution environments per function at most. */
  readonly maxEnvironments: number;
  /** Log every request the emulator serves (slows it down under load). */
  readonly logEmulatorRequests?: boolean;
  readonly write?: (line: string) => void;
}

function ensureNotRunning(paths: SandboxPaths): void {
  const state = readState(paths.stateFile);
  if (!state) return;
  const alive = (["daemon", "emulator"] as const)
    .filter((which) => isOurs(state.processes[which], PROCESS_MARKERS[which]))
    .map((which) => state.processes[which]);
  if (alive.length > 0) throw new SandboxAlreadyRunningError(paths.stateFile, alive);
}

function resetSandboxDir(paths: SandboxPaths): void {
  mkdirSync(paths.dir, { recursive: true });
  removeSandboxFiles(paths, { includingLogs: true });
  mkdirSync(paths.logDir, { recursive: true });
}

/** The HTTP API's routes the sandbox hands out: GitHub's webhook and the Slack app's. */
const WEBHOOK_ROUTE = "POST /webhook";
const SLACK_COMMANDS_ROUTE = "POST /slack/commands";
const SLACK_INTERACTIONS_ROUTE = "POST /slack/interactions";

/**
 * What the emulator does with the actions CodePipeline would run (builds, deploys, tests):
 * pull request pipelines' stay InProgress, as before; main pipelines' succeed, so a push
 * runs to the prod approval, where Slack's buttons come in. First match wins.
 */
export function sandboxActionOutcomes(projectName: string): ActionOutcomeRule[] {
  return [
    { pipeline: "*-pr-[0-9]*", outcome: "InProgress" },
    { pipeline: `${projectName}-*`, outcome: "Succeeded" },
  ];
}

/**
 * `count` distinct free loopback ports, chosen before the emulator and the Slack stand-in
 * start so the stacks can be synthesized for them meanwhile. All are held until all are
 * chosen, so no two are the same.
 */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => {
              const address = server.address();
              if (typeof address === "object" && address) resolve(address.port);
              else reject(new Error("no port"));
            });
          }),
      ),
    );
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))));
  }
}

/** The ARN of one of the Slack app's secrets, which the build stack creates in bot mode. */
function slackSecretArn(build: TerraformState, name: string): string {
  const [secret, ...others] = build.resources("aws_secretsmanager_secret").filter((s) => s.name === name);
  if (!secret || others.length > 0) {
    throw new ManifestError(
      `The build stack has ${secret ? "several secrets" : "no secret"} named ${name}, which bot mode (notifications.slack) needs`,
    );
  }
  return String(secret.arn);
}

/** Every repository with its services' main pipelines, each of which the build stack must deploy. */
function repositoriesOf(config: PipewrightConfig, deployed: readonly string[]): SandboxState["repositories"] {
  const names = new PlatformNames(config);
  const services = platformServices(config);
  return platformRepositories(config).map((repository, repositoryIndex) => ({
    repository: repository.repository,
    mainBranch: repository.mainBranch,
    pipelines: services
      .filter((service) => service.repositoryIndex === repositoryIndex)
      .map((service) => {
        const name = names.pipeline(service);
        if (!deployed.includes(name)) throw new ManifestError(`The build stack does not deploy pipeline ${name} (it has ${deployed.join(", ")})`);
        return { service: service.name, name, include: service.include, exclude: service.exclude };
      }),
  }));
}

function deadLetterQueues(manifest: RuntimeManifest): Record<string, string> {
  const entries = manifest.busTargets.flatMap((t) => {
    const url = manifest.queues.find((q) => q.arn === t.deadLetterArn)?.url;
    return url ? [[t.functionName, url] as const] : [];
  });
  return Object.fromEntries(entries);
}

function setSlackAppSecrets(config: PipewrightConfig, endpoint: string, build: TerraformState, credentials: SlackAppCredentials): Promise<void> {
  const secretArns = {
    signingSecret: slackSecretArn(build, `${config.projectName}/slack-signing-secret`),
    botToken: slackSecretArn(build, `${config.projectName}/slack-bot-token`),
  };
  return setSlackSecrets(config, endpoint, secretArns, credentials);
}

/**
 * `npm run sandbox -- up`: the Slack stand-in (bot mode), emulator, synth, offline apply of dev, prod and
 * build, account and function setup, then the runtime in the background.
 * On failure everything it started is stopped again.
 */
export async function up(options: UpOptions): Promise<SandboxState> {
  const { paths } = options;
  const progress = new Progress(options.write);
  ensureNotRunning(paths);
  resetSandboxDir(paths);
  const config = loadSandboxConfig(options.configFile);
  const slackBot = slackBotSettings(config);
  const [port, standInPort] = (await freePorts(2)) as [number, number];
  const endpoint = `http://127.0.0.1:${port}`;
  const slack = slackBot && {
    ...slackBot,
    ...newSlackAppCredentials(),
    standInUrl: `http://127.0.0.1:${standInPort}`,
    apiUrl: `http://127.0.0.1:${standInPort}/api/`,
  };
  let daemon: DaemonClient | undefined;
  try {
    // The emulator starts while the stacks are synthesized and initialised: none needs the other.
    const runningDaemon = DaemonClient.launch(paths.daemonLog);
    daemon = runningDaemon;
    const [emulator] = await Promise.all([
      (async () => {
        if (slack) {
          await progress.step("start the Slack stand-in", () =>
            runningDaemon.startSlackStandIn({ port: standInPort, botToken: slack.botToken, channels: [slack.channel] }),
          );
        }
        return progress.step("start the AWS emulator", () =>
          runningDaemon.startEmulator(port, {
            logFile: paths.emulatorLog,
            logRequests: options.logEmulatorRequests === true,
            requestHistoryFile: paths.emulatorRequestHistory,
          }),
        );
      })(),
      (async () => {
        await progress.step("synthesize the stacks for the emulator", async () => {
          await requireTerraform();
          synthesizeSandbox(config, endpoint, paths.synthDir, slack ? { slackApiUrl: slack.apiUrl } : {});
        });
        await progress.step("terraform init (offline)", () => initStacks(paths));
      })(),
    ]);

    await progress.step("create the provisioning roles", () => createProvisioningRoles(config, endpoint));
    await progress.step("terraform apply dev, prod and build (in parallel)", () => applyStacks(paths, progress));

    const build = TerraformState.read(paths.terraformState("build"));
    const manifest = manifestFromState(build, paths.stackDir("build"), config.region, DELIVERY_TARGET_ID);
    const repositories = repositoriesOf(config, build.output<string[]>("pipelines"));
    const [webhookSecret, credentials, serviceRoles, functions] = await progress.step(
      `set the webhook${slack ? " and Slack" : ""} secrets, create administrators, prepare the functions, let main pipelines run`,
      () =>
        Promise.all([
          setWebhookSecret(config, endpoint, build.output<string>("webhook_secret_arn")),
          createAdministrators(config, endpoint),
          serviceRoleCredentials(config, endpoint),
          Promise.all(
            manifest.functions.map(
              async (fn): Promise<RunnableFunction> => ({
                ...fn,
                codeDir: await unpackFunction(fn, paths.functionDir(fn.name)),
                credentials: await functionCredentials(config, endpoint, fn.roleArn, fn.name),
              }),
            ),
          ),
          slack && setSlackAppSecrets(config, endpoint, build, slack),
          setActionOutcomes({ endpoint }, sandboxActionOutcomes(config.projectName)),
        ]),
    );
    await progress.step("switch on IAM checks in the emulator", () => enableIamChecks(endpoint));
    const httpApiUrl = await progress.step("start the functions, the HTTP API and event delivery", () =>
      runningDaemon.startRuntime({
        manifest,
        functions,
        endpoint,
        administrator: credentials.build,
        logDir: paths.logDir,
        binDir: paths.binDir,
        nodePath: path.join(REPO_ROOT, "node_modules"),
        maxEnvironments: options.maxEnvironments,
      }),
    );

    const state: SandboxState = {
      webhookUrl: routeUrl(manifest.httpApi, httpApiUrl, WEBHOOK_ROUTE),
      webhookSecret,
      awsEndpoint: endpoint,
      region: config.region,
      accounts: { build: config.accounts.build.accountId, dev: config.accounts.dev.accountId, prod: config.accounts.prod.accountId },
      repositories,
      ...(slack
        ? {
            slack: {
              apiUrl: slack.apiUrl,
              standInUrl: slack.standInUrl,
              signingSecret: slack.signingSecret,
              botToken: slack.botToken,
              channel: slack.channel,
              approvers: slack.approvers,
              commandsUrl: routeUrl(manifest.httpApi, httpApiUrl, SLACK_COMMANDS_ROUTE),
              interactionsUrl: routeUrl(manifest.httpApi, httpApiUrl, SLACK_INTERACTIONS_ROUTE),
            } satisfies SandboxSlack,
          }
        : {}),
      credentials,
      serviceRoleCredentials: serviceRoles,
      resources: {
        artifactBucket: build.output<string>("artifact_bucket"),
        prArtifactBucket: build.output<string>("pr_artifact_bucket"),
        githubBus: String(build.one("aws_cloudwatch_event_bus").name),
        prStateTable: String(build.one("aws_dynamodb_table", (table) => table.name === `${config.projectName}-pr-state`).name),
        deadLetterQueues: deadLetterQueues(manifest),
        deliveryQueues: Object.fromEntries(manifest.busTargets.map((t) => [t.functionName, t.deliveryQueueUrl])),
      },
      processes: { daemon: runningDaemon.pid, emulator: emulator.pid },
      startedAt: new Date().toISOString(),
      logDir: paths.logDir,
    };
    writeState(paths.stateFile, state);
    await runningDaemon.detach();
    progress.record("up", progress.totalSeconds);
    return state;
  } catch (error) {
    await daemon?.kill();
    removeState(paths.stateFile);
    throw error;
  }
}
