import { Construct } from "constructs";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { CloudwatchEventArchive } from "@cdktf/provider-aws/lib/cloudwatch-event-archive";
import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { CloudwatchEventBusPolicy } from "@cdktf/provider-aws/lib/cloudwatch-event-bus-policy";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { EVENT_SOURCE } from "../../functions/shared/events";
import { type PolicyStatement, policyDocument } from "../iam";
import type { ArtifactStore } from "./artifact-store";
import { LambdaFunction } from "./lambda-function";
import { REPOSITORIES_FILE, type RepositoryCatalogData } from "../../functions/shared/repositories";
import { SLACK_EVENT_SOURCE } from "../../functions/shared/slack/bus-event";

export interface WebhookIntakeProps {
  /** The repositories served and their services; bundled with the function as its repository catalog (deliveries of others are ignored). */
  readonly repositories: RepositoryCatalogData;
  /** Prefix of every name, e.g. the project name. */
  readonly namePrefix: string;
  /**
   * Roles besides the webhook's that may put GitHub events (source
   * `pipewright.github`) on the bus: the reconciler's repairs. The bus's
   * policy refuses such events from every other principal of the account.
   * @default none
   */
  readonly otherGitHubEventPublisherArns?: readonly string[];
  /**
   * Roles that may put Slack requests (source `pipewright.slack`) on the
   * bus: the Slack app's front. The bus's policy refuses such events from
   * every other principal, and from everyone when there is none.
   * @default none
   */
  readonly slackEventPublisherArns?: readonly string[];
  /** Encrypts the secret; the function may decrypt it only through Secrets Manager. */
  readonly store: ArtifactStore;
  /** Retention of the function's and the API's logs, in days. */
  readonly logRetentionDays: number;
  /** Days the bus archive keeps events for replay. @default 30 */
  readonly archiveRetentionDays?: number;
  /** Steady requests per second the route accepts. @default 50 */
  readonly throttlingRateLimit?: number;
  /** Burst the route accepts. @default 100 */
  readonly throttlingBurstLimit?: number;
}

/**
 * GitHub's way in: an HTTP API with `POST /webhook`, the webhook function
 * that verifies every delivery against a secret kept in Secrets Manager, and
 * the custom bus (with an archive for replay) it puts normalized events on.
 */
export class WebhookIntake extends Construct {
  readonly api: Apigatewayv2Api;
  readonly stage: Apigatewayv2Stage;
  readonly bus: CloudwatchEventBus;
  readonly secret: SecretsmanagerSecret;
  readonly lambda: LambdaFunction;

  constructor(scope: Construct, id: string, props: WebhookIntakeProps) {
    super(scope, id);
    const rate = props.throttlingRateLimit ?? 50;
    const burst = props.throttlingBurstLimit ?? 100;
    const archiveDays = props.archiveRetentionDays ?? 30;
    if (!(rate > 0) || !Number.isInteger(burst) || burst < 1) {
      throw new Error(`WebhookIntake: throttlingRateLimit and throttlingBurstLimit must be positive, got ${rate} and ${burst}`);
    }
    if (!Number.isInteger(archiveDays) || archiveDays < 1) {
      throw new Error(`WebhookIntake: archiveRetentionDays must be a whole number of days >= 1, got ${archiveDays}`);
    }
    const { store, namePrefix } = props;

    this.secret = new SecretsmanagerSecret(this, "secret", {
      name: `${namePrefix}/github-webhook-secret`,
      description:
        'GitHub webhook secret as JSON {"current": "...", "previous": "..."} (previous only while rotating). Set the value yourself; it is never in Terraform state.',
      kmsKeyId: store.key.arn,
      recoveryWindowInDays: 7,
    });

    this.bus = new CloudwatchEventBus(this, "bus", { name: `${namePrefix}-github` });
    new CloudwatchEventArchive(this, "archive", {
      name: `${namePrefix}-github`,
      description: "Every GitHub event, for replay after an outage",
      eventSourceArn: this.bus.arn,
      retentionDays: archiveDays,
    });

    this.lambda = new LambdaFunction(this, "function", {
      arns: store.arns,
      functionName: `${namePrefix}-webhook`,
      entry: "functions/webhook/handler.ts",
      files: { [REPOSITORIES_FILE]: JSON.stringify(props.repositories) },
      description: "Verifies GitHub webhook deliveries and puts them on the GitHub bus",
      timeoutSeconds: 8,
      memorySize: 512,
      logRetentionDays: props.logRetentionDays,
      environment: {
        WEBHOOK_SECRET_ARN: this.secret.arn,
        EVENT_BUS_NAME: this.bus.name,
      },
      statements: [
        { Sid: "PutGitHubEvents", Effect: "Allow", Action: "events:PutEvents", Resource: this.bus.arn },
        { Sid: "ReadWebhookSecret", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: this.secret.arn },
      ],
    });
    store.grantKeyUseVia("WebhookSecret", [this.lambda.role], ["secretsmanager"]);
    const slackPublishers = props.slackEventPublisherArns ?? [];
    // Slack requests make the worker approve and deploy; the worker checks their signature too, this keeps forgeries off the bus.
    const onlySlackFront: PolicyStatement = {
      Sid: "OnlyTheSlackFrontSpeaksForSlack",
      Effect: "Deny",
      Principal: "*",
      Action: "events:PutEvents",
      Resource: this.bus.arn,
      Condition: {
        StringEquals: { "events:source": SLACK_EVENT_SOURCE },
        ...(slackPublishers.length > 0 ? { ArnNotEquals: { "aws:PrincipalArn": [...slackPublishers] } } : {}),
      },
    };
    new CloudwatchEventBusPolicy(this, "bus-policy", {
      eventBusName: this.bus.name,
      policy: policyDocument([
        {
          // What is on this bus starts pipelines; only GitHub, through the verified webhook, may speak for it.
          Sid: "OnlyTheWebhookSpeaksForGitHub",
          Effect: "Deny",
          Principal: "*",
          Action: "events:PutEvents",
          Resource: this.bus.arn,
          Condition: {
            StringEquals: { "events:source": EVENT_SOURCE },
            ArnNotEquals: { "aws:PrincipalArn": [this.lambda.role.arn, ...(props.otherGitHubEventPublisherArns ?? [])] },
          },
        },
        onlySlackFront,
      ]),
    });

    this.api = new Apigatewayv2Api(this, "api", {
      name: `${namePrefix}-webhook`,
      protocolType: "HTTP",
      description: "GitHub webhook deliveries",
    });
    const integration = new Apigatewayv2Integration(this, "integration", {
      apiId: this.api.id,
      integrationType: "AWS_PROXY",
      integrationUri: this.lambda.function.invokeArn,
      payloadFormatVersion: "2.0",
      timeoutMilliseconds: 9000,
    });
    new Apigatewayv2Route(this, "route", {
      apiId: this.api.id,
      routeKey: "POST /webhook",
      target: `integrations/${integration.id}`,
    });
    const accessLogs = new CloudwatchLogGroup(this, "access-logs", {
      name: `/aws/apigateway/${namePrefix}-webhook`,
      retentionInDays: props.logRetentionDays,
    });
    this.stage = new Apigatewayv2Stage(this, "stage", {
      apiId: this.api.id,
      name: "$default",
      autoDeploy: true,
      defaultRouteSettings: { throttlingRateLimit: rate, throttlingBurstLimit: burst },
      accessLogSettings: {
        destinationArn: accessLogs.arn,
        format: JSON.stringify({
          requestId: "$context.requestId",
          ip: "$context.identity.sourceIp",
          requestTime: "$context.requestTime",
          routeKey: "$context.routeKey",
          status: "$context.status",
          responseLength: "$context.responseLength",
          integrationLatency: "$context.integrationLatency",
          integrationError: "$context.integrationErrorMessage",
        }),
      },
    });
    new LambdaPermission(this, "invoke", {
      statementId: "HttpApiWebhookRoute",
      action: "lambda:InvokeFunction",
      functionName: this.lambda.function.functionName,
      principal: "apigateway.amazonaws.com",
      sourceArn: `${this.api.executionArn}/*/POST/webhook`,
    });
  }

  /** The URL to register in GitHub's webhook settings. */
  get webhookUrl(): string {
    return `${this.api.apiEndpoint}/webhook`;
  }
}
