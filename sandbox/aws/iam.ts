import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  type IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, type STSClient } from "@aws-sdk/client-sts";
import { AwsCallError, type AwsCredentials } from "./clients";

const ADMINISTRATOR_POLICY = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });

/** A role with full access in its account, e.g. the provisioning role Terraform assumes. */
export async function createAdministratorRole(iam: IAMClient, roleName: string, trustedPrincipal: string): Promise<void> {
  const trust = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: trustedPrincipal }, Action: "sts:AssumeRole" }],
  });
  await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trust }));
  await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: "administrator", PolicyDocument: ADMINISTRATOR_POLICY }));
}

/** A user with full access in its account and an access key: how the sandbox and its tests sign their calls. */
export async function createAdministratorUser(iam: IAMClient, userName: string): Promise<AwsCredentials> {
  await iam.send(new CreateUserCommand({ UserName: userName }));
  await iam.send(new PutUserPolicyCommand({ UserName: userName, PolicyName: "administrator", PolicyDocument: ADMINISTRATOR_POLICY }));
  const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  if (!AccessKey?.AccessKeyId || !AccessKey.SecretAccessKey)
    throw new AwsCallError("CreateAccessKey", 200, "IncompleteAnswer", `no access key for ${userName}`);
  return { accessKeyId: AccessKey.AccessKeyId, secretAccessKey: AccessKey.SecretAccessKey };
}

/** Temporary credentials of `roleArn`, as a service (Lambda) gets them for an execution role. */
export async function assumeRole(sts: STSClient, roleArn: string, sessionName: string): Promise<AwsCredentials> {
  const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName }));
  if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey || !Credentials.SessionToken) {
    throw new AwsCallError("AssumeRole", 200, "IncompleteAnswer", `no complete credentials for ${roleArn}`);
  }
  return { accessKeyId: Credentials.AccessKeyId, secretAccessKey: Credentials.SecretAccessKey, sessionToken: Credentials.SessionToken };
}
