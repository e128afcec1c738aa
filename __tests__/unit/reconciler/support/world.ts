import { CloudFormationClient, DeleteStackCommand } from "@aws-sdk/client-cloudformation";
import {
  DeletePipelineCommand,
  ListPipelineExecutionsCommand,
  ListPipelinesCommand,
  ListTagsForResourceCommand,
  PipelineNotFoundException,
} from "@aws-sdk/client-codepipeline";
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { DeleteObjectsCommand } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { clonePipelineForPullRequest } from "../../../../functions/pr-pipelines/clone";
import { handlerFromEnvironment, type ReconcilerResult } from "../../../../functions/reconciler/handler";
import type { PullRequestEvent } from "../../../../functions/shared/events";
import { ACCOUNT, FakeAws, REGION } from "../../pr-pipelines/support/fake-aws";
import { catalogFile, mainPipelineV2, memoryLogger, PROD_ACCOUNT, pullRequest, shopCatalogData } from "../../pr-pipelines/support/fixtures";
import { FakeGitHub } from "../../../support/fake-github";
import { ARTIFACT_BUCKET, BUS, CLEANUP_ROLE, daysAgo, HEAD_SHA, identities, NOW, REPOSITORY } from "./fixtures";

/** pr-pipelines' state table, which holds the capacity ledger. */
export const STATE_TABLE = "pipewright-pr-state";
export const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:pipewright/github-token-AbCdEf`;
/** The token the GitHub token secret holds, and the fake GitHub accepts. */
export const TOKEN = "ghs_reconciler";

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

export interface PrPipelineSpec {
  /** Start of its only execution; none when undefined. */
  lastRun?: Date;
  /** Artifact keys its execution wrote (each gets two versions in S3). */
  artifacts?: string[];
  headSha?: string;
  created?: Date;
  /** Tags to use instead of the clone's. */
  tags?: Array<{ key: string; value: string }>;
  /** False: cloned for a service with `preview: false` (no Dev stage, no preview stack). */
  deployPreview?: boolean;
}

/**
 * AWS (aws-sdk-client-mock behind pr-pipelines' stateful FakeAws, plus
 * ListPipelines, ListTagsForResource and execution start times), a fake
 * GitHub on 127.0.0.1, and the reconciler built from its environment.
 */
export class World {
  readonly aws = new FakeAws(STATE_TABLE);
  readonly events = mockClient(EventBridgeClient);
  readonly sts = mockClient(STSClient);
  readonly cloudFormation = mockClient(CloudFormationClient);
  readonly secrets = mockClient(SecretsManagerClient);
  readonly logger = memoryLogger();
  readonly startTimes = new Map<string, Date>();
  readonly createdAt = new Map<string, Date>();
  /** ListPipelines page size: small, to exercise pagination. */
  pipelinesPageSize = 2;

  private constructor(readonly github: FakeGitHub) {
    this.install();
    this.aws.addPipeline(mainPipelineV2("orders"));
    this.aws.addPipeline(mainPipelineV2("payments"));
  }

  static async start(): Promise<World> {
    return new World(await FakeGitHub.start(REPOSITORY, { tokens: [TOKEN] }));
  }

  async stop(): Promise<void> {
    this.aws.restore();
    this.events.restore();
    this.sts.restore();
    this.cloudFormation.restore();
    this.secrets.restore();
    await this.github.stop();
  }

  env(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const env: Record<string, string | undefined> = {
      AWS_REGION: REGION,
      REPOSITORIES_FILE: catalogFile(shopCatalogData),
      EVENT_BUS_NAME: BUS,
      PR_STATE_TABLE: STATE_TABLE,
      MAX_PR_PIPELINES: "300",
      PR_ARTIFACT_BUCKET: ARTIFACT_BUCKET,
      PREVIEW_CLEANUP_ROLE_ARN: CLEANUP_ROLE,
      GITHUB_TOKEN_SECRET_ARN: SECRET_ARN,
      GITHUB_API_URL: this.github.url,
      IDLE_DAYS: "14",
      CREATE_MISSING: "true",
      DRY_RUN: "false",
      ...overrides,
    };
    return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  }

  /** The handler as the Lambda builds it, with short GitHub timeouts and retries without waiting. */
  handler(
    overrides: Record<string, string | undefined> = {},
    github: { timeoutMs?: number; budgetMs?: number } = {},
  ): (event?: unknown) => Promise<ReconcilerResult> {
    return handlerFromEnvironment(this.env(overrides), {
      logger: this.logger,
      now: () => NOW,
      github: {
        policy: { retryBaseDelayMs: 1, timeoutMs: github.timeoutMs ?? 1000 },
        ...(github.budgetMs === undefined ? {} : { budgetMs: github.budgetMs }),
      },
    });
  }

  /** A pull request pipeline as pr-pipelines creates it: the clone of the service's main pipeline, with its tags. */
  addPrPipeline(service: "orders" | "payments", number: number, spec: PrPipelineSpec = {}): string {
    const pr = pullRequest({ number, headSha: spec.headSha ?? HEAD_SHA, headRef: `feature/change-${number}` });
    const clone = clonePipelineForPullRequest(mainPipelineV2(service), pr, {
      prodAccountId: PROD_ACCOUNT,
      identities,
      ...(spec.deployPreview === undefined ? {} : { deployPreview: spec.deployPreview }),
    });
    const name = clone.pipeline.name ?? "";
    this.aws.addPipeline(clone.pipeline, spec.tags ?? clone.tags);
    this.createdAt.set(name, spec.created ?? daysAgo(60));
    if (spec.lastRun !== undefined) {
      const artifacts = (spec.artifacts ?? []).map((key) => ({ bucket: ARTIFACT_BUCKET, key }));
      const execution = this.aws.addExecution(name, { artifacts });
      this.startTimes.set(execution.id, spec.lastRun);
      for (const { key } of artifacts) this.aws.addObject(ARTIFACT_BUCKET, key, ["v1", "v2"]);
    }
    return name;
  }

  /** Detail of every event put on the bus, in order. */
  published(): PullRequestEvent[] {
    return this.events
      .commandCalls(PutEventsCommand)
      .flatMap((call) => call.args[0].input.Entries ?? [])
      .map((entry: PutEventsRequestEntry) => JSON.parse(entry.Detail ?? "{}") as PullRequestEvent);
  }

  entries(): PutEventsRequestEntry[] {
    return this.events.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
  }

  deletedPipelines(): string[] {
    return this.aws.codepipeline.commandCalls(DeletePipelineCommand).map((call) => call.args[0].input.name ?? "");
  }

  deletedStacks(): string[] {
    return this.cloudFormation.commandCalls(DeleteStackCommand).map((call) => call.args[0].input.StackName ?? "");
  }

  deleteObjectsCalls(): number {
    return this.aws.s3.commandCalls(DeleteObjectsCommand).length;
  }

  taggedArns(): string[] {
    return this.aws.codepipeline.commandCalls(ListTagsForResourceCommand).map((call) => call.args[0].input.resourceArn ?? "");
  }

  keysLeft(): string[] {
    return [...new Set(this.aws.objectsIn(ARTIFACT_BUCKET).map((entry) => entry.key))].sort();
  }

  private install(): void {
    const cp = this.aws.codepipeline;
    cp.on(ListPipelinesCommand).callsFake(async ({ nextToken }) => {
      const all = [...this.aws.pipelines.keys()];
      const start = nextToken === undefined ? 0 : Number(nextToken);
      const page = all.slice(start, start + this.pipelinesPageSize);
      return {
        pipelines: page.map((name) => ({
          name,
          version: 1,
          pipelineType: "V2",
          created: this.createdAt.get(name) ?? daysAgo(90),
          updated: daysAgo(90),
        })),
        ...(start + this.pipelinesPageSize < all.length ? { nextToken: String(start + this.pipelinesPageSize) } : {}),
      } as never;
    });
    cp.on(ListTagsForResourceCommand).callsFake(async ({ resourceArn }) => {
      const stored = [...this.aws.pipelines.values()].find((pipeline) => pipeline.arn === resourceArn);
      if (stored === undefined) throw named("ResourceNotFoundException", `${resourceArn} not found`);
      return { tags: stored.tags };
    });
    // Replaces FakeAws' answer: newest first by start time, with start times.
    cp.on(ListPipelineExecutionsCommand).callsFake(async ({ pipelineName, maxResults }) => {
      const stored = this.aws.pipelines.get(pipelineName);
      if (stored === undefined) throw new PipelineNotFoundException({ message: `no pipeline ${pipelineName}`, $metadata: {} });
      const start = (id: string) => this.startTimes.get(id) ?? NOW;
      const newestFirst = [...stored.executions].sort((a, b) => start(b.id).getTime() - start(a.id).getTime());
      return {
        pipelineExecutionSummaries: newestFirst.slice(0, maxResults ?? 100).map((execution) => ({
          pipelineExecutionId: execution.id,
          status: execution.status,
          startTime: start(execution.id),
          trigger: { triggerType: execution.triggerType },
        })),
      } as never;
    });
    this.events.on(PutEventsCommand).callsFake(async ({ Entries }) => ({
      FailedEntryCount: 0,
      Entries: (Entries ?? []).map((_: unknown, index: number) => ({ EventId: `event-${index}` })),
    }));
    this.sts
      .on(GetCallerIdentityCommand)
      .resolves({ Account: ACCOUNT, Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/pipewright-reconciler/session`, UserId: "AROA:session" });
    this.sts.on(AssumeRoleCommand).resolves({
      Credentials: { AccessKeyId: "ASIA", SecretAccessKey: "secret", SessionToken: "token", Expiration: new Date(NOW.getTime() + 900_000) },
    });
    this.cloudFormation.on(DeleteStackCommand).resolves({});
    this.secrets.on(GetSecretValueCommand).resolves({ ARN: SECRET_ARN, Name: "pipewright/github-token", SecretString: TOKEN });
  }
}
