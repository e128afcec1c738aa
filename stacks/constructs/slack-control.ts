import { Construct } from "constructs";
import type { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import type { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import type { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { REPOSITORIES_FILE, type RepositoryCatalogData } from "../../functions/shared/repositories";
import { SLACK_ACTIONS_EVENT_PATTERN, SLACK_EVENT_SOURCE, SLACK_REQUEST_DETAIL_TYPE } from "../../functions/shared/slack/bus-event";
import type { ArtifactStore } from "./artifact-store";
import { BusConsumer } from "./bus-consumer";
import type { DeliveryPipeline } from "./delivery-pipeline";
import { LambdaFunction } from "./lambda-function";

/** The paths Slack POSTs to, as set in the app's settings (Slash Commands, Interactivity & Shortcuts). */
export const SLACK_ROUTES = { commands: "/slack/commands", interactions: "/slack/interactions" } as const;

export interface SlackControlProps {
  /** The HTTP API the routes are added to (the webhook's). */
  readonly api: Apigatewayv2Api;
  /** The bus the front puts requests on and the worker's rule reads (the GitHub bus). */
  readonly bus: CloudwatchEventBus;
  /** The front: verifies, acknowledges and hands requests on. Also names its role, the only one the bus lets speak for Slack. */
  readonly functionName: string;
  /** The worker: approvals, deployments and answers. */
  readonly actionsFunctionName: string;
  /** Names of the secrets: the signing secret and the bot token. */
  readonly signingSecretName: string;
  readonly botTokenSecretName: string;
  /** Base URL of Slack's Web API. */
  readonly apiUrl: string;
  /** The repositories and their services (with `slackApprovers`); bundled with the worker, which authorizes from it. */
  readonly repositories: RepositoryCatalogData;
  /** The main pipelines: the only ones Slack may approve, inspect and start. */
  readonly pipelines: readonly DeliveryPipeline[];
  /** Encrypts the secrets and the dead-letter queue. */
  readonly store: ArtifactStore;
  /** Dead-letter alarms go here. */
  readonly alarmTopic: SnsTopic;
  readonly logRetentionDays: number;
}

/**
 * The Slack app: `POST /slack/commands` and `POST /slack/interactions` on the
 * webhook's HTTP API, to a front that checks Slack's signature, answers
 * before Slack gives up and puts the request on the bus; and a worker
 * on the bus that checks the signature again, then approves, rejects,
 * deploys or answers. Only the worker may act on pipelines, and only on the
 * main pipelines' approval actions and executions.
 */
export class SlackControl extends Construct {
  /** `{"current": "...", "previous": "..."}`, like the GitHub webhook secret. */
  readonly signingSecret: SecretsmanagerSecret;
  /** `{"token": "xoxb-..."}`: the worker and the notifier post with it. */
  readonly botTokenSecret: SecretsmanagerSecret;
  readonly front: LambdaFunction;
  readonly worker: BusConsumer;
  private readonly api: Apigatewayv2Api;

  constructor(scope: Construct, id: string, props: SlackControlProps) {
    super(scope, id);
    if (props.pipelines.length === 0) throw new Error("SlackControl: no pipeline to act on; configure at least one service");
    const { store, bus } = props;
    this.api = props.api;

    this.signingSecret = new SecretsmanagerSecret(this, "signing-secret", {
      name: props.signingSecretName,
      description:
        'Slack app signing secret as JSON {"current": "...", "previous": "..."} (previous only while rotating; Basic Information > App Credentials). Set the value yourself; it is never in Terraform state.',
      kmsKeyId: store.key.arn,
      recoveryWindowInDays: 7,
    });
    this.botTokenSecret = new SecretsmanagerSecret(this, "bot-token", {
      name: props.botTokenSecretName,
      description:
        'Slack app bot token as JSON {"token": "xoxb-..."} (OAuth & Permissions; scopes chat:write, commands). Set the value yourself; it is never in Terraform state.',
      kmsKeyId: store.key.arn,
      recoveryWindowInDays: 7,
    });

    this.front = new LambdaFunction(this, "front", {
      arns: store.arns,
      functionName: props.functionName,
      entry: "functions/slack/handler.ts",
      description: "Verifies Slack's requests, acknowledges them and puts them on the bus for the worker",
      // Slack stops waiting for an acknowledgement after this long; a later answer is lost.
      timeoutSeconds: 3,
      memorySize: 512,
      logRetentionDays: props.logRetentionDays,
      environment: {
        SLACK_SIGNING_SECRET_ARN: this.signingSecret.arn,
        EVENT_BUS_NAME: bus.name,
      },
      statements: [
        {
          Sid: "PutSlackRequests",
          Effect: "Allow",
          Action: "events:PutEvents",
          Resource: bus.arn,
          // Slack requests only: the front never speaks for GitHub.
          Condition: { StringEquals: { "events:source": SLACK_EVENT_SOURCE, "events:detail-type": SLACK_REQUEST_DETAIL_TYPE } },
        },
        { Sid: "ReadSigningSecret", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: this.signingSecret.arn },
      ],
    });
    store.grantKeyUseVia("SlackSigningSecret", [this.front.role], ["secretsmanager"]);

    const integration = new Apigatewayv2Integration(this, "integration", {
      apiId: props.api.id,
      integrationType: "AWS_PROXY",
      integrationUri: this.front.function.invokeArn,
      payloadFormatVersion: "2.0",
      // Just under Slack's wait: a stuck call ends in an error response while Slack still listens.
      timeoutMilliseconds: 2900,
    });
    for (const [name, path] of Object.entries(SLACK_ROUTES)) {
      new Apigatewayv2Route(this, `${name}-route`, { apiId: props.api.id, routeKey: `POST ${path}`, target: `integrations/${integration.id}` });
      new LambdaPermission(this, `${name}-invoke`, {
        statementId: `HttpApiSlack${name.charAt(0).toUpperCase()}${name.slice(1)}Route`,
        action: "lambda:InvokeFunction",
        functionName: this.front.function.functionName,
        principal: "apigateway.amazonaws.com",
        sourceArn: `${props.api.executionArn}/*/POST${path}`,
      });
    }

    const pipelineArns = props.pipelines.map((pipeline) => pipeline.pipeline.arn);
    const secrets = [this.signingSecret.arn, this.botTokenSecret.arn];
    this.worker = new BusConsumer(this, "actions", {
      bus,
      trigger: { eventPattern: SLACK_ACTIONS_EVENT_PATTERN },
      store,
      alarmTopic: props.alarmTopic,
      // A response_url lasts this long; an answer after it cannot reach Slack.
      maximumEventAgeSeconds: 1800,
      functionRetryAttempts: 2,
      function: {
        arns: store.arns,
        functionName: props.actionsFunctionName,
        entry: "functions/slack-actions/handler.ts",
        files: { [REPOSITORIES_FILE]: JSON.stringify(props.repositories) },
        description: "Approves, rejects and deploys from Slack, for the people each service allows, and answers in Slack",
        timeoutSeconds: 30,
        memorySize: 256,
        logRetentionDays: props.logRetentionDays,
        environment: {
          SLACK_SIGNING_SECRET_ARN: this.signingSecret.arn,
          SLACK_BOT_TOKEN_SECRET_ARN: this.botTokenSecret.arn,
          SLACK_API_URL: props.apiUrl,
        },
        statements: [
          {
            Sid: "AnswerProdApprovals",
            Effect: "Allow",
            Action: "codepipeline:PutApprovalResult",
            Resource: props.pipelines.map((pipeline) => pipeline.approvalActionArn),
          },
          {
            Sid: "SeeMainPipelines",
            Effect: "Allow",
            Action: ["codepipeline:GetPipelineState", "codepipeline:ListPipelineExecutions"],
            Resource: pipelineArns,
          },
          { Sid: "DeployMainPipelines", Effect: "Allow", Action: "codepipeline:StartPipelineExecution", Resource: pipelineArns },
          { Sid: "ReadSlackSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secrets },
        ],
      },
    });
    store.grantKeyUseVia("SlackActionsSecrets", [this.worker.lambda.role], ["secretsmanager"]);
  }

  /** The Request URL of the app's slash command `/pipewright`. */
  get commandsUrl(): string {
    return `${this.api.apiEndpoint}${SLACK_ROUTES.commands}`;
  }

  /** The Request URL of the app's interactivity (buttons). */
  get interactionsUrl(): string {
    return `${this.api.apiEndpoint}${SLACK_ROUTES.interactions}`;
  }
}
