import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { ActionDeclaration, PipelineDeclaration } from "@aws-sdk/client-codepipeline";
import type { EventBridgeEvent } from "aws-lambda";
import type { PrLogger } from "../../../../functions/pr-pipelines/apply";
import type { PrPipelinesConfig } from "../../../../functions/pr-pipelines/config";
import { REPOSITORIES_FILE, RepositoryCatalog, type RepositoryCatalogData } from "../../../../functions/shared/repositories";
import type { PrIdentities } from "../../../../functions/pr-pipelines/identities";
import type { PullRequestEvent } from "../../../../functions/shared/events";

export const BUILD_ACCOUNT = "111111111111";
export const DEV_ACCOUNT = "222222222222";
export const PROD_ACCOUNT = "333333333333";
/** Main's artifact store, which main pipelines use. */
export const ARTIFACT_BUCKET = `pipewright-artifacts-${BUILD_ACCOUNT}-eu-west-1`;
export const ARTIFACT_KEY_ARN = `arn:aws:kms:eu-west-1:${BUILD_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
/** The pull requests' artifact store, which their pipelines use and the function cleans up. */
export const PR_ARTIFACT_BUCKET = `pipewright-pr-artifacts-${BUILD_ACCOUNT}-eu-west-1`;
export const PR_ARTIFACT_KEY_ARN = `arn:aws:kms:eu-west-1:${BUILD_ACCOUNT}:key/5678abcd-12ab-34cd-56ef-1234567890ab`;
export const MAIN_PIPELINE_ROLE = `arn:aws:iam::${BUILD_ACCOUNT}:role/pipewright-pipeline`;
export const PR_PIPELINE_ROLE = `arn:aws:iam::${BUILD_ACCOUNT}:role/pipewright-pr-pipeline`;
export const PREVIEW_DEPLOY_ROLE = `arn:aws:iam::${DEV_ACCOUNT}:role/pipewright-preview-deploy`;
export const PREVIEW_EXECUTION_ROLE = `arn:aws:iam::${DEV_ACCOUNT}:role/pipewright-preview-cfn-exec`;

/** What the build stack writes into PR_IDENTITIES for this account layout. */
export const identities: PrIdentities = {
  pipelineRole: { main: MAIN_PIPELINE_ROLE, pr: PR_PIPELINE_ROLE },
  artifactStore: { main: { bucket: ARTIFACT_BUCKET, keyArn: ARTIFACT_KEY_ARN }, pr: { bucket: PR_ARTIFACT_BUCKET, keyArn: PR_ARTIFACT_KEY_ARN } },
  project: "pipewright",
  deployRoles: { [`arn:aws:iam::${DEV_ACCOUNT}:role/pipewright-deploy`]: PREVIEW_DEPLOY_ROLE },
  cloudFormationRoles: { [`arn:aws:iam::${DEV_ACCOUNT}:role/pipewright-cfn-exec`]: PREVIEW_EXECUTION_ROLE },
};
export const REPOSITORY = "example-org/shop";
export const CONNECTION_ARN = `arn:aws:codeconnections:eu-west-1:${BUILD_ACCOUNT}:connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789`;

/** A second repository of the platform, with one service of its own. */
export const OTHER_REPOSITORY = "example-org/ledger";

const service = (name: string, pipeline: string) => ({ name, pipeline, include: [`services/${name}/**`], exclude: [] });

/** The repository catalog the build stack bundles: the shop with two services, the ledger with one. */
export const catalogData: RepositoryCatalogData = {
  repositories: [
    {
      repository: REPOSITORY,
      mainBranch: "main",
      forkLabel: "safe-to-test",
      services: [service("orders", "pipewright-orders"), service("payments", "pipewright-payments")],
    },
    { repository: OTHER_REPOSITORY, mainBranch: "trunk", forkLabel: "run-ci", services: [service("api", "pipewright-ledger-api")] },
  ],
};
export const repositories = RepositoryCatalog.from(catalogData);

/** The catalog as a file, for the Lambda entry point (REPOSITORIES_FILE). */
export function catalogFile(data: RepositoryCatalogData = catalogData): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "pipewright-catalog-")), REPOSITORIES_FILE);
  writeFileSync(file, JSON.stringify(data));
  return file;
}

/** The catalog with the shop alone. */
export const shopCatalogData: RepositoryCatalogData = { repositories: catalogData.repositories.slice(0, 1) };

export const config: PrPipelinesConfig = {
  repositories,
  stateTable: "pipewright-pr-state",
  artifactBucket: PR_ARTIFACT_BUCKET,
  identities,
  prodAccountId: PROD_ACCOUNT,
  maxPullRequestPipelines: 300,
  github: { apiUrl: "https://api.github.com" },
};

const cloudFormation = { category: "Deploy", owner: "AWS", provider: "CloudFormation", version: "1" } as const;
const codeBuild = { category: "Build", owner: "AWS", provider: "CodeBuild", version: "1" } as const;
const connectionSource = { category: "Source", owner: "AWS", provider: "CodeStarSourceConnection", version: "1" } as const;

/** A service's main pipeline as the build stack declares it: V2, dev then prod behind a manual approval. */
export function mainPipelineV2(service = "orders"): PipelineDeclaration {
  const name = `pipewright-${service}`;
  const deployRole = (account: string) => `arn:aws:iam::${account}:role/pipewright-deploy`;
  const executionRole = (account: string) => `arn:aws:iam::${account}:role/pipewright-cfn-exec`;
  return {
    name,
    roleArn: MAIN_PIPELINE_ROLE,
    artifactStore: { type: "S3", location: ARTIFACT_BUCKET, encryptionKey: { id: ARTIFACT_KEY_ARN, type: "KMS" } },
    version: 4,
    pipelineType: "V2",
    executionMode: "QUEUED",
    variables: [{ name: "ServiceName", defaultValue: service, description: "The service this pipeline delivers" }],
    triggers: [
      {
        providerType: "CodeStarSourceConnection",
        gitConfiguration: {
          sourceActionName: "Source",
          push: [{ branches: { includes: ["main"] }, filePaths: { includes: [`services/${service}/**`, "libs/shared/**"] } }],
        },
      },
    ],
    stages: [
      {
        name: "Source",
        actions: [
          {
            name: "Source",
            actionTypeId: connectionSource,
            runOrder: 1,
            namespace: "SourceVariables",
            configuration: {
              ConnectionArn: CONNECTION_ARN,
              FullRepositoryId: REPOSITORY,
              BranchName: "main",
              OutputArtifactFormat: "CODEBUILD_CLONE_REF",
              DetectChanges: "true",
            },
            outputArtifacts: [{ name: "SourceArtifact" }],
          },
        ],
      },
      {
        name: "Build",
        onFailure: { result: "RETRY", retryConfiguration: { retryMode: "FAILED_ACTIONS" } },
        actions: [
          {
            name: "Build",
            actionTypeId: codeBuild,
            runOrder: 1,
            namespace: "BuildVariables",
            timeoutInMinutes: 60,
            configuration: {
              ProjectName: `pipewright-${service}-build`,
              EnvironmentVariables: JSON.stringify([{ name: "COMMIT_ID", value: "#{SourceVariables.CommitId}", type: "PLAINTEXT" }]),
            },
            inputArtifacts: [{ name: "SourceArtifact" }],
            outputArtifacts: [{ name: "BuildArtifact" }],
            outputVariables: ["IMAGE_TAG"],
          },
        ],
      },
      {
        name: "Dev",
        onFailure: { result: "ROLLBACK" },
        actions: [
          {
            name: "CreateChangeSet",
            actionTypeId: cloudFormation,
            runOrder: 1,
            roleArn: deployRole(DEV_ACCOUNT),
            region: "eu-west-1",
            configuration: {
              ActionMode: "CHANGE_SET_REPLACE",
              StackName: `pipewright-${service}-dev`,
              ChangeSetName: `pipewright-${service}-changes`,
              TemplatePath: "BuildArtifact::packaged.yaml",
              Capabilities: "CAPABILITY_IAM,CAPABILITY_AUTO_EXPAND",
              RoleArn: executionRole(DEV_ACCOUNT),
              ParameterOverrides: JSON.stringify({ Stage: "dev" }),
            },
            inputArtifacts: [{ name: "BuildArtifact" }],
          },
          {
            name: "ExecuteChangeSet",
            actionTypeId: cloudFormation,
            runOrder: 2,
            roleArn: deployRole(DEV_ACCOUNT),
            region: "eu-west-1",
            namespace: "DevDeploy",
            configuration: {
              ActionMode: "CHANGE_SET_EXECUTE",
              StackName: `pipewright-${service}-dev`,
              ChangeSetName: `pipewright-${service}-changes`,
            },
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
            region: "eu-west-1",
            configuration: {
              ActionMode: "CHANGE_SET_REPLACE",
              StackName: `pipewright-${service}-prod`,
              ChangeSetName: `pipewright-${service}-changes`,
              TemplatePath: "BuildArtifact::packaged.yaml",
              Capabilities: "CAPABILITY_IAM,CAPABILITY_AUTO_EXPAND",
              RoleArn: executionRole(PROD_ACCOUNT),
            },
            inputArtifacts: [{ name: "BuildArtifact" }],
          },
          {
            name: "Approve",
            actionTypeId: { category: "Approval", owner: "AWS", provider: "Manual", version: "1" },
            runOrder: 2,
            configuration: { CustomData: "Review the change set before it reaches prod" },
          },
          {
            name: "ExecuteChangeSet",
            actionTypeId: cloudFormation,
            runOrder: 3,
            roleArn: deployRole(PROD_ACCOUNT),
            region: "eu-west-1",
            configuration: {
              ActionMode: "CHANGE_SET_EXECUTE",
              StackName: `pipewright-${service}-prod`,
              ChangeSetName: `pipewright-${service}-changes`,
            },
          },
        ],
      },
    ],
  };
}

/**
 * A container service's main pipeline as the build stack declares it: the image is built and
 * tested in CodeBuild, dev deploys it by change set with `dev.json`, the integration tests read
 * the dev stack's `ApiUrl` (and nothing of the build's artifacts), prod follows an approval.
 */
export function mainContainerPipeline(service = "storefront"): PipelineDeclaration {
  const name = `pipewright-${service}`;
  const stack = (environment: string) => `pipewright-${service}-${environment}`;
  const changeSets = (account: string, environment: "dev" | "prod", namespace: string): ActionDeclaration[] => {
    const common = { actionTypeId: cloudFormation, roleArn: `arn:aws:iam::${account}:role/pipewright-deploy`, region: "eu-west-1" };
    const changeSetName = `${stack(environment)}-changeset`;
    return [
      {
        ...common,
        name: "CreateChangeSet",
        runOrder: 1,
        inputArtifacts: [{ name: "BuildOutput" }],
        configuration: {
          ActionMode: "CHANGE_SET_REPLACE",
          StackName: stack(environment),
          ChangeSetName: changeSetName,
          TemplatePath: "BuildOutput::packaged.yaml",
          TemplateConfiguration: `BuildOutput::${environment}.json`,
          Capabilities: "CAPABILITY_IAM,CAPABILITY_AUTO_EXPAND",
          RoleArn: `arn:aws:iam::${account}:role/pipewright-cfn-exec`,
        },
      },
      {
        ...common,
        name: "ExecuteChangeSet",
        runOrder: 2,
        namespace,
        configuration: { ActionMode: "CHANGE_SET_EXECUTE", StackName: stack(environment), ChangeSetName: changeSetName },
      },
    ];
  };
  return {
    name,
    roleArn: MAIN_PIPELINE_ROLE,
    artifactStore: { type: "S3", location: ARTIFACT_BUCKET, encryptionKey: { id: ARTIFACT_KEY_ARN, type: "KMS" } },
    pipelineType: "V2",
    executionMode: "QUEUED",
    stages: [
      {
        name: "Source",
        actions: [
          {
            name: "Source",
            actionTypeId: connectionSource,
            namespace: "SourceVariables",
            configuration: { ConnectionArn: CONNECTION_ARN, FullRepositoryId: REPOSITORY, BranchName: "main", DetectChanges: "false" },
            outputArtifacts: [{ name: "SourceOutput" }],
          },
        ],
      },
      {
        name: "Build",
        actions: [
          {
            name: "BuildImage",
            actionTypeId: codeBuild,
            namespace: "BuildVariables",
            configuration: { ProjectName: `pipewright-${service}-build` },
            inputArtifacts: [{ name: "SourceOutput" }],
            outputArtifacts: [{ name: "BuildOutput" }],
          },
        ],
      },
      { name: "Dev", actions: changeSets(DEV_ACCOUNT, "dev", "DevStack") },
      {
        name: "IntegrationTests",
        actions: [
          {
            name: "IntegrationTests",
            actionTypeId: { ...codeBuild, category: "Test" },
            inputArtifacts: [{ name: "SourceOutput" }],
            configuration: {
              ProjectName: `pipewright-${service}-integration-tests`,
              EnvironmentVariables: JSON.stringify([{ name: "API_URL", value: "#{DevStack.ApiUrl}", type: "PLAINTEXT" }]),
            },
          },
        ],
      },
      {
        name: "Prod",
        actions: [
          ...changeSets(PROD_ACCOUNT, "prod", "ProdStack"),
          {
            name: "Approve",
            actionTypeId: { category: "Approval", owner: "AWS", provider: "Manual", version: "1" },
            runOrder: 2,
          },
        ],
      },
    ],
  };
}

/** A V1 pipeline: no type, no execution mode, no variables, artifact stores by Region. */
export function mainPipelineV1(): PipelineDeclaration {
  return {
    name: "pipewright-legacy",
    roleArn: MAIN_PIPELINE_ROLE,
    artifactStores: { "eu-west-1": { type: "S3", location: ARTIFACT_BUCKET } },
    version: 12,
    stages: [
      {
        name: "Source",
        actions: [
          {
            name: "Checkout",
            actionTypeId: connectionSource,
            configuration: { ConnectionArn: CONNECTION_ARN, FullRepositoryId: REPOSITORY, BranchName: "main" },
            outputArtifacts: [{ name: "Code" }],
          },
        ],
      },
      {
        name: "Build",
        actions: [
          {
            name: "Package",
            actionTypeId: codeBuild,
            configuration: { ProjectName: "pipewright-legacy-build" },
            inputArtifacts: [{ name: "Code" }],
            outputArtifacts: [{ name: "Packaged" }],
          },
        ],
      },
      {
        name: "DeployDev",
        actions: [
          {
            name: "Deploy",
            actionTypeId: cloudFormation,
            roleArn: `arn:aws:iam::${DEV_ACCOUNT}:role/pipewright-deploy`,
            configuration: {
              ActionMode: "CREATE_UPDATE",
              StackName: "orders-dev",
              TemplatePath: "Packaged::template.yaml",
              RoleArn: `arn:aws:iam::${DEV_ACCOUNT}:role/pipewright-cfn-exec`,
            },
            inputArtifacts: [{ name: "Packaged" }],
          },
        ],
      },
      {
        name: "DeployLive",
        actions: [
          {
            name: "Deploy",
            actionTypeId: cloudFormation,
            roleArn: `arn:aws:iam::${PROD_ACCOUNT}:role/pipewright-deploy`,
            configuration: { ActionMode: "CREATE_UPDATE", StackName: "orders-live", TemplatePath: "Packaged::template.yaml" },
            inputArtifacts: [{ name: "Packaged" }],
          },
        ],
      },
    ],
  };
}

export const HEAD_SHA = "0123456789abcdef0123456789abcdef01234567";
export const NEXT_SHA = "89abcdef0123456789abcdef0123456789abcdef";

export function pullRequest(overrides: Partial<PullRequestEvent> = {}): PullRequestEvent {
  return {
    deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    repository: REPOSITORY,
    number: 7,
    action: "opened",
    headRef: "feature/login",
    headSha: HEAD_SHA,
    headRepository: REPOSITORY,
    baseRef: "main",
    updatedAt: "2025-05-01T10:00:00Z",
    fromFork: false,
    draft: false,
    merged: false,
    labels: [],
    ...overrides,
  };
}

export function busEvent(detail: unknown, detailType = "pull_request"): EventBridgeEvent<"pull_request", unknown> {
  return {
    version: "0",
    id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": detailType as "pull_request",
    source: "pipewright.github",
    account: BUILD_ACCOUNT,
    time: "2025-05-01T10:00:01Z",
    region: "eu-west-1",
    resources: [],
    detail,
  };
}

export interface LogEntry {
  level: "info" | "warn" | "error";
  message: string;
  attributes: Record<string, unknown>;
}

/** A logger that keeps what it is told, for assertions. */
export function memoryLogger(): PrLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const record = (level: LogEntry["level"]) => (message: string, attributes: Record<string, unknown>) => {
    entries.push({ level, message, attributes });
  };
  return { entries, info: record("info"), warn: record("warn"), error: record("error") };
}
