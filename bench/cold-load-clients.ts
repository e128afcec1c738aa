import { z } from "zod";

/**
 * An SDK client a function's first invocation builds, and one call it makes
 * with it (sent by the cold-load probe and answered in-process).
 */
export const firstInvocationClientSchema = z.object({
  /** The SDK package, e.g. @aws-sdk/client-eventbridge. */
  module: z.string().startsWith("@aws-sdk/client-"),
  client: z.string().endsWith("Client"),
  /** The operation, e.g. PutEvents; the probe sends `<operation>Command`. */
  operation: z.string().regex(/^[A-Z][A-Za-z]+$/),
  input: z.record(z.string(), z.unknown()),
  /** The signing name the emulator's request history shows for its calls, e.g. `events`. */
  service: z.string(),
});
export const firstInvocationClientsSchema = z.array(firstInvocationClientSchema);
export type FirstInvocationClient = z.infer<typeof firstInvocationClientSchema>;

const client = (
  service: string,
  module: string,
  clientName: string,
  operation: string,
  input: Record<string, unknown> = {},
): FirstInvocationClient => ({
  module: `@aws-sdk/client-${module}`,
  client: `${clientName}Client`,
  operation,
  input,
  service,
});

/**
 * What each function's first invocation needs from the SDK, by function folder
 * (read in each handler). For the functions the benchmark's sandbox events
 * reach, bench/sandbox.ts checks these services against the calls the
 * emulator saw, so a new client on the first invocation is not left out here
 * unnoticed. Clients a function builds only for rarer work (pr-pipelines'
 * STS and CloudFormation for preview stacks, GitHub credentials) are not a
 * first invocation's.
 */
export const FIRST_INVOCATION_CLIENTS: Readonly<Record<string, readonly FirstInvocationClient[]>> = {
  webhook: [
    client("secretsmanager", "secrets-manager", "SecretsManager", "GetSecretValue", { SecretId: "webhook-secret" }),
    client("events", "eventbridge", "EventBridge", "PutEvents", { Entries: [] }),
  ],
  // The Slack front answers within Slack's 3 s: the signing secret and PutEvents, nothing else.
  slack: [
    client("secretsmanager", "secrets-manager", "SecretsManager", "GetSecretValue", { SecretId: "slack-signing-secret" }),
    client("events", "eventbridge", "EventBridge", "PutEvents", { Entries: [] }),
  ],
  "slack-actions": [
    client("secretsmanager", "secrets-manager", "SecretsManager", "GetSecretValue", { SecretId: "slack-signing-secret" }),
    client("codepipeline", "codepipeline", "CodePipeline", "GetPipelineState", { name: "pipeline" }),
  ],
  "pr-pipelines": [
    client("dynamodb", "dynamodb", "DynamoDB", "UpdateItem", { TableName: "pr-state", Key: {} }),
    client("codepipeline", "codepipeline", "CodePipeline", "GetPipeline", { name: "pipeline" }),
  ],
  "push-router": [
    client("dynamodb", "dynamodb", "DynamoDB", "UpdateItem", { TableName: "push-state", Key: {} }),
    client("codepipeline", "codepipeline", "CodePipeline", "StartPipelineExecution", { name: "pipeline" }),
  ],
  notifier: [
    client("codepipeline", "codepipeline", "CodePipeline", "GetPipelineExecution", { pipelineName: "pipeline", pipelineExecutionId: "id" }),
    client("sns", "sns", "SNS", "Publish", { TopicArn: "arn:aws:sns:eu-west-1:123456789012:topic", Message: "m" }),
  ],
  reconciler: [
    client("codepipeline", "codepipeline", "CodePipeline", "ListPipelines"),
    client("sts", "sts", "STS", "GetCallerIdentity"),
    client("dynamodb", "dynamodb", "DynamoDB", "GetItem", { TableName: "pr-state", Key: {} }),
  ],
  "pre-traffic": [
    client("codedeploy", "codedeploy", "CodeDeploy", "GetDeployment", { deploymentId: "d" }),
    client("lambda", "lambda", "Lambda", "Invoke", { FunctionName: "function", Qualifier: "1" }),
    client("codedeploy", "codedeploy", "CodeDeploy", "PutLifecycleEventHookExecutionStatus", {
      deploymentId: "d",
      lifecycleEventHookExecutionId: "h",
      status: "Succeeded",
    }),
  ],
  "post-traffic": [
    client("codedeploy", "codedeploy", "CodeDeploy", "GetDeployment", { deploymentId: "d" }),
    client("lambda", "lambda", "Lambda", "GetFunction", { FunctionName: "function" }),
    client("cloudformation", "cloudformation", "CloudFormation", "DescribeStacks", { StackName: "stack" }),
    client("codedeploy", "codedeploy", "CodeDeploy", "PutLifecycleEventHookExecutionStatus", {
      deploymentId: "d",
      lifecycleEventHookExecutionId: "h",
      status: "Succeeded",
    }),
  ],
};
