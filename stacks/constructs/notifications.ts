import { Construct } from "constructs";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { NOTIFIER_EVENT_PATTERN } from "../../functions/shared/codepipeline-events";
import type { ArtifactStore } from "./artifact-store";
import { BusConsumer } from "./bus-consumer";
import { REPOSITORIES_FILE, type RepositoryCatalogData } from "../../functions/shared/repositories";
import type { PolicyStatement } from "../iam";

/**
 * How the notifier reaches Slack: not at all; an incoming webhook (its URL in
 * a secret this construct creates); or the Slack app's bot, posting one
 * thread per pipeline execution in a channel.
 */
export type NotificationsSlack =
  | { readonly mode: "off" }
  | { readonly mode: "webhook" }
  | {
      readonly mode: "bot";
      /** ID of the channel to post in. */
      readonly channel: string;
      /** Base URL of Slack's Web API. */
      readonly apiUrl: string;
      /** The app's bot token (the Slack app's construct owns it). */
      readonly botToken: SecretsmanagerSecret;
      /** Name of the table of threads this construct creates. */
      readonly threadsTableName: string;
    };

export interface NotificationsProps {
  /**
   * The repositories served and their services; bundled with the function as
   * its repository catalog, which ties each pipeline to its repository (commit
   * statuses, messages), main branch and service.
   */
  readonly repositories: RepositoryCatalogData;
  /** Prefix of every name, e.g. the project name; the platform's pipelines start with `<namePrefix>-`. */
  readonly namePrefix: string;
  /** Encrypts the topic, the Slack secret, the threads table and the dead-letter queue. */
  readonly store: ArtifactStore;
  /** Addresses subscribed to the topic. @default none */
  readonly emails?: readonly string[];
  /** How the notifier reaches Slack. @default off */
  readonly slack?: NotificationsSlack;
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
  /** The incoming-webhook URL's secret (webhook mode). */
  readonly slackSecret?: SecretsmanagerSecret;
  /** The notifier's Slack threads, `thread` = `<pipeline>#<executionId>` (bot mode). */
  readonly slackThreads?: DynamodbTable;
  readonly consumer: BusConsumer;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    const { store } = props;
    this.topic = new SnsTopic(this, "topic", { name: `${props.namePrefix}-notifications`, kmsMasterKeyId: store.key.arn });
    for (const [index, email] of (props.emails ?? []).entries()) {
      new SnsTopicSubscription(this, `email-${index}`, { topicArn: this.topic.arn, protocol: "email", endpoint: email });
    }
    const slack = this.slackChannel(props.slack ?? { mode: "off" }, props);
    this.slackSecret = slack.webhookSecret;
    this.slackThreads = slack.threads;
    const pipelinePrefix = `${props.namePrefix}-`;
    const pipelines = store.arns.regional("codepipeline", `${pipelinePrefix}*`);
    const secrets = [props.githubToken.arn, ...slack.secretArns];

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
          ...slack.environment,
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
          ...slack.statements,
        ],
      },
    });
    store.grantKeyUseVia("NotifierChannels", [this.consumer.lambda.role], ["sns", "secretsmanager", ...slack.keyServices]);
  }

  /** Creates what the chosen way to Slack needs, and says what the notifier must be told and allowed. */
  private slackChannel(slack: NotificationsSlack, props: NotificationsProps): SlackChannelAccess {
    const { store } = props;
    if (slack.mode === "off") return { environment: {}, statements: [], secretArns: [], keyServices: [] };
    if (slack.mode === "webhook") {
      const secret = new SecretsmanagerSecret(this, "slack-webhook", {
        name: `${props.namePrefix}/slack-webhook-url`,
        description: "Slack incoming-webhook URL (https://hooks.slack.com/services/...). Set the value yourself; empty means no Slack messages.",
        kmsKeyId: store.key.arn,
        recoveryWindowInDays: 7,
      });
      return {
        environment: { SLACK_WEBHOOK_SECRET_ARN: secret.arn },
        statements: [],
        secretArns: [secret.arn],
        keyServices: [],
        webhookSecret: secret,
      };
    }
    // Without deletion protection: switching the bot off removes it, and a lost thread only means the next message starts a new one.
    const threads = new DynamodbTable(this, "slack-threads", {
      name: slack.threadsTableName,
      billingMode: "PAY_PER_REQUEST",
      hashKey: "thread",
      attribute: [{ name: "thread", type: "S" }],
      ttl: { attributeName: "expiresAt", enabled: true },
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: store.key.arn },
    });
    return {
      threads,
      environment: {
        SLACK_BOT_TOKEN_SECRET_ARN: slack.botToken.arn,
        SLACK_CHANNEL: slack.channel,
        SLACK_API_URL: slack.apiUrl,
        SLACK_THREADS_TABLE: threads.name,
      },
      statements: [
        { Sid: "SlackThreads", Effect: "Allow", Action: ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"], Resource: threads.arn },
      ],
      secretArns: [slack.botToken.arn],
      keyServices: ["dynamodb"],
    };
  }
}

/** What the notifier needs for its way to Slack. */
interface SlackChannelAccess {
  readonly environment: Readonly<Record<string, string>>;
  readonly statements: readonly PolicyStatement[];
  /** Secrets it reads. */
  readonly secretArns: readonly string[];
  /** Services beyond SNS and Secrets Manager through which it uses the platform key. */
  readonly keyServices: readonly string[];
  readonly webhookSecret?: SecretsmanagerSecret;
  readonly threads?: DynamodbTable;
}
