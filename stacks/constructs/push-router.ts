import { Construct } from "constructs";
import type { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import type { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import type { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { DETAIL_TYPES, EVENT_SOURCE } from "../../functions/shared/events";
import type { ArtifactStore } from "./artifact-store";
import { BusConsumer } from "./bus-consumer";
import { REPOSITORIES_FILE, type RepositoryCatalogData } from "../../functions/shared/repositories";

export interface PushRouterProps {
  /**
   * The repositories served: each one's main branch and services (pipelines
   * and path filters); bundled with the function as its repository catalog.
   */
  readonly repositories: RepositoryCatalogData;
  /** Prefix of every name, e.g. the project name. */
  readonly namePrefix: string;
  /** The GitHub bus the webhook fills. */
  readonly bus: CloudwatchEventBus;
  /** Encrypts the dead-letter queue and the push-state table. */
  readonly store: ArtifactStore;
  /** Optional GitHub token for the compare API when a push lists too few files. */
  readonly githubToken: SecretsmanagerSecret;
  /** Name of the source action the pipelines pin to the pushed commit. @default "Source" */
  readonly sourceActionName?: string;
  /** Dead-letter alarms go here. */
  readonly alarmTopic: SnsTopic;
  readonly logRetentionDays: number;
}

/**
 * Monorepo routing: a function on the GitHub bus that starts, for a push to
 * a repository's main branch, only that repository's pipelines whose path
 * filters match the change,
 * each pinned to the pushed commit, and only when the push is newer than the
 * newest push that started the pipeline (one item per pipeline in a DynamoDB table).
 */
export class PushRouter extends Construct {
  readonly consumer: BusConsumer;
  readonly table: DynamodbTable;

  constructor(scope: Construct, id: string, props: PushRouterProps) {
    super(scope, id);
    const { store } = props;
    const pipelines = props.repositories.repositories.flatMap((repository) => repository.services.map((service) => service.pipeline));
    if (pipelines.length === 0) throw new Error("PushRouter: the repositories list no service; configure at least one service");

    // No TTL: an item lives as long as its pipeline, and losing it would let an old push start again.
    this.table = new DynamodbTable(this, "state", {
      name: `${props.namePrefix}-push-state`,
      billingMode: "PAY_PER_REQUEST",
      hashKey: "pipeline",
      attribute: [{ name: "pipeline", type: "S" }],
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: store.key.arn },
      deletionProtectionEnabled: true,
    });
    this.consumer = new BusConsumer(this, "push-router", {
      bus: props.bus,
      trigger: { eventPattern: { source: [EVENT_SOURCE], "detail-type": [DETAIL_TYPES.push] } },
      store,
      alarmTopic: props.alarmTopic,
      function: {
        arns: store.arns,
        functionName: `${props.namePrefix}-push-router`,
        entry: "functions/push-router/handler.ts",
        files: { [REPOSITORIES_FILE]: JSON.stringify(props.repositories) },
        description: "Starts the pipelines whose path filters match a push to a repository's main branch",
        timeoutSeconds: 60,
        memorySize: 256,
        logRetentionDays: props.logRetentionDays,
        environment: {
          SOURCE_ACTION_NAME: props.sourceActionName ?? "Source",
          GITHUB_TOKEN_SECRET_ARN: props.githubToken.arn,
          PUSH_STATE_TABLE: this.table.name,
        },
        statements: [
          {
            Sid: "StartServicePipelines",
            Effect: "Allow",
            Action: "codepipeline:StartPipelineExecution",
            Resource: pipelines.map((pipeline) => store.arns.regional("codepipeline", pipeline)),
          },
          { Sid: "ReadGitHubToken", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: props.githubToken.arn },
          // A refused write returns the stored item (ReturnValuesOnConditionCheckFailure), so no read is needed.
          { Sid: "PushState", Effect: "Allow", Action: "dynamodb:UpdateItem", Resource: this.table.arn },
        ],
      },
    });
    store.grantKeyUseVia("PushRouterToken", [this.consumer.lambda.role], ["secretsmanager"]);
    store.grantKeyUseVia("PushRouterState", [this.consumer.lambda.role], ["dynamodb"]);
  }
}
