import { Testing } from "cdktf";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import type { PipewrightConfig } from "../../stacks/config";
import { containerNetworkStatements, containerStatements } from "../../stacks/constructs/container-deploy-statements";
import { DeployRoles, type DeployRolesProps } from "../../stacks/constructs/deploy-roles";
import { ImagePullRole, type ImagePullRoleProps } from "../../stacks/constructs/image-pull-role";
import { Arns } from "../../stacks/iam";
import { PlatformNames } from "../../stacks/names";
import { TargetStack } from "../../stacks/target-stack";
import { ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS, securityFindings } from "../support/security-rules";
import { configWith, exampleConfig, resourceAt, resourcesOf, type SynthesizedStack, statement, statementsOf, synthStack } from "../support/synth";

const PARTITION = "${data.aws_partition.partition.partition}";
const REGION = "${data.aws_region.region.name}";
const BUILD = "111111111111";
const DEV = "222222222222";
const PROD = "333333333333";

/** The example configuration's Lambda services (orders, payments) alone. */
function lambdaOnly(): PipewrightConfig {
  return configWith((c) => {
    c.services = c.services.filter((service: { kind?: string }) => service.kind !== "container");
  });
}

/** The example configuration's first Lambda service (orders) with a container service "web". */
function withWebService(preview?: boolean): PipewrightConfig {
  return configWith((c) => {
    c.services = [
      c.services[0],
      {
        name: "web",
        kind: "container",
        include: ["services/web/**"],
        dockerfile: "services/web/Dockerfile",
        testCommand: "npm test",
        template: "services/web/template.yaml",
        ...(preview === undefined ? {} : { preview }),
      },
    ];
  });
}

/** The dev and prod stacks alone. */
function synthTargets(config: PipewrightConfig): { dev: SynthesizedStack; prod: SynthesizedStack } {
  const app = Testing.app();
  const dev = new TargetStack(app, { config, environment: "dev" });
  const prod = new TargetStack(app, { config, environment: "prod" });
  return { dev: synthStack(dev), prod: synthStack(prod) };
}

const roleNamed = (stack: SynthesizedStack, name: string) => resourcesOf(stack, "aws_iam_role").find((r) => r.name === name);
const policyNamed = (stack: SynthesizedStack, name: string) => resourcesOf(stack, "aws_iam_policy").find((p) => p.name === name);
/** The Terraform reference to an attribute of a role, as other resources hold it. */
const roleRef = (stack: SynthesizedStack, roleName: string, attribute: "arn" | "name") => {
  const [logical] = Object.entries<any>(stack.resource.aws_iam_role).find(([, r]) => r.name === roleName) ?? [];
  if (logical === undefined) throw new Error(`no role ${roleName}`);
  return `\${aws_iam_role.${logical}.${attribute}}`;
};
const arnOf = (stack: SynthesizedStack, roleName: string) => roleRef(stack, roleName, "arn");
const actionsOf = (policy: string) => statementsOf(policy).flatMap((s: any) => [s.Action].flat());

describe("container services in dev and prod", () => {
  const names = new PlatformNames(exampleConfig());
  const context = { artifactBuckets: [names.artifactBucket, names.prArtifactBucket] };
  const withoutContainers = synthTargets(lambdaOnly());
  const previewsOff = synthTargets(withWebService());
  const previewsOn = synthTargets(withWebService(true));

  describe("the image pull roles", () => {
    it("exist only with container services, the previews' only in dev and only with a container service whose previews are on", () => {
      for (const stack of [withoutContainers.dev, withoutContainers.prod]) {
        expect(roleNamed(stack, "pipewright-image-pull")).toBeUndefined();
        expect(roleNamed(stack, "pipewright-preview-image-pull")).toBeUndefined();
        expect(stack.output?.image_pull_role_arn).toBeUndefined();
      }
      for (const stack of [previewsOff.dev, previewsOff.prod, previewsOn.prod]) {
        expect(roleNamed(stack, "pipewright-image-pull")).toBeDefined();
        expect(roleNamed(stack, "pipewright-preview-image-pull")).toBeUndefined();
        expect(stack.output?.preview_image_pull_role_arn).toBeUndefined();
      }
      expect(roleNamed(previewsOn.dev, "pipewright-preview-image-pull")).toBeDefined();
    });

    it("are trusted by ECS tasks of their own account only", () => {
      for (const [stack, account] of [
        [previewsOn.dev, DEV],
        [previewsOn.prod, PROD],
      ] as const) {
        const roles = [roleNamed(stack, "pipewright-image-pull"), roleNamed(stack, "pipewright-preview-image-pull")];
        for (const role of roles.filter((r) => r !== undefined)) {
          expect(statementsOf(role.assume_role_policy)).toEqual([
            {
              Effect: "Allow",
              Principal: { Service: "ecs-tasks.amazonaws.com" },
              Action: "sts:AssumeRole",
              Condition: { StringEquals: { "aws:SourceAccount": account } },
            },
          ]);
        }
      }
    });

    it("main's pulls exactly main's repositories of container services in the build account and writes their stacks' logs", () => {
      for (const [stack, environment] of [
        [previewsOn.dev, "dev"],
        [previewsOn.prod, "prod"],
      ] as const) {
        const policy = resourceAt(stack, "aws_iam_role_policy", "image-pull-role/permissions");
        expect(policy.role).toBe(roleRef(stack, "pipewright-image-pull", "name"));
        expect(statement(policy.policy, "RegistryLogin")).toMatchObject({ Action: "ecr:GetAuthorizationToken", Resource: "*" });
        expect(statement(policy.policy, "PullImages")).toEqual({
          Sid: "PullImages",
          Effect: "Allow",
          Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
          Resource: [`arn:${PARTITION}:ecr:${REGION}:${BUILD}:repository/pipewright/web`],
        });
        const account = environment === "dev" ? DEV : PROD;
        const group = `arn:${PARTITION}:logs:${REGION}:${account}:log-group:/ecs/pipewright-web-${environment}`;
        expect(statement(policy.policy, "WriteLogs")).toMatchObject({
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: [group, `${group}:log-stream:*`],
        });
      }
    });

    it("the previews' pulls only the pull requests' repositories of services with previews on, and writes preview logs", () => {
      const policy = resourceAt(previewsOn.dev, "aws_iam_role_policy", "preview-image-pull-role/permissions").policy;
      expect(statement(policy, "PullImages").Resource).toEqual([`arn:${PARTITION}:ecr:${REGION}:${BUILD}:repository/pipewright-pr/web`]);
      const group = `arn:${PARTITION}:logs:${REGION}:${DEV}:log-group:/ecs/pipewright-web-pr-*`;
      expect(statement(policy, "WriteLogs").Resource).toEqual([group, `${group}:log-stream:*`]);
      expect(policy).not.toContain("repository/pipewright/");
    });

    it("are outputs of the stacks that have them", () => {
      expect(previewsOn.dev.output.image_pull_role_arn.value).toBe(arnOf(previewsOn.dev, "pipewright-image-pull"));
      expect(previewsOn.dev.output.preview_image_pull_role_arn.value).toBe(arnOf(previewsOn.dev, "pipewright-preview-image-pull"));
      expect(previewsOn.prod.output.image_pull_role_arn.value).toBe(arnOf(previewsOn.prod, "pipewright-image-pull"));
    });
  });

  describe("the execution roles", () => {
    const CONTAINER_POLICIES = ["containers", "container-network"];
    /** A door's container policies, by the execution role's name. */
    const containerPolicies = (stack: SynthesizedStack, executionRole: string) =>
      CONTAINER_POLICIES.map((suffix) => policyNamed(stack, `${executionRole}-${suffix}`)).filter((p) => p !== undefined);
    /** The statements of a door's container policies as one document, which the test expects to exist. */
    const doorDocument = (stack: SynthesizedStack, executionRole: string): string => {
      const policies = containerPolicies(stack, executionRole);
      if (policies.length !== CONTAINER_POLICIES.length) throw new Error(`${executionRole} has no container policies`);
      return JSON.stringify({ Statement: policies.flatMap((p) => statementsOf(p.policy)) });
    };
    const mainDocument = (stack: SynthesizedStack) => doorDocument(stack, "pipewright-cfn-exec");
    const previewDocument = (stack: SynthesizedStack) => doorDocument(stack, "pipewright-preview-cfn-exec");

    it("get container statements only when their door deploys a container service", () => {
      for (const stack of [withoutContainers.dev, withoutContainers.prod])
        expect(resourcesOf(stack, "aws_iam_policy").map((p) => p.name)).toEqual(["pipewright-application-boundary"]);
      expect(containerPolicies(previewsOff.dev, "pipewright-preview-cfn-exec")).toEqual([]);
      for (const stack of [previewsOff.dev, previewsOff.prod, previewsOn.dev, previewsOn.prod])
        expect(containerPolicies(stack, "pipewright-cfn-exec")).toHaveLength(2);
      expect(containerPolicies(previewsOn.dev, "pipewright-preview-cfn-exec")).toHaveLength(2);
      expect(containerPolicies(previewsOn.prod, "pipewright-preview-cfn-exec")).toEqual([]);
    });

    it("and the deploy roles read exactly the two network parameters, only when their door deploys a container service", () => {
      const deployPolicy = (stack: SynthesizedStack, door: string) => resourceAt(stack, "aws_iam_role_policy", `${door}/deploy-permissions`).policy;
      const parameters = (account: string) =>
        ["vpc-id", "subnet-ids"].map(
          (name) =>
            `arn:\${data.aws_partition.partition.partition}:ssm:\${data.aws_region.region.name}:${account}:parameter/pipewright/network/${name}`,
        );
      for (const [stack, account] of [
        [previewsOff.dev, DEV],
        [previewsOff.prod, PROD],
      ] as const) {
        expect(statement(deployPolicy(stack, "deploy-roles"), "NetworkParameters")).toMatchObject({
          Action: "ssm:GetParameters",
          Resource: parameters(account),
        });
      }
      expect(statementsOf(deployPolicy(previewsOff.dev, "preview-deploy-roles")).map((s) => s.Sid)).not.toContain("NetworkParameters");
      expect(statementsOf(deployPolicy(withoutContainers.dev, "deploy-roles")).map((s) => s.Sid)).not.toContain("NetworkParameters");
    });

    it("attach the container policies to their own execution role", () => {
      for (const [door, role] of [
        ["deploy-roles", "pipewright-cfn-exec"],
        ["preview-deploy-roles", "pipewright-preview-cfn-exec"],
      ]) {
        for (const suffix of CONTAINER_POLICIES) {
          const attachment = resourceAt(previewsOn.dev, "aws_iam_role_policy_attachment", `${door}/cfn-exec-${suffix}-attachment`);
          expect(attachment.role).toBe(roleRef(previewsOn.dev, role, "name"));
          expect(attachment.policy_arn).toMatch(new RegExp(`^\\$\\{aws_iam_policy\\.${door}_cfn-exec-${suffix}_\\w+\\.arn\\}$`));
        }
      }
    });

    it("name only the container services' stacks", () => {
      for (const [stack, environment] of [
        [previewsOn.dev, "dev"],
        [previewsOn.prod, "prod"],
      ] as const) {
        const policy = mainDocument(stack);
        const account = environment === "dev" ? DEV : PROD;
        const ecs = (resource: string) => `arn:${PARTITION}:ecs:${REGION}:${account}:${resource}`;
        const own = `pipewright-web-${environment}`;
        expect(statement(policy, "Clusters").Resource).toEqual([ecs(`cluster/${own}`)]);
        expect(statement(policy, "Services").Resource).toEqual([ecs(`service/${own}/${own}`)]);
        expect(statement(policy, "TaskDefinitions").Resource).toEqual([ecs(`task-definition/${own}:*`)]);
        expect(statement(policy, "ContainerLogs").Resource).toEqual([
          `arn:${PARTITION}:logs:${REGION}:${account}:log-group:/ecs/${own}`,
          `arn:${PARTITION}:logs:${REGION}:${account}:log-group:/ecs/${own}:*`,
        ]);
        for (const sid of ["CreateTaggedLoadBalancing", "CreateTaggedSecurityGroups"])
          expect(statement(policy, sid).Condition.StringLike).toEqual({ "aws:RequestTag/pipewright:stack": [own] });
        for (const sid of ["OwnLoadBalancers", "OwnTargetGroups", "OwnSecurityGroups"])
          expect(statement(policy, sid).Condition).toEqual({ StringLike: { "aws:ResourceTag/pipewright:stack": [own] } });
        expect(policy).not.toMatch(/orders|payments/);
      }
      const preview = previewDocument(previewsOn.dev);
      expect(statement(preview, "Services").Resource).toEqual([
        `arn:${PARTITION}:ecs:${REGION}:${DEV}:service/pipewright-web-pr-*/pipewright-web-pr-*`,
      ]);
      expect(statement(preview, "OwnSecurityGroups").Condition).toEqual({
        StringLike: { "aws:ResourceTag/pipewright:stack": ["pipewright-web-pr-*"] },
      });
    });

    it("pass their own zone's pull role, and task roles of their stacks, to ECS tasks only", () => {
      const { dev } = previewsOn;
      const toTasks = { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } };
      const main = mainDocument(dev);
      expect(statement(main, "PassImagePullRole")).toMatchObject({
        Action: "iam:PassRole",
        Resource: arnOf(dev, "pipewright-image-pull"),
        Condition: toTasks,
      });
      expect(statement(main, "PassTaskRoles")).toMatchObject({
        Resource: [`arn:${PARTITION}:iam::${DEV}:role/pipewright-web-dev-*`],
        Condition: toTasks,
      });
      const preview = previewDocument(dev);
      expect(statement(preview, "PassImagePullRole").Resource).toBe(arnOf(dev, "pipewright-preview-image-pull"));
      expect(statement(preview, "PassTaskRoles").Resource).toEqual([`arn:${PARTITION}:iam::${DEV}:role/pipewright-web-pr-*`]);
      expect(statement(main, "PassImagePullRole").Resource).toBe(arnOf(previewsOn.dev, "pipewright-image-pull"));
    });

    it("the previews' execution role can never pass main's pull role", () => {
      const { dev } = previewsOn;
      const mainPullRole = arnOf(dev, "pipewright-image-pull");
      const previewDoor = [
        previewDocument(dev),
        ...resourcesOf(dev, "aws_iam_role_policy")
          .filter((p) => String(p.role).includes("preview-deploy-roles"))
          .map((p) => p.policy),
      ];
      for (const policy of previewDoor) {
        expect(policy).not.toContain(mainPullRole);
        expect(policy).not.toContain(":role/pipewright-image-pull");
        for (const s of statementsOf(policy).filter((s: any) => [s.Action].flat().includes("iam:PassRole")))
          expect([s.Resource].flat().every((r: string) => !r.includes("*") || r.includes("-pr-"))).toBe(true);
      }
    });

    it("read exactly the two network parameters of their account, and create only the service-linked roles of ECS and load balancing", () => {
      const policy = mainDocument(previewsOn.prod);
      expect(statement(policy, "NetworkParameters")).toMatchObject({
        Action: "ssm:GetParameters",
        Resource: [
          `arn:${PARTITION}:ssm:${REGION}:${PROD}:parameter/pipewright/network/vpc-id`,
          `arn:${PARTITION}:ssm:${REGION}:${PROD}:parameter/pipewright/network/subnet-ids`,
        ],
      });
      expect(statement(policy, "ServiceLinkedRoles")).toMatchObject({
        Action: "iam:CreateServiceLinkedRole",
        Resource: [
          `arn:${PARTITION}:iam::${PROD}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS`,
          `arn:${PARTITION}:iam::${PROD}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing`,
        ],
        Condition: { StringEquals: { "iam:AWSServiceName": ["ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com"] } },
      });
    });

    it("tag load balancing and security groups only in the request that creates them", () => {
      const policy = mainDocument(previewsOn.dev);
      const tagging = statementsOf(policy).filter((s: any) =>
        [s.Action].flat().some((a: string) => a === "elasticloadbalancing:AddTags" || a === "ec2:CreateTags"),
      );
      expect(tagging.map((s: any) => [s.Sid, s.Condition.StringEquals])).toEqual([
        ["TagNewLoadBalancing", { "elasticloadbalancing:CreateAction": ["CreateLoadBalancer", "CreateTargetGroup"] }],
        ["TagNewSecurityGroups", { "ec2:CreateAction": "CreateSecurityGroup" }],
      ]);
      for (const s of tagging) expect(s.Condition.StringLike).toEqual({ "aws:RequestTag/pipewright:stack": ["pipewright-web-dev"] });
      expect(actionsOf(policy)).not.toContain("elasticloadbalancing:RemoveTags");
      expect(actionsOf(policy)).not.toContain("ec2:DeleteTags");
    });

    it("change or delete load balancers, target groups and security groups only when tagged with their stacks", () => {
      const policy = mainDocument(previewsOn.dev);
      const writes = statementsOf(policy).filter((s: any) =>
        [s.Action].flat().some((a: string) => /^(elasticloadbalancing|ec2):(Create|Delete|Modify|Set|Authorize|Revoke|Update)/.test(a)),
      );
      // Listeners cannot carry a tag CloudFormation sets; creating the VPC side of a security group names no group.
      const untagged = writes.filter((s: any) => !s.Condition).map((s: any) => s.Sid);
      expect(untagged).toEqual(["Listeners", "SecurityGroupsInVpcs"]);
      expect(statement(policy, "SecurityGroupsInVpcs").Resource).toBe(`arn:${PARTITION}:ec2:${REGION}:${DEV}:vpc/*`);
      expect(statement(policy, "Listeners").Action).toEqual(["elasticloadbalancing:DeleteListener", "elasticloadbalancing:ModifyListener"]);
    });

    it('put on "*" only actions that have no resource-level permissions', () => {
      const policy = mainDocument(previewsOn.dev);
      const onAnything = statementsOf(policy)
        .filter((s: any) => s.Resource === "*")
        .flatMap((s: any) => [s.Action].flat());
      expect(onAnything.length).toBeGreaterThan(0);
      expect(onAnything.filter((a: string) => !ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS.has(a))).toEqual([]);
    });

    it("keep the application statements as they were: the container statements live in their own policy", () => {
      for (const config of [lambdaOnly(), withWebService(true)]) {
        const { dev } = synthTargets(config);
        const application = resourceAt(dev, "aws_iam_role_policy", "deploy-roles/cfn-exec-application").policy;
        expect(actionsOf(application).filter((a: string) => /^(ecs|elasticloadbalancing|ec2|ssm):/.test(a))).toEqual([]);
      }
    });
  });

  it.each([
    ["without container services", withoutContainers],
    ["with a container service, previews off", previewsOff],
    ["with a container service, previews on", previewsOn],
  ])("the security rules find nothing in dev and prod %s", (_what, stacks) => {
    expect(securityFindings(stacks.dev, context)).toEqual([]);
    expect(securityFindings(stacks.prod, context)).toEqual([]);
  });

  it("hard-code no partition and no Region in what they add", () => {
    for (const stack of [previewsOn.dev, previewsOn.prod]) {
      const { provider: _provider, terraform: _terraform, ...rest } = stack;
      const text = JSON.stringify(rest);
      expect(text.match(/arn:aws(-cn|-us-gov)?:[^"\\]*/g)).toBeNull();
      expect(text.match(/arn:[^:"\\]*:[^:"\\]*:eu-west-1:[^"\\]*/g)).toBeNull();
    }
  });

  it("the security rules catch a container policy that passes any role", () => {
    const { dev } = synthTargets(withWebService(true));
    const policy = policyNamed(dev, "pipewright-cfn-exec-containers") ?? {};
    const document = JSON.parse(policy.policy);
    document.Statement.find((s: any) => s.Sid === "PassImagePullRole").Resource = "*";
    policy.policy = JSON.stringify(document);
    expect(securityFindings(dev, context).map((f) => f.rule)).toContain("iam-passrole-resource");
  });
});

describe("ImagePullRole", () => {
  const dev = new Arns("aws", "eu-west-1", DEV);
  const props: ImagePullRoleProps = {
    arns: dev,
    roleName: "p-image-pull",
    registry: dev.inAccount(BUILD),
    repositories: ["p/web", "p/api"],
    logGroups: ["/ecs/p-web-dev", "/ecs/p-api-dev"],
  };
  const synthRole = (overrides: Partial<ImagePullRoleProps>) =>
    Testing.synthScope((scope) => {
      new ImagePullRole(scope, "pull", { ...props, ...overrides });
    });

  it("names the build account's repositories exactly, one ARN each", () => {
    const policy = Object.values<any>(JSON.parse(synthRole({})).resource.aws_iam_role_policy)[0].policy;
    expect(statement(policy, "PullImages").Resource).toEqual([
      "arn:aws:ecr:eu-west-1:111111111111:repository/p/web",
      "arn:aws:ecr:eu-west-1:111111111111:repository/p/api",
    ]);
  });

  it.each<[string, Partial<ImagePullRoleProps>, RegExp]>([
    ["no repository", { repositories: [] }, /ImagePullRole pull: repositories is empty/],
    [
      "a repository ARN",
      { repositories: ["arn:aws:ecr:eu-west-1:111111111111:repository/p/web"] },
      /repositories has ".*", which is not an ECR repository name/,
    ],
    ["no log group", { logGroups: [] }, /ImagePullRole pull: logGroups must list/],
    ["a log group without its leading /", { logGroups: ["ecs/p-web-dev"] }, /ImagePullRole pull: logGroups must list/],
    ["a role name with a space", { roleName: "p image pull" }, /ImagePullRole pull: roleName "p image pull" must be/],
  ])("rejects %s, naming the prop", (_what, overrides, message) => {
    expect(() => synthRole(overrides)).toThrow(message);
  });
});

describe("DeployRoles with container services", () => {
  const dev = new Arns("aws", "eu-west-1", DEV);
  const build = dev.inAccount(BUILD);
  const containers = {
    stacks: ["p-web-dev"],
    logGroups: ["/ecs/p-web-dev"],
    imagePullRoleArn: dev.role("p-image-pull"),
    networkParameters: { vpcId: "/p/network/vpc-id", subnetIds: "/p/network/subnet-ids" },
  };
  const synthRoles = (overrides: Partial<DeployRolesProps>) =>
    Testing.synthScope((scope) => {
      const boundary = new IamPolicy(scope, "boundary", { name: "p-application-boundary", policy: "{}" });
      new DeployRoles(scope, "roles", {
        arns: dev,
        deployRoleName: "p-deploy",
        cloudFormationExecutionRoleName: "p-cfn-exec",
        pipelineRoleArn: build.role("p-pipeline"),
        artifactStore: { arns: build, bucketName: "p-artifacts", keyAlias: "alias/p-artifacts" },
        stacks: ["p-orders-dev", "p-web-dev"],
        boundary,
        ...overrides,
      });
    });

  it("writes containerStatements and containerNetworkStatements into managed policies named after the execution role", () => {
    const policies = resourcesOf(JSON.parse(synthRoles({ containers })), "aws_iam_policy").filter((p) => p.name !== "p-application-boundary");
    const byName = Object.fromEntries(policies.map((p) => [p.name, statementsOf(p.policy)]));
    const written = (statements: unknown) => JSON.parse(JSON.stringify(statements));
    expect(byName).toEqual({
      "p-cfn-exec-containers": written(containerStatements(dev, containers)),
      "p-cfn-exec-container-network": written(containerNetworkStatements(dev, ["p-web-dev"])),
    });
  });

  it.each<[string, Partial<DeployRolesProps>, RegExp]>([
    ["no container stack", { containers: { ...containers, stacks: [] } }, /DeployRoles roles: containers.stacks is empty/],
    [
      "a container stack without its log group",
      { containers: { ...containers, logGroups: [] } },
      /DeployRoles roles: containers.logGroups must name/,
    ],
    [
      "a container stack the door does not deploy",
      { containers: { ...containers, stacks: ["p-other-dev"] } },
      /DeployRoles roles: containers.stacks has p-other-dev, which stacks does not/,
    ],
  ])("rejects %s, naming the prop", (_what, overrides, message) => {
    expect(() => synthRoles(overrides)).toThrow(message);
  });
});
