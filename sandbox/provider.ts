import type { AwsProviderConfig } from "@cdktf/provider-aws/lib/provider";

/**
 * The AWS services the stacks (and the provider itself) call. Every one gets
 * an endpoint override: a service left out would silently go to real AWS.
 * `codeconnections`/`codestarconnections` are listed although the sandbox
 * configuration uses an existing connection ARN, so a configuration that
 * creates one fails against the emulator instead of reaching AWS.
 */
export const EMULATED_SERVICES = [
  "apigatewayv2",
  "cloudwatch",
  "cloudwatchevents",
  "cloudwatchlogs",
  "codebuild",
  "codeconnections",
  "codepipeline",
  "codestarconnections",
  "dynamodb",
  "ecr",
  "iam",
  "kms",
  "lambda",
  "s3",
  "secretsmanager",
  "sns",
  "sqs",
  "ssm",
  "sts",
] as const;

/** Credentials the emulator accepts before IAM checks are switched on (any value works then). */
export const BOOTSTRAP_CREDENTIALS = { accessKeyId: "sandbox-bootstrap", secretAccessKey: "sandbox-bootstrap" } as const;

/**
 * Provider settings that point a stack at the emulator. The stack keeps its
 * `assume_role` (the emulator switches account on sts:AssumeRole, as AWS
 * does) and its `allowed_account_ids`, which stay meaningful because the
 * provider asks STS who it is.
 */
export function emulatorProviderOverrides(endpoint: string): Partial<AwsProviderConfig> {
  return {
    accessKey: BOOTSTRAP_CREDENTIALS.accessKeyId,
    secretKey: BOOTSTRAP_CREDENTIALS.secretAccessKey,
    // An operation the emulator lacks answers 500, and the default 25 retries turn that into
    // minutes; a few retries still ride out a dropped local connection.
    maxRetries: 3,
    skipCredentialsValidation: true,
    skipMetadataApiCheck: "true",
    skipRegionValidation: true,
    s3UsePathStyle: true,
    endpoints: [Object.fromEntries(EMULATED_SERVICES.map((service) => [service, endpoint]))],
  };
}
