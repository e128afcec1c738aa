/**
 * What the pipewright stacks would have created in the build account, created in the AWS
 * emulator (sandbox/emulator): the artifact bucket (versioned, SSE-KMS), the pull request
 * and push state tables, the pipeline role, and two V2 service pipelines. Plus the SDK look-ups the
 * integration tests assert with.
 */
import { createHash } from "node:crypto";
import {
  CodePipelineClient,
  CreatePipelineCommand,
  GetPipelineCommand,
  GetPipelineExecutionCommand,
  ListActionExecutionsCommand,
  ListPipelineExecutionsCommand,
  ListPipelinesCommand,
  ListTagsForResourceCommand,
  type PipelineDeclaration,
  type PipelineExecution,
  type PipelineExecutionSummary,
} from "@aws-sdk/client-codepipeline";
import { CreateTableCommand, DynamoDBClient, GetItemCommand, UpdateTimeToLiveCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateBucketCommand, ListObjectVersionsCommand, PutBucketEncryptionCommand, PutBucketVersioningCommand, S3Client } from "@aws-sdk/client-s3";
import type { EventBridgeEvent } from "aws-lambda";
import { type Emulator, EMULATOR_REGION, emulatorClientConfig, inAccount } from "../../../sandbox/emulator";
import { EVENT_SOURCE } from "../../../functions/shared/events";
import type { PrIdentities } from "../../../functions/pr-pipelines/identities";
import { callJsonApi } from "../../support/emulator";

export const BUILD_ACCOUNT = "111111111111";
export const DEV_ACCOUNT = "222222222222";
export const PROD_ACCOUNT = "333333333333";
export const REGION = EMULATOR_REGION;
export const PROJECT = "pipewright";
export const REPOSITORY = "acme-corp/shop";
/** Main's artifact store: the main pipelines'. */
export const ARTIFACT_BUCKET = `${PROJECT}-artifacts-${BUILD_ACCOUNT}-${REGION}`;
/** The pull requests' artifact store: their pipelines', which the PR function cleans up. */
export const PR_ARTIFACT_BUCKET = `${PROJECT}-pr-artifacts-${BUILD_ACCOUNT}-${REGION}`;
export const STATE_TABLE = `${PROJECT}-pr-state`;
export const PUSH_STATE_TABLE = `${PROJECT}-push-state`;
export const PIPELINE_ROLE_ARN = `arn:aws:iam::${BUILD_ACCOUNT}:role/${PROJECT}-pipeline`;
export const PR_PIPELINE_ROLE_ARN = `arn:aws:iam::${BUILD_ACCOUNT}:role/${PROJECT}-pr-pipeline`;
export const CONNECTION_ARN = `arn:aws:codeconnections:${REGION}:${BUILD_ACCOUNT}:connection/5d3a2b1c-0f9e-4d8c-b7a6-123456789abc`;
export const FORK_LABEL = "safe-to-test";
export const SERVICES = ["orders", "payments"] as const;
export const MAIN_PIPELINES = SERVICES.map((service) => `${PROJECT}-${service}`);
export const SOURCE_ACTION = "Source";

/** A realistic 40-hex commit id, different for every label. */
export function commit(label: string): string {
  return createHash("sha1").update(label).digest("hex");
}

const connectionSource = { category: "Source", owner: "AWS", provider: "CodeStarSourceConnection", version: "1" } as const;
const codeBuild = { category: "Build", owner: "AWS", provider: "CodeBuild", version: "1" } as const;
const cloudFormation = { category: "Deploy", owner: "AWS", provider: "CloudFormation", version: "1" } as const;

/**
 * A service's main pipeline: V2, the repository's main branch through CodeConnections, a
 * CodeBuild build, a change set deployed to dev, and a change set deployed to prod behind a
 * manual approval. Pushes start it through the push router, so the source detects no changes.
 */
export function servicePipeline(service: string, artifactKeyArn: string): PipelineDeclaration {
  const name = `${PROJECT}-${service}`;
  const deployRole = (account: string) => `arn:aws:iam::${account}:role/${PROJECT}-deploy`;
  const executionRole = (account: string) => `arn:aws:iam::${account}:role/${PROJECT}-cfn-exec`;
  const changeSet = (account: string, stage: string) => ({
    ActionMode: "CHANGE_SET_REPLACE",
    StackName: `${name}-${stage}`,
    ChangeSetName: `${name}-changes`,
    TemplatePath: "BuildArtifact::packaged.yaml",
    Capabilities: "CAPABILITY_IAM,CAPABILITY_AUTO_EXPAND",
    RoleArn: executionRole(account),
    ParameterOverrides: JSON.stringify({ Stage: stage }),
  });
  const execute = (stage: string) => ({ ActionMode: "CHANGE_SET_EXECUTE", StackName: `${name}-${stage}`, ChangeSetName: `${name}-changes` });
  return {
    name,
    roleArn: PIPELINE_ROLE_ARN,
    pipelineType: "V2",
    executionMode: "QUEUED",
    artifactStore: { type: "S3", location: ARTIFACT_BUCKET, encryptionKey: { id: artifactKeyArn, type: "KMS" } },
    stages: [
      {
        name: "Source",
        actions: [
          {
            name: SOURCE_ACTION,
            actionTypeId: connectionSource,
            namespace: "SourceVariables",
            configuration: {
              ConnectionArn: CONNECTION_ARN,
              FullRepositoryId: REPOSITORY,
              BranchName: "main",
              OutputArtifactFormat: "CODE_ZIP",
              DetectChanges: "false",
            },
            outputArtifacts: [{ name: "SourceArtifact" }],
          },
        ],
      },
      {
        name: "Build",
        actions: [
          {
            name: "Build",
            actionTypeId: codeBuild,
            configuration: { ProjectName: `${name}-build` },
            inputArtifacts: [{ name: "SourceArtifact" }],
            outputArtifacts: [{ name: "BuildArtifact" }],
          },
        ],
      },
      {
        name: "Dev",
        actions: [
          {
            name: "CreateChangeSet",
            actionTypeId: cloudFormation,
            runOrder: 1,
            roleArn: deployRole(DEV_ACCOUNT),
            configuration: changeSet(DEV_ACCOUNT, "dev"),
            inputArtifacts: [{ name: "BuildArtifact" }],
          },
          {
            name: "ExecuteChangeSet",
            actionTypeId: cloudFormation,
            runOrder: 2,
            roleArn: deployRole(DEV_ACCOUNT),
            configuration: execute("dev"),
          },
        ],
      },
      {
        name: "Prod",
        actions: [
          {
            name: "CreateChangeSet",
            actionTypeId: cloudFormation,
            runOrder: 1,
            roleArn: deployRole(PROD_ACCOUNT),
            configuration: changeSet(PROD_ACCOUNT, "prod"),
            inputArtifacts: [{ name: "BuildArtifact" }],
          },
          {
            name: "Approve",
            actionTypeId: { category: "Approval", owner: "AWS", provider: "Manual", version: "1" },
            runOrder: 2,
            configuration: { CustomData: "Review the prod change set" },
          },
          {
            name: "ExecuteChangeSet",
            actionTypeId: cloudFormation,
            runOrder: 3,
            roleArn: deployRole(PROD_ACCOUNT),
            configuration: execute("prod"),
          },
        ],
      },
    ],
  };
}

export interface World {
  /** Clients for the build account; the tests assert with these. */
  readonly codepipeline: CodePipelineClient;
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly artifactKeyArn: string;
  readonly prArtifactKeyArn: string;
  /** What the build stack writes into the PR function's PR_IDENTITIES for this world. */
  readonly identities: PrIdentities;
  /** Fresh clients for the build account, e.g. for a handler under test. */
  clients(): { codepipeline: CodePipelineClient; s3: S3Client; dynamodb: DynamoDBClient };
  destroy(): void;
}

function expectOk(what: string, response: { status: number; body: string }): string {
  if (response.status !== 200) throw new Error(`${what} answered ${response.status}: ${response.body}`);
  return response.body;
}

/** Creates the build account's resources and the two service pipelines in the emulator. */
export async function createWorld(emulator: Emulator): Promise<World> {
  const config = emulatorClientConfig(emulator);
  const created: Array<{ destroy(): void }> = [];
  const clients = () => {
    const made = {
      codepipeline: inAccount(new CodePipelineClient(config), BUILD_ACCOUNT),
      s3: inAccount(new S3Client(config), BUILD_ACCOUNT),
      dynamodb: inAccount(new DynamoDBClient(config), BUILD_ACCOUNT),
    };
    created.push(made.codepipeline, made.s3, made.dynamodb);
    return made;
  };
  const { codepipeline, s3, dynamodb } = clients();

  const trust = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "codepipeline.amazonaws.com" }, Action: "sts:AssumeRole" }],
  };
  const iam = inAccount(new IAMClient(config), BUILD_ACCOUNT);
  try {
    for (const roleName of [`${PROJECT}-pipeline`, `${PROJECT}-pr-pipeline`]) {
      await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify(trust) }));
    }
  } finally {
    iam.destroy();
  }
  /** A versioned bucket encrypted with a key of its own, as an artifact store. */
  const createStore = async (bucket: string): Promise<string> => {
    const key = JSON.parse(
      expectOk(
        "KMS CreateKey",
        await callJsonApi(emulator, {
          service: "kms",
          accountId: BUILD_ACCOUNT,
          target: "TrentService.CreateKey",
          input: { Description: bucket, KeyUsage: "ENCRYPT_DECRYPT" },
        }),
      ),
    ) as { KeyMetadata: { Arn: string } };
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: key.KeyMetadata.Arn }, BucketKeyEnabled: true }],
        },
      }),
    );
    return key.KeyMetadata.Arn;
  };
  const artifactKeyArn = await createStore(ARTIFACT_BUCKET);
  const prArtifactKeyArn = await createStore(PR_ARTIFACT_BUCKET);

  await dynamodb.send(
    new CreateTableCommand({
      TableName: STATE_TABLE,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    }),
  );
  await dynamodb.send(
    new UpdateTimeToLiveCommand({ TableName: STATE_TABLE, TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true } }),
  );

  await dynamodb.send(
    new CreateTableCommand({
      TableName: PUSH_STATE_TABLE,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: "pipeline", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "pipeline", AttributeType: "S" }],
    }),
  );

  for (const service of SERVICES) {
    await codepipeline.send(new CreatePipelineCommand({ pipeline: servicePipeline(service, artifactKeyArn) }));
  }

  return {
    codepipeline,
    s3,
    dynamodb,
    artifactKeyArn,
    prArtifactKeyArn,
    identities: {
      pipelineRole: { main: PIPELINE_ROLE_ARN, pr: PR_PIPELINE_ROLE_ARN },
      artifactStore: { main: { bucket: ARTIFACT_BUCKET, keyArn: artifactKeyArn }, pr: { bucket: PR_ARTIFACT_BUCKET, keyArn: prArtifactKeyArn } },
      project: PROJECT,
      deployRoles: { [`arn:aws:iam::${DEV_ACCOUNT}:role/${PROJECT}-deploy`]: `arn:aws:iam::${DEV_ACCOUNT}:role/${PROJECT}-preview-deploy` },
      cloudFormationRoles: {
        [`arn:aws:iam::${DEV_ACCOUNT}:role/${PROJECT}-cfn-exec`]: `arn:aws:iam::${DEV_ACCOUNT}:role/${PROJECT}-preview-cfn-exec`,
      },
    },
    clients,
    destroy: () => {
      for (const client of created) client.destroy();
    },
  };
}

// ---- Look-ups the tests assert with ----

export async function pipelineNames(world: World): Promise<string[]> {
  const { pipelines } = await world.codepipeline.send(new ListPipelinesCommand({}));
  return (pipelines ?? []).map((pipeline) => pipeline.name as string).sort();
}

/** The declaration, or undefined when GetPipeline says PipelineNotFoundException. */
export async function getPipeline(world: World, name: string): Promise<{ declaration: PipelineDeclaration; arn: string } | undefined> {
  try {
    const output = await world.codepipeline.send(new GetPipelineCommand({ name }));
    return { declaration: output.pipeline as PipelineDeclaration, arn: output.metadata?.pipelineArn as string };
  } catch (error) {
    if ((error as Error).name === "PipelineNotFoundException") return undefined;
    throw error;
  }
}

export async function tagsOf(world: World, arn: string): Promise<Record<string, string>> {
  const { tags } = await world.codepipeline.send(new ListTagsForResourceCommand({ resourceArn: arn }));
  return Object.fromEntries((tags ?? []).map((tag) => [tag.key as string, tag.value as string]));
}

/** Every execution of a pipeline, newest first. */
export async function executionsOf(world: World, pipelineName: string): Promise<PipelineExecutionSummary[]> {
  const summaries: PipelineExecutionSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await world.codepipeline.send(new ListPipelineExecutionsCommand({ pipelineName, nextToken }));
    summaries.push(...(page.pipelineExecutionSummaries ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return summaries;
}

export async function executionDetail(world: World, pipelineName: string, pipelineExecutionId: string): Promise<PipelineExecution> {
  const { pipelineExecution } = await world.codepipeline.send(new GetPipelineExecutionCommand({ pipelineName, pipelineExecutionId }));
  return pipelineExecution as PipelineExecution;
}

/** The commit the execution's "Source" action fetched. */
export function sourceRevision(summary: PipelineExecutionSummary): string | undefined {
  return summary.sourceRevisions?.find((revision) => revision.actionName === SOURCE_ACTION)?.revisionId;
}

/** S3 keys of the output artifacts of every execution of a pipeline, as ListActionExecutions names them. */
export async function artifactKeysOf(world: World, pipelineName: string): Promise<string[]> {
  const keys: string[] = [];
  for (const execution of await executionsOf(world, pipelineName)) {
    const { actionExecutionDetails } = await world.codepipeline.send(
      new ListActionExecutionsCommand({ pipelineName, filter: { pipelineExecutionId: execution.pipelineExecutionId } }),
    );
    for (const detail of actionExecutionDetails ?? []) {
      for (const artifact of detail.output?.outputArtifacts ?? []) {
        const { bucket, key } = artifact.s3location ?? {};
        if ((bucket === ARTIFACT_BUCKET || bucket === PR_ARTIFACT_BUCKET) && key) keys.push(key);
      }
    }
  }
  return keys.sort();
}

/** Every version and delete marker in an artifact bucket (the pull requests', unless told), as "key@versionId" (sorted). */
export async function bucketVersions(world: World, bucket = PR_ARTIFACT_BUCKET): Promise<string[]> {
  const entries: string[] = [];
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  for (;;) {
    const page = await world.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker, VersionIdMarker }));
    for (const entry of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) entries.push(`${entry.Key}@${entry.VersionId}`);
    if (page.IsTruncated !== true) return entries.sort();
    KeyMarker = page.NextKeyMarker;
    VersionIdMarker = page.NextVersionIdMarker;
  }
}

export const keyOfVersion = (entry: string): string => entry.slice(0, entry.lastIndexOf("@"));

export async function stateItem(world: World, key: string): Promise<Record<string, AttributeValue> | undefined> {
  const { Item } = await world.dynamodb.send(new GetItemCommand({ TableName: STATE_TABLE, Key: { pk: { S: key } }, ConsistentRead: true }));
  return Item;
}

/** An event as the GitHub bus delivers it to a rule target. */
export function busEvent<T extends string>(detailType: T, detail: unknown, id: string): EventBridgeEvent<T, unknown> {
  return {
    version: "0",
    id,
    "detail-type": detailType,
    source: EVENT_SOURCE,
    account: BUILD_ACCOUNT,
    time: new Date().toISOString(),
    region: REGION,
    resources: [],
    detail,
  };
}

/** A logger that keeps what it is given, so failures can show it and tests stay quiet. */
export function recordingLogger() {
  const entries: Array<{ level: string; message: unknown; attributes: unknown[] }> = [];
  const at =
    (level: string) =>
    (message: unknown, ...attributes: unknown[]): void => {
      entries.push({ level, message, attributes });
    };
  return { entries, info: at("info"), warn: at("warn"), error: at("error") };
}

/** The push-state item of a main pipeline: the newest push that started it. */
export async function pushStateItem(world: World, pipeline: string): Promise<Record<string, AttributeValue> | undefined> {
  const { Item } = await world.dynamodb.send(
    new GetItemCommand({ TableName: PUSH_STATE_TABLE, Key: { pipeline: { S: pipeline } }, ConsistentRead: true }),
  );
  return Item;
}
