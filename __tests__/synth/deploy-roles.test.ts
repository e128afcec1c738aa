import { Testing } from "cdktf";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { DeployRoles, type DeployRolesProps } from "../../stacks/constructs/deploy-roles";
import { Arns } from "../../stacks/iam";
import { resourceAt, statement, statementsOf, synthPlatform } from "../support/synth";

const dev = new Arns("aws", "eu-west-1", "222222222222");
const build = dev.inAccount("111111111111");
const props: Omit<DeployRolesProps, "boundary"> = {
  arns: dev,
  deployRoleName: "p-deploy",
  cloudFormationExecutionRoleName: "p-cfn-exec",
  pipelineRoleArn: build.role("p-pipeline"),
  artifactStore: { arns: build, bucketName: "p-artifacts", keyAlias: "alias/p-artifacts" },
  stacks: ["p-orders-dev", "p-payments-dev"],
};

function synthRoles(overrides: Partial<DeployRolesProps> = {}) {
  return JSON.parse(
    Testing.synthScope((scope) => {
      const boundary = new IamPolicy(scope, "boundary", { name: "p-application-boundary", policy: "{}" });
      new DeployRoles(scope, "roles", { ...props, boundary, ...overrides });
    }),
  ).resource;
}
const policyNamed = (resources: any, name: string) => Object.values<any>(resources.aws_iam_role_policy).find((p) => p.name === name).policy;
const roleNamed = (stack: any, name: string) => Object.values<any>(stack.resource.aws_iam_role).find((r) => r.name === name);
const BOUNDARY = expect.stringMatching(/^\$\{aws_iam_policy\.boundary\.arn\}$/);

describe("DeployRoles", () => {
  it("lets only the given build-account pipeline role assume the deploy role", () => {
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

  it("limits the deploy role to exactly its stacks and passes only its execution role, only to CloudFormation", () => {
    const policy = policyNamed(synthRoles(), "deploy-applications");
    expect(statement(policy, "ApplicationStacks").Resource).toEqual([
      "arn:aws:cloudformation:eu-west-1:222222222222:stack/p-orders-dev/*",
      "arn:aws:cloudformation:eu-west-1:222222222222:stack/p-payments-dev/*",
    ]);
    expect(statement(policy, "ApplicationStacks").Action).not.toContain("cloudformation:DeleteStack");
    expect(statement(policy, "PassCloudFormationRole")).toMatchObject({
      Action: "iam:PassRole",
      Resource: expect.stringMatching(/^\$\{aws_iam_role\.roles_cfn-exec_\w+\.arn\}$/),
      Condition: { StringEquals: { "iam:PassedToService": "cloudformation.amazonaws.com" } },
    });
  });

  it("only reads the build account's artifacts and decrypts with its key, found by alias", () => {
    const resources = synthRoles();
    for (const name of ["deploy-applications", "application-resources"]) {
      const policy = policyNamed(resources, name);
      const s3Writes = statementsOf(policy)
        .flatMap((s: any) => [s.Action].flat())
        .filter((a: string) => a.startsWith("s3:") && !/^s3:(Get|List)/.test(a));
      expect({ name, s3Writes }).toEqual({ name, s3Writes: [] });
      expect(statement(policy, "ArtifactKey")).toMatchObject({
        Action: ["kms:Decrypt", "kms:DescribeKey"],
        Resource: "arn:aws:kms:eu-west-1:111111111111:key/*",
        Condition: {
          "ForAnyValue:StringEquals": { "kms:ResourceAliases": "alias/p-artifacts" },
          StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" },
        },
      });
    }
    expect(statement(policyNamed(resources, "deploy-applications"), "Artifacts")).toMatchObject({
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: "arn:aws:s3:::p-artifacts/*",
    });
  });

  it("lets CloudFormation create and change roles of its stacks only under the boundary, and never remove it", () => {
    const policy = policyNamed(synthRoles(), "application-resources");
    const roles = ["arn:aws:iam::222222222222:role/p-orders-dev-*", "arn:aws:iam::222222222222:role/p-payments-dev-*"];
    expect(statement(policy, "ApplicationRolesUnderBoundary")).toEqual({
      Sid: "ApplicationRolesUnderBoundary",
      Effect: "Allow",
      Action: ["iam:CreateRole", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy"],
      Resource: roles,
      Condition: { StringEquals: { "iam:PermissionsBoundary": BOUNDARY } },
    });
    expect(statement(policy, "ApplicationRoleManagedPolicies").Condition).toEqual({
      StringEquals: { "iam:PermissionsBoundary": BOUNDARY },
      ArnEquals: {
        "iam:PolicyARN": [
          "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
          "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda",
          "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
        ],
      },
    });
    // Every other role action is one that creates nothing and grants nothing.
    const unconditioned = statementsOf(policy)
      .filter((s: any) => s.Effect === "Allow" && !s.Condition)
      .flatMap((s: any) => [s.Action].flat())
      .filter((a: string) => a.startsWith("iam:"));
    expect(unconditioned.filter((a: string) => /^iam:(Create|Put|Attach)/.test(a))).toEqual([]);
    expect(statement(policy, "KeepTheBoundary")).toMatchObject({
      Effect: "Deny",
      Action: expect.arrayContaining([
        "iam:DeleteRolePermissionsBoundary",
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:DeletePolicy",
      ]),
      Resource: "*",
    });
    expect(statement(policy, "PassApplicationRoles")).toMatchObject({
      Resource: roles,
      Condition: { StringEquals: { "iam:PassedToService": ["lambda.amazonaws.com", "codedeploy.amazonaws.com"] } },
    });
  });

  it("scopes everything CloudFormation names to the stacks, and HTTP APIs to those tagged with their names", () => {
    const policy = policyNamed(synthRoles(), "application-resources");
    const actions = statementsOf(policy).flatMap((s: any) => [s.Action ?? []].flat());
    expect(actions.filter((a: string) => a.endsWith(":*") || a === "*")).toEqual([]);
    expect(statement(policy, "Functions").Resource).toContain("arn:aws:lambda:eu-west-1:222222222222:function:p-orders-dev-*");
    expect(statement(policy, "CreateOwnHttpApis")).toMatchObject({
      Action: "apigateway:POST",
      Resource: "arn:aws:apigateway:eu-west-1::/apis",
      Condition: { StringLike: { "aws:RequestTag/pipewright:stack": ["p-orders-dev", "p-payments-dev"] } },
    });
    expect(statement(policy, "OwnHttpApis").Condition).toEqual({
      StringLike: { "aws:ResourceTag/pipewright:stack": ["p-orders-dev", "p-payments-dev"] },
    });
    const apiWrites = statementsOf(policy).filter((s: any) =>
      [s.Action].flat().some((a: string) => a.startsWith("apigateway:") && a !== "apigateway:GET"),
    );
    for (const s of apiWrites.filter((s: any) => s.Sid !== "HttpApiParts"))
      expect({ sid: s.Sid, condition: s.Condition }).toEqual({ sid: s.Sid, condition: expect.any(Object) });
  });

  it("scopes a preview door to the pull requests' stacks by pattern", () => {
    const policy = policyNamed(synthRoles({ stacks: ["p-orders-pr-*"] }), "application-resources");
    expect(statement(policy, "Functions").Resource).toEqual([
      "arn:aws:lambda:eu-west-1:222222222222:function:p-orders-pr-*",
      "arn:aws:lambda:eu-west-1:222222222222:function:p-orders-pr-*:*",
    ]);
    expect(statement(policy, "ApplicationRolesUnderBoundary").Resource).toEqual(["arn:aws:iam::222222222222:role/p-orders-pr-*"]);
  });

  it("rejects an empty stacks list, naming it", () => {
    expect(() => synthRoles({ stacks: [] })).toThrow(/DeployRoles roles: stacks is empty/);
  });
});

describe("the doors of the dev and prod stacks", () => {
  const { dev: devStack, prod } = synthPlatform();
  const trust = (stack: any, name: string) => statementsOf(roleNamed(stack, name).assume_role_policy)[0].Principal.AWS;
  const partition = "${data.aws_partition.partition.partition}";

  it("main's door in dev and prod: trusted by main's pipeline role only, scoped to that environment's stacks", () => {
    expect(trust(devStack, "pipewright-deploy")).toBe(`arn:${partition}:iam::111111111111:role/pipewright-pipeline`);
    expect(trust(prod, "pipewright-deploy")).toBe(trust(devStack, "pipewright-deploy"));
    const stacks = (stack: any) =>
      statement(resourceAt(stack, "aws_iam_role_policy", "deploy-roles/deploy-permissions").policy, "ApplicationStacks").Resource;
    expect(stacks(devStack)).toEqual([
      expect.stringMatching(/stack\/pipewright-orders-dev\/\*$/),
      expect.stringMatching(/stack\/pipewright-payments-dev\/\*$/),
      expect.stringMatching(/stack\/pipewright-storefront-dev\/\*$/),
    ]);
    expect(stacks(prod)).toEqual([
      expect.stringMatching(/stack\/pipewright-orders-prod\/\*$/),
      expect.stringMatching(/stack\/pipewright-payments-prod\/\*$/),
      expect.stringMatching(/stack\/pipewright-storefront-prod\/\*$/),
    ]);
  });

  it("the previews' door, in dev only: trusted by the pull requests' pipeline role only, reading their store", () => {
    expect(trust(devStack, "pipewright-preview-deploy")).toBe(`arn:${partition}:iam::111111111111:role/pipewright-pr-pipeline`);
    const permissions = resourceAt(devStack, "aws_iam_role_policy", "preview-deploy-roles/deploy-permissions").policy;
    expect(statement(permissions, "ApplicationStacks").Resource).toEqual([
      expect.stringMatching(/stack\/pipewright-orders-pr-\*\/\*$/),
      expect.stringMatching(/stack\/pipewright-payments-pr-\*\/\*$/),
      expect.stringMatching(/stack\/pipewright-storefront-pr-\*\/\*$/),
    ]);
    expect(statement(permissions, "Artifacts").Resource).toBe(
      "arn:${data.aws_partition.partition.partition}:s3:::pipewright-pr-artifacts-111111111111-eu-west-1/*",
    );
    for (const name of ["pipewright-preview-deploy", "pipewright-preview-cfn-exec", "pipewright-preview-cleanup"])
      expect(roleNamed(prod, name)).toBeUndefined();
  });

  it("the preview cleanup role: assumed by the PR function and the reconciler only, deletes preview stacks with their execution role", () => {
    expect(trust(devStack, "pipewright-preview-cleanup")).toEqual([
      `arn:${partition}:iam::111111111111:role/pipewright-pr-pipelines`,
      `arn:${partition}:iam::111111111111:role/pipewright-reconciler`,
    ]);
    const policy = resourceAt(devStack, "aws_iam_role_policy", "preview-cleanup/permissions").policy;
    expect(statement(policy, "PreviewStacks")).toMatchObject({
      Action: ["cloudformation:DeleteStack", "cloudformation:DescribeStacks"],
      Resource: [
        expect.stringMatching(/stack\/pipewright-orders-pr-\*\/\*$/),
        expect.stringMatching(/stack\/pipewright-payments-pr-\*\/\*$/),
        expect.stringMatching(/stack\/pipewright-storefront-pr-\*\/\*$/),
      ],
    });
    expect(statement(policy, "PassCloudFormationRole").Resource).toMatch(/^\$\{aws_iam_role\.preview-deploy-roles_cfn-exec_\w+\.arn\}$/);
  });

  it("one boundary per account, the one every door's execution role insists on", () => {
    for (const stack of [devStack, prod]) {
      const boundary = resourceAt(stack, "aws_iam_policy", "application-boundary/policy");
      expect(boundary.name).toBe("pipewright-application-boundary");
      const doors = Object.values<any>(stack.resource.aws_iam_role_policy).filter((p) => p.name === "application-resources");
      expect(doors.length).toBe(stack === devStack ? 2 : 1);
      for (const door of doors) {
        expect(statement(door.policy, "ApplicationRolesUnderBoundary").Condition.StringEquals["iam:PermissionsBoundary"]).toMatch(
          /^\$\{aws_iam_policy\.application-boundary_policy_\w+\.arn\}$/,
        );
      }
    }
  });
});
