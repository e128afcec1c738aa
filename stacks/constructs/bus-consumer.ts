import { Construct } from "constructs";
import type { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import type { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { policyDocument } from "../iam";
import type { ArtifactStore } from "./artifact-store";
import { LambdaFunction, type LambdaFunctionProps } from "./lambda-function";

/** What makes the rule fire: matching events, or a schedule. */
export type BusConsumerTrigger = { readonly eventPattern: Record<string, unknown> } | { readonly scheduleExpression: string };

export interface BusConsumerProps {
  /** The bus whose events the function consumes. @default the account's default bus (AWS service events, schedules) */
  readonly bus?: CloudwatchEventBus;
  /** Which events (or which schedule) invoke the function. */
  readonly trigger: BusConsumerTrigger;
  /** The function, created through the shared Lambda construct. */
  readonly function: LambdaFunctionProps;
  /** Encrypts the dead-letter queue; EventBridge is allowed to use it for this rule only. */
  readonly store: ArtifactStore;
  /** Where the alarm goes when the dead-letter queue is not empty. */
  readonly alarmTopic: SnsTopic;
  /** EventBridge's delivery attempts after the first (throttling, service errors) before dead-lettering. @default 8 */
  readonly maximumRetryAttempts?: number;
  /** Lambda's retries after the function itself failed, before the event goes to the dead-letter queue. @default 2 */
  readonly functionRetryAttempts?: number;
  /** Oldest event EventBridge still delivers, in seconds. @default 3600 */
  readonly maximumEventAgeSeconds?: number;
}

/**
 * A function fed by a rule on an EventBridge bus (or a schedule): bounded retries, then an
 * encrypted dead-letter queue that keeps the whole event for replay, and an
 * alarm as soon as that queue holds anything.
 *
 * EventBridge invokes Lambda asynchronously, so two failure paths lead to the
 * queue: the rule's dead-letter config catches events EventBridge could not
 * deliver, and the function's on-failure destination catches events the
 * function failed on after Lambda's own retries (with the error and the event).
 */
export class BusConsumer extends Construct {
  readonly lambda: LambdaFunction;
  readonly rule: CloudwatchEventRule;
  readonly deadLetterQueue: SqsQueue;

  constructor(scope: Construct, id: string, props: BusConsumerProps) {
    super(scope, id);
    const retries = props.maximumRetryAttempts ?? 8;
    const functionRetries = props.functionRetryAttempts ?? 2;
    if (!Number.isInteger(functionRetries) || functionRetries < 0 || functionRetries > 2) {
      throw new Error(`BusConsumer ${id}: functionRetryAttempts must be 0-2, got ${functionRetries}`);
    }
    const maxAge = props.maximumEventAgeSeconds ?? 3600;
    if (!Number.isInteger(retries) || retries < 0 || retries > 185) {
      throw new Error(`BusConsumer ${id}: maximumRetryAttempts must be 0-185, got ${retries}`);
    }
    if (!Number.isInteger(maxAge) || maxAge < 60 || maxAge > 86400) {
      throw new Error(`BusConsumer ${id}: maximumEventAgeSeconds must be 60-86400, got ${maxAge}`);
    }
    const name = props.function.functionName;

    this.lambda = new LambdaFunction(this, "function", props.function);
    const trigger = props.trigger;
    this.rule = new CloudwatchEventRule(this, "rule", {
      name,
      description: "eventPattern" in trigger ? `Delivers matching events to ${name}` : `Runs ${name} on a schedule`,
      eventBusName: props.bus?.name,
      ...("eventPattern" in trigger ? { eventPattern: JSON.stringify(trigger.eventPattern) } : { scheduleExpression: trigger.scheduleExpression }),
    });
    this.deadLetterQueue = new SqsQueue(this, "dlq", {
      name: `${name}-dlq`,
      kmsMasterKeyId: props.store.key.arn,
      kmsDataKeyReusePeriodSeconds: 3600,
      messageRetentionSeconds: 14 * 24 * 3600,
    });
    new SqsQueuePolicy(this, "dlq-policy", {
      queueUrl: this.deadLetterQueue.url,
      policy: policyDocument([
        {
          Sid: "RuleDeadLetters",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: this.deadLetterQueue.arn,
          Condition: { ArnEquals: { "aws:SourceArn": this.rule.arn } },
        },
      ]),
    });
    props.store.grantKeyUseToService(`${pascal(id)}DeadLetters`, "events.amazonaws.com", [this.rule.arn]);

    new CloudwatchEventTarget(this, "target", {
      rule: this.rule.name,
      eventBusName: props.bus?.name,
      targetId: "function",
      arn: this.lambda.function.arn,
      retryPolicy: { maximumRetryAttempts: retries, maximumEventAgeInSeconds: maxAge },
      deadLetterConfig: { arn: this.deadLetterQueue.arn },
    });
    new IamRolePolicy(this, "failure-destination", {
      role: this.lambda.role.name,
      name: "failure-destination",
      policy: policyDocument([{ Sid: "DeadLetters", Effect: "Allow", Action: "sqs:SendMessage", Resource: this.deadLetterQueue.arn }]),
    });
    props.store.grantKeyUseVia(`${pascal(id)}FailureDestination`, [this.lambda.role], ["sqs"]);
    new LambdaFunctionEventInvokeConfig(this, "async-invoke", {
      functionName: this.lambda.function.functionName,
      maximumRetryAttempts: functionRetries,
      maximumEventAgeInSeconds: maxAge,
      destinationConfig: { onFailure: { destination: this.deadLetterQueue.arn } },
    });
    new LambdaPermission(this, "invoke", {
      statementId: "EventBridgeRule",
      action: "lambda:InvokeFunction",
      functionName: this.lambda.function.functionName,
      principal: "events.amazonaws.com",
      sourceArn: this.rule.arn,
    });

    new CloudwatchMetricAlarm(this, "dlq-alarm", {
      alarmName: `${name}-dead-letters`,
      alarmDescription: `Events ${name} could not handle are waiting in ${name}-dlq. Fix the cause, then redrive them from the queue.`,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: this.deadLetterQueue.name },
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [props.alarmTopic.arn],
      okActions: [props.alarmTopic.arn],
    });
  }
}

function pascal(id: string): string {
  return id.replace(/(^|[-_])(\w)/g, (_m, _sep, c: string) => c.toUpperCase());
}
