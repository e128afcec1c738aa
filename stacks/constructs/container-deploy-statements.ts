import type { Arns, ConditionBlock, PolicyStatement } from "../iam";
import { namedAfterStack, STACK_TAG } from "../names";

/** What the execution role of one door needs to know of the container services it deploys. */
export interface ContainerDeployment {
  /**
   * The container services' stacks: exact names (`<project>-<service>-dev`)
   * or, for previews, patterns (`<project>-<service>-pr-*`); a subset of the
   * door's stacks.
   */
  readonly stacks: readonly string[];
  /** The stacks' log groups, names or patterns (`/ecs/<stack>`, see PlatformNames.containerLogGroup). */
  readonly logGroups: readonly string[];
  /** The role the stacks' tasks pull images as (their task execution role); the execution role may pass it to ECS tasks and nothing else. */
  readonly imagePullRoleArn: string;
  /** Names of the SSM parameters holding the VPC id and the subnet ids, which the templates take as parameters. */
  readonly networkParameters: { readonly vpcId: string; readonly subnetIds: string };
}

/** The services whose service-linked roles creating a cluster or a load balancer may create, if the account has none yet. */
const SERVICE_LINKED_ROLES: Readonly<Record<string, string>> = {
  "ecs.amazonaws.com": "AWSServiceRoleForECS",
  "elasticloadbalancing.amazonaws.com": "AWSServiceRoleForElasticLoadBalancing",
};

/**
 * What a container template (templates/container) needs for the ECS cluster,
 * service and task definition named after its stack, its log group
 * `/ecs/<stack>`, the network parameters, and the roles its tasks run as.
 * Everything is scoped by name; actions AWS authorizes on no resource (the
 * Service Authorization Reference lists none for them) are on "*". Alarms
 * and the task role itself are covered by applicationStatements.
 */
export function containerStatements(arns: Arns, deployment: ContainerDeployment): PolicyStatement[] {
  const stacks = [...deployment.stacks];
  const taskRoles = stacks.map((stack) => arns.role(namedAfterStack(stack)));
  const passedToTasks: ConditionBlock = { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } };
  return [
    {
      Sid: "Clusters",
      Effect: "Allow",
      Action: [
        "ecs:CreateCluster",
        "ecs:DeleteCluster",
        "ecs:DescribeClusters",
        "ecs:ListTagsForResource",
        "ecs:PutClusterCapacityProviders",
        "ecs:TagResource",
        "ecs:UntagResource",
        "ecs:UpdateCluster",
        "ecs:UpdateClusterSettings",
      ],
      Resource: stacks.map((stack) => arns.regional("ecs", `cluster/${stack}`)),
    },
    {
      Sid: "Services",
      Effect: "Allow",
      Action: [
        "ecs:CreateService",
        "ecs:DeleteService",
        "ecs:DescribeServices",
        "ecs:ListTagsForResource",
        "ecs:TagResource",
        "ecs:UntagResource",
        "ecs:UpdateService",
      ],
      Resource: stacks.map((stack) => arns.regional("ecs", `service/${stack}/${stack}`)),
    },
    {
      Sid: "TaskDefinitions",
      Effect: "Allow",
      Action: ["ecs:ListTagsForResource", "ecs:RegisterTaskDefinition", "ecs:TagResource", "ecs:UntagResource"],
      Resource: stacks.map((stack) => arns.regional("ecs", `task-definition/${stack}:*`)),
    },
    {
      Sid: "DeregisterTaskDefinitions",
      Effect: "Allow",
      Action: "ecs:DeregisterTaskDefinition",
      Resource: "*",
    },
    {
      // The image pull role of this door only: a preview's template cannot run tasks that pull main's images.
      Sid: "PassImagePullRole",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: deployment.imagePullRoleArn,
      Condition: passedToTasks,
    },
    // CloudFormation's task definition handler reads the roles it passes.
    { Sid: "ReadImagePullRole", Effect: "Allow", Action: "iam:GetRole", Resource: deployment.imagePullRoleArn },
    {
      // The task roles the stacks create under the boundary.
      Sid: "PassTaskRoles",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: taskRoles,
      Condition: passedToTasks,
    },
    {
      Sid: "ServiceLinkedRoles",
      Effect: "Allow",
      Action: "iam:CreateServiceLinkedRole",
      Resource: Object.entries(SERVICE_LINKED_ROLES).map(([service, role]) => arns.role(`aws-service-role/${service}/${role}`)),
      Condition: { StringEquals: { "iam:AWSServiceName": Object.keys(SERVICE_LINKED_ROLES) } },
    },
    {
      Sid: "ContainerLogs",
      Effect: "Allow",
      Action: [
        "logs:CreateLogGroup",
        "logs:DeleteLogGroup",
        "logs:DeleteRetentionPolicy",
        "logs:GetDataProtectionPolicy",
        "logs:ListTagsForResource",
        "logs:PutRetentionPolicy",
        "logs:TagResource",
        "logs:UntagResource",
      ],
      Resource: deployment.logGroups.flatMap((name) => {
        const group = arns.logGroup(name);
        return name.endsWith("*") ? [group] : [group, `${group}:*`];
      }),
    },
    networkParametersStatement(arns, deployment),
    {
      Sid: "DescribeContainerResources",
      Effect: "Allow",
      Action: ["ecs:DescribeTaskDefinition", "logs:DescribeLogGroups"],
      Resource: "*",
    },
  ];
}

/**
 * What a container template needs for its load balancer, target group,
 * listener and security groups. CloudFormation generates their names, so
 * they are scoped by the STACK_TAG tag, which may only be set in the request
 * that creates them; actions AWS authorizes on no resource are on "*".
 */
export function containerNetworkStatements(arns: Arns, stacks: readonly string[]): PolicyStatement[] {
  const requestTagged: ConditionBlock = { StringLike: { [`aws:RequestTag/${STACK_TAG}`]: [...stacks] } };
  const resourceTagged: ConditionBlock = { StringLike: { [`aws:ResourceTag/${STACK_TAG}`]: [...stacks] } };
  const loadBalancers = arns.regional("elasticloadbalancing", "loadbalancer/app/*");
  const targetGroups = arns.regional("elasticloadbalancing", "targetgroup/*");
  const securityGroups = arns.regional("ec2", "security-group/*");
  return [
    {
      Sid: "CreateTaggedLoadBalancing",
      Effect: "Allow",
      Action: ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
      Resource: [loadBalancers, targetGroups],
      Condition: requestTagged,
    },
    {
      // Tags only in the request that creates the resource: nothing can adopt another stack's load balancer by retagging it.
      Sid: "TagNewLoadBalancing",
      Effect: "Allow",
      Action: "elasticloadbalancing:AddTags",
      Resource: [loadBalancers, targetGroups],
      Condition: {
        StringEquals: { "elasticloadbalancing:CreateAction": ["CreateLoadBalancer", "CreateTargetGroup"] },
        ...requestTagged,
      },
    },
    {
      // A listener is authorized on its load balancer: only the stacks' own get listeners.
      Sid: "OwnLoadBalancers",
      Effect: "Allow",
      Action: [
        "elasticloadbalancing:CreateListener",
        "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
        "elasticloadbalancing:SetIpAddressType",
        "elasticloadbalancing:SetSecurityGroups",
        "elasticloadbalancing:SetSubnets",
      ],
      Resource: loadBalancers,
      Condition: resourceTagged,
    },
    {
      Sid: "OwnTargetGroups",
      Effect: "Allow",
      Action: [
        "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:ModifyTargetGroup",
        "elasticloadbalancing:ModifyTargetGroupAttributes",
      ],
      Resource: targetGroups,
      Condition: resourceTagged,
    },
    {
      // CloudFormation cannot tag a listener (AWS::ElasticLoadBalancingV2::Listener is not taggable), so
      // no tag can scope changing one; creating one needs a load balancer of these stacks (OwnLoadBalancers).
      Sid: "Listeners",
      Effect: "Allow",
      Action: ["elasticloadbalancing:DeleteListener", "elasticloadbalancing:ModifyListener"],
      Resource: arns.regional("elasticloadbalancing", "listener/app/*"),
    },
    {
      Sid: "CreateTaggedSecurityGroups",
      Effect: "Allow",
      Action: "ec2:CreateSecurityGroup",
      Resource: securityGroups,
      Condition: requestTagged,
    },
    {
      // The VPC comes from the platform team's SSM parameter, unknown here: any VPC of this account.
      Sid: "SecurityGroupsInVpcs",
      Effect: "Allow",
      Action: "ec2:CreateSecurityGroup",
      Resource: arns.regional("ec2", "vpc/*"),
    },
    {
      Sid: "TagNewSecurityGroups",
      Effect: "Allow",
      Action: "ec2:CreateTags",
      Resource: securityGroups,
      Condition: { StringEquals: { "ec2:CreateAction": "CreateSecurityGroup" }, ...requestTagged },
    },
    {
      Sid: "OwnSecurityGroups",
      Effect: "Allow",
      Action: [
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:DeleteSecurityGroup",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupIngress",
        "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
        "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
      ],
      Resource: securityGroups,
      Condition: resourceTagged,
    },
    {
      Sid: "DescribeNetworkResources",
      Effect: "Allow",
      Action: [
        "ec2:DescribeSecurityGroupRules",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "elasticloadbalancing:DescribeCapacityReservation",
        "elasticloadbalancing:DescribeListenerAttributes",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTags",
        "elasticloadbalancing:DescribeTargetGroupAttributes",
        "elasticloadbalancing:DescribeTargetGroups",
      ],
      Resource: "*",
    },
  ];
}

/**
 * Reading the two network parameters the container templates take as SSM
 * parameter types: the execution role and the deploy role both get it, since
 * the parameters are resolved when the change set is created.
 */
export function networkParametersStatement(arns: Arns, deployment: Pick<ContainerDeployment, "networkParameters">): PolicyStatement {
  const { vpcId, subnetIds } = deployment.networkParameters;
  return {
    Sid: "NetworkParameters",
    Effect: "Allow",
    Action: "ssm:GetParameters",
    Resource: [vpcId, subnetIds].map((name) => arns.regional("ssm", `parameter/${name.replace(/^\//, "")}`)),
  };
}
