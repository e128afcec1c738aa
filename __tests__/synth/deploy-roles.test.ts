import { Testing } from "cdktf";
import { DeployRoles, DeployRolesProps } from "../../stacks/constructs/deploy-roles";
import { Arns } from "../../stacks/iam";
import { resourceAt, statement, statementsOf, synthPlatform } from "../support/synth";

const dev = new Arns("aws", "eu-west-1", "222222222222");
const build = dev.inAccount("111111111111");
const props: DeployRolesProps = {
  arns: dev,
  deployRoleName: "p-deploy",
  cloudFormationExecutionRoleName: "p-cfn-exec",
  pipelineRoleArn: build.role("p-pipeline"),
  artifactStore: { arns: build, bucketName: "p-artifacts", keyAlias: "alias/p-artifacts" },
  stackPrefixes: ["p-orders", "p-payments"],
};

function synthRoles(overrides: Partial<DeployRolesProps> = {}) {
  return JSON.parse(Testing.synthScope((scope) => void new DeployRoles(scope, "roles", { ...props, ...overrides }))).resource;
}
const policyNamed = (resources: any, name: string) => Object.values<any>(resources.aws_iam_role_policy).find((p) => p.name === name).policy;

describe("DeployRoles", () => {
  it("lets only the build account's pipeline role assume the deploy role", () => {
    const role = Object.values<any>(synthRoles().aws_iam_role).find((r) => r.name === "p-deploy");
    expect(statementsOf(role.assume_role_policy)).toEqual([
      { Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:role/p-pipeline" }, Action: "sts:AssumeRole" },
    ]);
  });

  it("lets CloudFormation assume the execution role only for this account", () => {
    const role = Object.values<any>(synthRoles().aws_iam_role).find((r) => r.name === "p-cfn-exec");
    expect(statementsOf(role.assume_role_policy)[0]).toMatchObject({
      Principal: { Service: "cloudformation.amazonaws.com" },
      Condition: { StringEquals: { "aws:SourceAccount": "222222222222" } },
    });
  });

  it("limits the deploy role to the services' stacks and passes only the execution role, only to CloudFormation", () => {
    const policy = policyNamed(synthRoles(), "deploy-applications");
    expect(statement(policy, "ApplicationStacks").Resource).toEqual([
      "arn:aws:cloudformation:eu-west-1:222222222222:stack/p-orders-*/*",
      "arn:aws:cloudformation:eu-west-1:222222222222:stack/p-payments-*/*",
    ]);
    expect(statement(policy, "ApplicationStacks").Action).not.toContain("cloudformation:DeleteStack");
    expect(statement(policy, "PassCloudFormationRole")).toMatchObject({
      Action: "iam:PassRole",
      Resource: expect.stringMatching(/^\$\{aws_iam_role\.roles_cfn-exec_\w+\.arn\}$/),
      Condition: { StringEquals: { "iam:PassedToService": "cloudformation.amazonaws.com" } },
    });
  });

  it("adds a preview-cleanup role only the PR function and the reconciler may assume, limited to deleting -pr- stacks", () => {
    const resources = synthRoles({
      previewCleanup: { roleName: "p-preview-cleanup", trustedRoleArns: [build.role("p-pr-pipelines"), build.role("p-reconciler")] },
    });
    const role = Object.values<any>(resources.aws_iam_role).find((r) => r.name === "p-preview-cleanup");
    expect(statementsOf(role.assume_role_policy)[0].Principal).toEqual({
      AWS: ["arn:aws:iam::111111111111:role/p-pr-pipelines", "arn:aws:iam::111111111111:role/p-reconciler"],
    });
    const policy = policyNamed(resources, "delete-preview-stacks");
    expect(statement(policy, "PreviewStacks")).toMatchObject({
      Action: ["cloudformation:DeleteStack", "cloudformation:DescribeStacks"],
      Resource: [
        "arn:aws:cloudformation:eu-west-1:222222222222:stack/p-orders-pr-*/*",
        "arn:aws:cloudformation:eu-west-1:222222222222:stack/p-payments-pr-*/*",
      ],
    });
    expect(statement(policy, "PassCloudFormationRole").Condition).toEqual({ StringEquals: { "iam:PassedToService": "cloudformation.amazonaws.com" } });
    expect(Object.values<any>(synthRoles().aws_iam_role).map((r) => r.name)).not.toContain("p-preview-cleanup");
  });

  it("reads the build account's artifacts and its key, found by alias", () => {
    const policy = policyNamed(synthRoles(), "deploy-applications");
    expect(statement(policy, "Artifacts").Resource).toBe("arn:aws:s3:::p-artifacts/*");
    expect(statement(policy, "ArtifactKey")).toMatchObject({
      Resource: "arn:aws:kms:eu-west-1:111111111111:key/*",
      Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": "alias/p-artifacts" } },
    });
  });

  it("scopes the execution role to what the application template creates, without iam:* or admin", () => {
    const policy = policyNamed(synthRoles(), "application-resources");
    const actions = statementsOf(policy).flatMap((s: any) => [s.Action].flat());
    expect(actions.filter((a: string) => a.endsWith(":*") || a === "*")).toEqual([]);
    expect(statement(policy, "FunctionRoles").Resource).toEqual([
      "arn:aws:iam::222222222222:role/p-orders-*",
      "arn:aws:iam::222222222222:role/p-payments-*",
    ]);
    expect(statement(policy, "PassFunctionRoles").Condition).toEqual({
      StringEquals: { "iam:PassedToService": ["lambda.amazonaws.com", "codedeploy.amazonaws.com"] },
    });
    expect(statement(policy, "FunctionRoleManagedPolicies").Condition.ArnEquals["iam:PolicyARN"]).not.toContain(
      "arn:aws:iam::aws:policy/AdministratorAccess",
    );
  });

  it("rejects an empty stackPrefixes, naming it", () => {
    expect(() => synthRoles({ stackPrefixes: [] })).toThrow(/DeployRoles: stackPrefixes is empty/);
  });

  it("is wired in the dev and prod stacks with their own account and the build pipeline role", () => {
    const { dev: devStack, prod } = synthPlatform();
    const trust = (stack: any) => statementsOf(resourceAt(stack, "aws_iam_role", "deploy-roles/deploy").assume_role_policy)[0].Principal.AWS;
    expect(trust(devStack)).toBe("arn:${data.aws_partition.partition.partition}:iam::111111111111:role/pipewright-pipeline");
    expect(trust(prod)).toBe(trust(devStack));
    const cleanup = (stack: any) => Object.values<any>(stack.resource.aws_iam_role).some((r) => r.name === "pipewright-preview-cleanup");
    expect([cleanup(devStack), cleanup(prod)]).toEqual([true, false]);
  });
});
