import { Construct } from "constructs";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import type { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import type { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import type { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import type { PrIdentities } from "../../functions/pr-pipelines/identities";
import { DETAIL_TYPES, EVENT_SOURCE } from "../../functions/shared/events";
import type { ArtifactStore } from "./artifact-store";
import { BusConsumer } from "./bus-consumer";
import { REPOSITORIES_FILE, type RepositoryCatalogData } from "../../functions/shared/repositories";

export interface PrPipelinesProps {
  /** The repositories served and their services; bundled with the function as its repository catalog. */
  readonly repositories: RepositoryCatalogData;
  /** Prefix of every name, e.g. the project name. */
  readonly namePrefix: string;
  /** The GitHub bus the webhook fills. */
  readonly bus: CloudwatchEventBus;
  /** Main's store: its key encrypts the state table and the dead-letter queue. */
  readonly store: ArtifactStore;
  /** The pull requests' artifact store: a closed PR's artifacts are deleted from it. */
  readonly prArtifactStore: ArtifactStore;
  /** The role pull request pipelines run as; the function passes it to the clones, and no other role. */
  readonly prPipelineRole: IamRole;
  /** Main's identities and the pull requests' that replace them in a clone. */
  readonly identities: PrIdentities;
  /** ARN of the CodeConnections connection the source actions use. */
  readonly connectionArns: readonly string[];
  /** Stages acting in this account are never cloned. */
  readonly prodAccountId: string;
  /** The dev account's role for deleting preview stacks of closed pull requests. */
  readonly previewCleanupRoleArn: string;
  /** Name of the function (and of its role, which dev's preview-cleanup role trusts). */
  readonly functionName: string;
  /** Pull request pipelines allowed across the platform at once (`limits.maxPullRequestPipelines`). */
  readonly maxPullRequestPipelines: number;
  /** The optional GitHub credentials: the fork approval is shown with them (a commit status, the label removed). */
  readonly githubToken: SecretsmanagerSecret;
  /** Dead-letter alarms go here. */
  readonly alarmTopic: SnsTopic;
  readonly logRetentionDays: number;
}

/**
 * Pipelines per pull request: a function on the GitHub bus that clones each
 * service pipeline for an opened PR, re-runs it on pushes and deletes it and
 * its artifacts on close, with PR state in a DynamoDB table.
 */
export class PrPipelines extends Construct {
  readonly table: DynamodbTable;
  readonly consumer: BusConsumer;

  constructor(scope: Construct, id: string, props: PrPipelinesProps) {
    super(scope, id);
    const servicePipelines = props.repositories.repositories.flatMap((repository) => repository.services.map((service) => service.pipeline));
    if (servicePipelines.length === 0) throw new Error("PrPipelines: the repositories list no service; configure at least one service");
    if (!Number.isSafeInteger(props.maxPullRequestPipelines) || props.maxPullRequestPipelines < 1) {
      throw new Error(`PrPipelines: maxPullRequestPipelines is ${props.maxPullRequestPipelines}; it must be a whole number of at least 1`);
    }
    const { store, prArtifactStore } = props;
    const arns = store.arns;

    this.table = new DynamodbTable(this, "state", {
      name: `${props.namePrefix}-pr-state`,
      billingMode: "PAY_PER_REQUEST",
      hashKey: "pk",
      attribute: [{ name: "pk", type: "S" }],
      ttl: { attributeName: "expiresAt", enabled: true },
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: store.key.arn },
      deletionProtectionEnabled: true,
    });

    const mainPipelines = servicePipelines.map((name) => arns.regional("codepipeline", name));
    const prPipelines = servicePipelines.map((name) => arns.regional("codepipeline", `${name}-pr-*`));
    this.consumer = new BusConsumer(this, "pr-pipelines", {
      bus: props.bus,
      trigger: { eventPattern: { source: [EVENT_SOURCE], "detail-type": [DETAIL_TYPES.pullRequest] } },
      store,
      alarmTopic: props.alarmTopic,
      function: {
        arns,
        functionName: props.functionName,
        entry: "functions/pr-pipelines/handler.ts",
        files: { [REPOSITORIES_FILE]: JSON.stringify(props.repositories) },
        description: "Creates, re-runs and deletes the pipelines of pull requests",
        timeoutSeconds: 120,
        memorySize: 512,
        logRetentionDays: props.logRetentionDays,
        // Bounds concurrent CodePipeline calls, which AWS rate-limits per account.
        reservedConcurrency: 10,
        environment: {
          PR_STATE_TABLE: this.table.name,
          PR_IDENTITIES: JSON.stringify(props.identities),
          PROD_ACCOUNT_ID: props.prodAccountId,
          MAX_PR_PIPELINES: String(props.maxPullRequestPipelines),
          PREVIEW_CLEANUP_ROLE_ARN: props.previewCleanupRoleArn,
          GITHUB_TOKEN_SECRET_ARN: props.githubToken.arn,
        },
        statements: [
          { Sid: "ReadServicePipelines", Effect: "Allow", Action: "codepipeline:GetPipeline", Resource: mainPipelines },
          {
            Sid: "ManagePrPipelines",
            Effect: "Allow",
            Action: [
              "codepipeline:CreatePipeline",
              "codepipeline:DeletePipeline",
              "codepipeline:GetPipeline",
              "codepipeline:ListActionExecutions",
              "codepipeline:ListPipelineExecutions",
              "codepipeline:ListTagsForResource",
              "codepipeline:StartPipelineExecution",
              "codepipeline:StopPipelineExecution",
              "codepipeline:TagResource",
            ],
            Resource: prPipelines,
          },
          {
            Sid: "PassPrPipelineRole",
            Effect: "Allow",
            Action: "iam:PassRole",
            Resource: props.prPipelineRole.arn,
            Condition: { StringEquals: { "iam:PassedToService": "codepipeline.amazonaws.com" } },
          },
          {
            Sid: "UseGitHubConnection",
            Effect: "Allow",
            Action: ["codeconnections:PassConnection", "codestar-connections:PassConnection"],
            Resource: props.connectionArns,
          },
          { Sid: "ListPrArtifactVersions", Effect: "Allow", Action: "s3:ListBucketVersions", Resource: prArtifactStore.bucket.arn },
          {
            Sid: "DeletePrArtifacts",
            Effect: "Allow",
            Action: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
            Resource: arns.objects(prArtifactStore.bucket.bucket),
          },
          { Sid: "DeletePreviewStacks", Effect: "Allow", Action: "sts:AssumeRole", Resource: props.previewCleanupRoleArn },
          {
            Sid: "PrState",
            Effect: "Allow",
            Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            Resource: this.table.arn,
          },
          { Sid: "ReadGitHubToken", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: props.githubToken.arn },
        ],
      },
    });
    store.grantKeyUseVia("PrPipelinesState", [this.consumer.lambda.role], ["dynamodb"]);
    store.grantKeyUseVia("PrPipelinesToken", [this.consumer.lambda.role], ["secretsmanager"]);
  }
}
