import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import type { BuildStack } from "../stacks/build-stack";
import { BusConsumer } from "../stacks/constructs/bus-consumer";
import { policyDocument } from "../stacks/iam";

/** Target id of the sandbox's extra target on every bus rule. */
export const DELIVERY_TARGET_ID = "sandbox-delivery";

/** Suffix of the queue that carries a rule's matches to the sandbox runtime. */
export const DELIVERY_QUEUE_SUFFIX = "-sandbox-delivery";

/**
 * Sandbox-only resources, added to the synthesized build stack and never to
 * the platform's own stacks.
 *
 * The emulator matches events against the bus rules but cannot invoke a
 * Lambda target (moto runs functions only in Docker). So every rule that
 * feeds a function gets one more target: an SQS queue, which the emulator
 * does deliver to. The sandbox runtime polls it and invokes the function
 * as EventBridge would, with the real target's retry policy, dead-letter
 * queue and the function's async-invoke settings, all read from the state
 * Terraform applied.
 */
export function addSandboxDeliveryTargets(build: BuildStack): SqsQueue[] {
  const consumers = build.node.findAll().filter((c): c is BusConsumer => c instanceof BusConsumer);
  return consumers.map((consumer) => {
    const functionName = consumer.lambda.function.functionNameInput as string;
    const queue = new SqsQueue(consumer, "sandbox-delivery", {
      name: `${functionName}${DELIVERY_QUEUE_SUFFIX}`,
      sqsManagedSseEnabled: true,
      // The runtime keeps a message invisible while it works on it (retries included).
      visibilityTimeoutSeconds: 900,
    });
    new SqsQueuePolicy(consumer, "sandbox-delivery-policy", {
      queueUrl: queue.url,
      policy: policyDocument([
        {
          Sid: "RuleMatches",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: queue.arn,
          Condition: { ArnEquals: { "aws:SourceArn": consumer.rule.arn } },
        },
      ]),
    });
    new CloudwatchEventTarget(consumer, "sandbox-delivery-target", {
      rule: consumer.rule.name,
      eventBusName: consumer.rule.eventBusNameInput,
      targetId: DELIVERY_TARGET_ID,
      arn: queue.arn,
    });
    return queue;
  });
}
