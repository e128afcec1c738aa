import { Construct } from "constructs";
import type { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import type { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import type { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import type { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import type { ArtifactStore } from "./artifact-store";
import { BusConsumer } from "./bus-consumer";
import { REPOSITORIES_FILE, type RepositoryCatalogData } from "../../functions/shared/repositories";

export interface ReconcilerProps {
  /** The repositories served and their services; bundled with the function as its repository catalog. */
  readonly repositories: RepositoryCatalogData;
  /** Name of the function (and of its role, which dev's preview-cleanup role trusts). */
  readonly functionName: string;
  /** Where repairs go: normalized pull_request events, handled by the PR function. */
  readonly bus: CloudwatchEventBus;
  /** Main's store: its key encrypts the token secret and the dead-letter queue. */
  readonly store: ArtifactStore;
  /** The pull requests' artifact store: idle PR pipelines' artifacts are deleted from it. */
  readonly prArtifactStore: ArtifactStore;
  /** pr-pipelines' state table: the reconciler reads its capacity ledger and takes closed pull requests out of the queue. */
  readonly prStateTable: DynamodbTable;
  /** Pull request pipelines allowed across the platform at once (the same as pr-pipelines'). */
  readonly maxPullRequestPipelines: number;
  /** The dev account's preview-cleanup role (it must trust this function's role too). */
  readonly previewCleanupRoleArn: string;
  /** GitHub token to read pull requests (optional value). */
  readonly githubToken: SecretsmanagerSecret;
  /** EventBridge schedule expression. */
  readonly schedule: string;
  /** Remove PR pipelines idle this many days; 0 disables. */
  readonly idleDays: number;
  readonly createMissing: boolean;
  readonly dryRun: boolean;
  readonly alarmTopic: SnsTopic;
  readonly logRetentionDays: number;
}

/**
 * Cleans up after missed webhooks (GitHub never retries a failed delivery):
 * on a schedule, compares PR pipelines with the pull requests' state on
 * GitHub and repairs the difference through the PR function.
 */
export class Reconciler extends Construct {
  readonly consumer: BusConsumer;

  get role(): IamRole {
    return this.consumer.lambda.role;
  }

  constructor(scope: Construct, id: string, props: ReconcilerProps) {
    super(scope, id);
    const servicePipelines = props.repositories.repositories.flatMap((repository) => repository.services.map((service) => service.pipeline));
    if (servicePipelines.length === 0) throw new Error("Reconciler: the repositories list no service; configure at least one service");
    const { store, prArtifactStore } = props;
    const arns = store.arns;
    this.consumer = new BusConsumer(this, "reconciler", {
      trigger: { scheduleExpression: props.schedule },
      store,
      alarmTopic: props.alarmTopic,
      // A missed run is repaired by the next one; retrying old schedules only piles up.
      maximumRetryAttempts: 2,
      maximumEventAgeSeconds: 600,
      functionRetryAttempts: 0,
      function: {
        arns,
        functionName: props.functionName,
        entry: "functions/reconciler/handler.ts",
        files: { [REPOSITORIES_FILE]: JSON.stringify(props.repositories) },
        description: "Removes what closed pull requests left behind and idle PR pipelines",
        timeoutSeconds: 300,
        memorySize: 256,
        logRetentionDays: props.logRetentionDays,
        reservedConcurrency: 1,
        environment: {
          EVENT_BUS_NAME: props.bus.name,
          PR_STATE_TABLE: props.prStateTable.name,
          MAX_PR_PIPELINES: String(props.maxPullRequestPipelines),
          PR_ARTIFACT_BUCKET: prArtifactStore.bucket.bucket,
          PREVIEW_CLEANUP_ROLE_ARN: props.previewCleanupRoleArn,
          GITHUB_TOKEN_SECRET_ARN: props.githubToken.arn,
          IDLE_DAYS: String(props.idleDays),
          CREATE_MISSING: String(props.createMissing),
          DRY_RUN: String(props.dryRun),
        },
        statements: [
          // ListPipelines has no resource-level permissions.
          { Sid: "FindPipelines", Effect: "Allow", Action: "codepipeline:ListPipelines", Resource: "*" },
          {
            Sid: "InspectAndRemovePrPipelines",
            Effect: "Allow",
            Action: [
              "codepipeline:DeletePipeline",
              "codepipeline:GetPipeline",
              "codepipeline:ListActionExecutions",
              "codepipeline:ListPipelineExecutions",
              "codepipeline:ListTagsForResource",
            ],
            Resource: servicePipelines.map((name) => arns.regional("codepipeline", `${name}-pr-*`)),
          },
          { Sid: "CapacityLedger", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: props.prStateTable.arn },
          { Sid: "RequestRepairs", Effect: "Allow", Action: "events:PutEvents", Resource: props.bus.arn },
          { Sid: "ListPrArtifactVersions", Effect: "Allow", Action: "s3:ListBucketVersions", Resource: prArtifactStore.bucket.arn },
          {
            Sid: "DeleteIdleArtifacts",
            Effect: "Allow",
            Action: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
            Resource: arns.objects(prArtifactStore.bucket.bucket),
          },
          { Sid: "DeletePreviewStacks", Effect: "Allow", Action: "sts:AssumeRole", Resource: props.previewCleanupRoleArn },
          { Sid: "ReadGitHubToken", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: props.githubToken.arn },
        ],
      },
    });
    store.grantKeyUseVia("ReconcilerToken", [this.consumer.lambda.role], ["secretsmanager"]);
    store.grantKeyUseVia("ReconcilerCapacityLedger", [this.consumer.lambda.role], ["dynamodb"]);
  }
}
