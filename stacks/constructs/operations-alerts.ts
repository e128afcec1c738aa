import { Construct } from "constructs";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import type { ArtifactStore } from "./artifact-store";

export interface OperationsAlertsProps {
  /** Topic name. */
  readonly topicName: string;
  /** Encrypts the topic; CloudWatch may use it for the platform's alarms only. */
  readonly store: ArtifactStore;
  /** Prefix of the alarms allowed to publish, e.g. `pipewright-`. */
  readonly alarmNamePrefix: string;
  /** Addresses subscribed to the topic (each must confirm once). @default none */
  readonly emails?: readonly string[];
}

/** An encrypted SNS topic for the platform's own alarms (dead letters, failures of pipewright itself). */
export class OperationsAlerts extends Construct {
  readonly topic: SnsTopic;

  constructor(scope: Construct, id: string, props: OperationsAlertsProps) {
    super(scope, id);
    this.topic = new SnsTopic(this, "topic", { name: props.topicName, kmsMasterKeyId: props.store.key.arn });
    const alarms = props.store.arns.regional("cloudwatch", `alarm:${props.alarmNamePrefix}*`);
    props.store.grantKeyUseToService("CloudWatchAlarmsToAlerts", "cloudwatch.amazonaws.com", [alarms]);
    for (const [index, email] of (props.emails ?? []).entries()) {
      new SnsTopicSubscription(this, `email-${index}`, { topicArn: this.topic.arn, protocol: "email", endpoint: email });
    }
  }
}
