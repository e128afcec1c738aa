import { queryCall, type AwsCredentials, type AwsTarget } from "./signed-request";

const IAM_VERSION = "2010-05-08";
const STS_VERSION = "2011-06-15";

const ADMINISTRATOR_POLICY = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });

/** A role with full access in its account, e.g. the provisioning role Terraform assumes. */
export async function createAdministratorRole(target: AwsTarget, roleName: string, trustedPrincipal: string): Promise<void> {
  const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: trustedPrincipal }, Action: "sts:AssumeRole" }] });
  await queryCall(target, "iam", "CreateRole", IAM_VERSION, { RoleName: roleName, AssumeRolePolicyDocument: trust });
  await queryCall(target, "iam", "PutRolePolicy", IAM_VERSION, { RoleName: roleName, PolicyName: "administrator", PolicyDocument: ADMINISTRATOR_POLICY });
}

/** A user with full access in its account and an access key: how the sandbox and its tests sign their calls. */
export async function createAdministratorUser(target: AwsTarget, userName: string): Promise<AwsCredentials> {
  await queryCall(target, "iam", "CreateUser", IAM_VERSION, { UserName: userName });
  await queryCall(target, "iam", "PutUserPolicy", IAM_VERSION, { UserName: userName, PolicyName: "administrator", PolicyDocument: ADMINISTRATOR_POLICY });
  const result = await queryCall(target, "iam", "CreateAccessKey", IAM_VERSION, { UserName: userName });
  const key = result.AccessKey as { AccessKeyId: string; SecretAccessKey: string };
  return { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
}

/** Temporary credentials of `roleArn`, as a service (Lambda) gets them for an execution role. */
export async function assumeRole(target: AwsTarget, roleArn: string, sessionName: string): Promise<AwsCredentials> {
  const result = await queryCall(target, "sts", "AssumeRole", STS_VERSION, { RoleArn: roleArn, RoleSessionName: sessionName });
  const c = result.Credentials as { AccessKeyId: string; SecretAccessKey: string; SessionToken: string };
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}
