import { randomBytes } from "node:crypto";
import { IAMClient } from "@aws-sdk/client-iam";
import { PutSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { STSClient } from "@aws-sdk/client-sts";
import type { AccountName, PipewrightConfig } from "../stacks/config";
import { PlatformNames } from "../stacks/names";
import { platformServices } from "../stacks/repositories";
import { inAccount, type MiddlewareClient } from "./emulator";
import { type AwsCredentials, sandboxClient, sandboxClientConfig, type SandboxSdkClient } from "./aws/clients";
import { assumeRole, createAdministratorRole, createAdministratorUser } from "./aws/iam";
import { BOOTSTRAP_CREDENTIALS } from "./provider";
import type { AccountCredentials } from "./state";

/**
 * The emulated accounts, before and after Terraform. Everything here runs
 * while the emulator still checks no IAM (any credentials, account chosen
 * by header); `enableIamChecks` ends that phase.
 */

const ACCOUNTS: readonly AccountName[] = ["build", "dev", "prod"];

/** The sandbox's administrator user in every account. */
export const ADMINISTRATOR_USER = "pipewright-sandbox-admin";

function bootstrapConfig(endpoint: string, region: string) {
  return sandboxClientConfig({ endpoint, region, credentials: BOOTSTRAP_CREDENTIALS });
}

/** Runs `use` with `client` acting in `accountId` (the emulator's account header), then closes the client. */
async function inBootstrapAccount<C extends SandboxSdkClient & MiddlewareClient & { destroy(): void }, T>(
  client: C,
  accountId: string,
  use: (client: C) => Promise<T>,
): Promise<T> {
  try {
    return await use(sandboxClient(inAccount(client, accountId)));
  } finally {
    client.destroy();
  }
}

/**
 * The provisioning roles the configuration names, one per account, as a
 * platform team would have them: Terraform's providers assume them (and the
 * emulator switches account on that AssumeRole, as AWS does).
 */
export async function createProvisioningRoles(config: PipewrightConfig, endpoint: string): Promise<void> {
  await Promise.all(
    ACCOUNTS.map(async (account) => {
      const { accountId, provisioningRoleArn } = config.accounts[account];
      const roleName = provisioningRoleArn.split("/").pop() as string;
      await inBootstrapAccount(new IAMClient(bootstrapConfig(endpoint, config.region)), accountId, (iam) =>
        createAdministratorRole(iam, roleName, `arn:aws:iam::${accountId}:root`),
      );
    }),
  );
}

/** An administrator user with an access key in each account: how the sandbox, its tests and you sign calls. */
export async function createAdministrators(config: PipewrightConfig, endpoint: string): Promise<Record<AccountName, AccountCredentials>> {
  const entries = await Promise.all(
    ACCOUNTS.map(async (account) => {
      const iam = new IAMClient(bootstrapConfig(endpoint, config.region));
      return [
        account,
        await inBootstrapAccount(iam, config.accounts[account].accountId, (client) => createAdministratorUser(client, ADMINISTRATOR_USER)),
      ] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<AccountName, AccountCredentials>;
}

/** The execution role's credentials, as the Lambda service obtains them for a function. */
export function functionCredentials(config: PipewrightConfig, endpoint: string, roleArn: string, functionName: string): Promise<AwsCredentials> {
  const sts = new STSClient(bootstrapConfig(endpoint, config.region));
  return inBootstrapAccount(sts, config.accounts.build.accountId, (client) => assumeRole(client, roleArn, functionName));
}

/**
 * Credentials of the roles AWS services assume for pipewright (CodePipeline,
 * CodeBuild, CloudFormation, and Lambda for the Slack functions), by role ARN, obtained as those services would:
 * what the tests act as when they check what each identity may reach.
 */
export async function serviceRoleCredentials(config: PipewrightConfig, endpoint: string): Promise<Record<string, AwsCredentials>> {
  const names = new PlatformNames(config);
  const roles: Array<[AccountName, string]> = [
    ["build", names.pipelineRole],
    ["build", names.codeBuildRole],
    ["build", names.prPipelineRole],
    ["build", names.prCodeBuildRole],
    ["dev", names.cloudFormationExecutionRole],
    ["dev", names.previewCloudFormationExecutionRole],
    ["prod", names.cloudFormationExecutionRole],
    // The roles ECS tasks pull images as, when there are container services.
    ...imagePullRoles(config, names),
    // The Slack functions' roles, whose reach the end-to-end tests check too.
    ...(config.notifications.slack.mode === "bot"
      ? ([
          ["build", names.slackFunction],
          ["build", names.slackActionsFunction],
        ] satisfies Array<[AccountName, string]>)
      : []),
  ];
  const entries = await Promise.all(
    roles.map(async ([account, roleName]) => {
      const { accountId } = config.accounts[account];
      const roleArn = `arn:aws:iam::${accountId}:role/${roleName}`;
      const sts = new STSClient(bootstrapConfig(endpoint, config.region));
      return [roleArn, await inBootstrapAccount(sts, accountId, (client) => assumeRole(client, roleArn, "sandbox-service"))] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** The image pull roles the target stacks create: main's in dev and prod, the previews' in dev. */
function imagePullRoles(config: PipewrightConfig, names: PlatformNames): Array<[AccountName, string]> {
  const containers = platformServices(config).filter((service) => service.kind === "container");
  if (containers.length === 0) return [];
  const previews: Array<[AccountName, string]> = containers.some((service) => service.preview) ? [["dev", names.previewImagePullRole]] : [];
  return [["dev", names.imagePullRole], ["prod", names.imagePullRole], ...previews];
}

/** Stores `value` as the secret's JSON string, in the build account, before IAM checks are on. */
async function putSecretJson(config: PipewrightConfig, endpoint: string, secretArn: string, value: Record<string, string>): Promise<void> {
  const client = inAccount(
    new SecretsManagerClient({ endpoint, region: config.region, credentials: BOOTSTRAP_CREDENTIALS, maxAttempts: 1 }),
    config.accounts.build.accountId,
  );
  try {
    await client.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: JSON.stringify(value) }));
  } finally {
    client.destroy();
  }
}

/**
 * Gives the webhook secret (which the stack creates empty) a random value,
 * as {"current": "..."}: the shape the webhook function reads.
 */
export async function setWebhookSecret(config: PipewrightConfig, endpoint: string, secretArn: string): Promise<string> {
  const secret = randomBytes(32).toString("hex");
  await putSecretJson(config, endpoint, secretArn, { current: secret });
  return secret;
}

/** What the sandbox's Slack app and its Slack share: made up by `up`, known to the stand-in before the stacks exist. */
export interface SlackAppCredentials {
  readonly signingSecret: string;
  readonly botToken: string;
}

export function newSlackAppCredentials(): SlackAppCredentials {
  return { signingSecret: randomBytes(32).toString("hex"), botToken: `xoxb-sandbox-${randomBytes(12).toString("hex")}` };
}

/**
 * Fills the Slack app's two secrets, which the stack creates empty, in
 * the shapes the Slack functions and the notifier read:
 * {"current": "..."} and {"token": "xoxb-..."}.
 */
export async function setSlackSecrets(
  config: PipewrightConfig,
  endpoint: string,
  secretArns: { readonly signingSecret: string; readonly botToken: string },
  credentials: SlackAppCredentials,
): Promise<void> {
  await Promise.all([
    putSecretJson(config, endpoint, secretArns.signingSecret, { current: credentials.signingSecret }),
    putSecretJson(config, endpoint, secretArns.botToken, { token: credentials.botToken }),
  ]);
}

/**
 * From here on the emulator checks every call against the caller's IAM
 * policies (moto's INITIAL_NO_AUTH_ACTION_COUNT, reset to 0): the
 * functions run with their execution roles, so a permission missing from
 * the stacks fails here.
 */
export async function enableIamChecks(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset-auth`, { method: "POST", body: "0" });
  if (!response.ok) throw new Error(`The emulator refused to switch IAM checks on (HTTP ${response.status})`);
}
