import { Construct } from "constructs";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { NOTIFIER_EVENT_PATTERN } from "../../functions/shared/codepipeline-events";
import type { ArtifactStore } from "./artifact-store";
import { BusConsumer } from "./bus-consumer";
import { REPOSITORIES_FILE, type RepositoryCatalogData } from "../../functions/shared/repositories";

export interface NotificationsProps {
  /**
   * The repositories served and their services; bundled with the function as
   * its repository catalog, which ties each pipeline to its repository (commit
   * statuses, messages), main branch and service.
   */
  readonly repositories: RepositoryCatalogData;
  /** Prefix of every name, e.g. the project name; the platform's pipelines start with `<namePrefix>-`. */
  readonly namePrefix: string;
  /** Encrypts the topic, the Slack secret and the dead-letter queue. */
  readonly store: ArtifactStore;
  /** Addresses subscribed to the topic. @default none */
  readonly emails?: readonly string[];
  /** Create a secret for a Slack incoming-webhook URL. @default false */
  readonly slack?: boolean;
  /** GitHub token for commit statuses (optional value). */
  readonly githubToken: SecretsmanagerSecret;
  /** States that notify: FAILED, APPROVAL_WAITING, RECOVERED, SUCCEEDED, STARTED, STOPPED, SUPERSEDED. @default FAILED, APPROVAL_WAITING, RECOVERED */
  readonly notifyStates?: readonly string[];
  /** Dead-letter alarms go here. */
  readonly alarmTopic: SnsTopic;
  readonly logRetentionDays: number;
}

/**
 * Feedback from the pipelines: CodePipeline's state changes on the default
 * bus go to the notifier, which tells people (e-mail through SNS, Slack) and
 * GitHub (commit statuses).
 */
export class Notifications extends Construct {
  readonly topic: SnsTopic;
  readonly slackSecret?: SecretsmanagerSecret;
  readonly consumer: BusConsumer;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    const { store } = props;
    this.topic = new SnsTopic(this, "topic", { name: `${props.namePrefix}-notifications`, kmsMasterKeyId: store.key.arn });
    for (const [index, email] of (props.emails ?? []).entries()) {
      new SnsTopicSubscription(this, `email-${index}`, { topicArn: this.topic.arn, protocol: "email", endpoint: email });
    }
    if (props.slack) {
      this.slackSecret = new SecretsmanagerSecret(this, "slack-webhook", {
        name: `${props.namePrefix}/slack-webhook-url`,
        description: "Slack incoming-webhook URL (https://hooks.slack.com/services/...). Set the value yourself; empty means no Slack messages.",
        kmsKeyId: store.key.arn,
        recoveryWindowInDays: 7,
      });
    }
    const pipelinePrefix = `${props.namePrefix}-`;
    const pipelines = store.arns.regional("codepipeline", `${pipelinePrefix}*`);
    const secrets = [props.githubToken.arn, ...(this.slackSecret ? [this.slackSecret.arn] : [])];

    this.consumer = new BusConsumer(this, "notifier", {
      trigger: { eventPattern: NOTIFIER_EVENT_PATTERN(pipelinePrefix) },
      store,
      alarmTopic: props.alarmTopic,
      function: {
        arns: store.arns,
        functionName: `${props.namePrefix}-notifier`,
        entry: "functions/notifier/handler.ts",
        files: { [REPOSITORIES_FILE]: JSON.stringify(props.repositories) },
        description: "Tells people and GitHub what the pipelines did",
        timeoutSeconds: 60,
        memorySize: 256,
        logRetentionDays: props.logRetentionDays,
        environment: {
          TOPIC_ARN: this.topic.arn,
          PIPELINE_PREFIX: pipelinePrefix,
          NOTIFY_STATES: (props.notifyStates ?? ["FAILED", "APPROVAL_WAITING", "RECOVERED"]).join(","),
          GITHUB_TOKEN_SECRET_ARN: props.githubToken.arn,
          ...(this.slackSecret ? { SLACK_WEBHOOK_SECRET_ARN: this.slackSecret.arn } : {}),
        },
        statements: [
          {
            Sid: "ReadExecutions",
            Effect: "Allow",
            Action: [
              "codepipeline:GetPipelineExecution",
              "codepipeline:ListActionExecutions",
              "codepipeline:ListPipelineExecutions",
              "codepipeline:ListTagsForResource",
            ],
            Resource: pipelines,
          },
          { Sid: "Notify", Effect: "Allow", Action: "sns:Publish", Resource: this.topic.arn },
          { Sid: "ReadCredentials", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secrets },
        ],
      },
    });
    store.grantKeyUseVia("NotifierChannels", [this.consumer.lambda.role], ["sns", "secretsmanager"]);
  }
}
