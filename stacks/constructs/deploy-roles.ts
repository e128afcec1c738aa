import { Construct } from "constructs";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { type Arns, type ConditionBlock, type PolicyStatement, policyDocument, serviceTrustPolicy } from "../iam";
import { namedAfterStack, STACK_TAG } from "../names";
import { KEY_READ_ACTIONS } from "./artifact-store";
import { type ContainerDeployment, containerNetworkStatements, containerStatements, networkParametersStatement } from "./container-deploy-statements";

/** Where the build account keeps artifacts; names, because it is another account. */
export interface RemoteArtifactStore {
  /** ARNs of the build account. */
  readonly arns: Arns;
  readonly bucketName: string;
  /** The key's alias: IAM cannot name a key by alias, so statements match keys carrying it. */
  readonly keyAlias: string;
}

export { STACK_TAG };

export interface DeployRolesProps {
  /** ARNs of this (dev or prod) account. */
  readonly arns: Arns;
  /** Name of the role the pipeline assumes here. */
  readonly deployRoleName: string;
  /** Name of the role CloudFormation acts as here. */
  readonly cloudFormationExecutionRoleName: string;
  /** The build account's pipeline role: the only principal that may assume the deploy role. */
  readonly pipelineRoleArn: string;
  /** The build account's artifact store these deployments read (and never write). */
  readonly artifactStore: RemoteArtifactStore;
  /**
   * The application stacks deployed through these roles, one per service:
   * exact names (`<project>-<service>-dev`) or, for previews, a pattern
   * (`<project>-<service>-pr-*`). CloudFormation may touch only these stacks
   * and what they name after themselves (`<stack>-*`).
   */
  readonly stacks: readonly string[];
  /** The permissions boundary every role the execution role creates must carry. */
  readonly boundary: IamPolicy;
  /**
   * The container services among the stacks: the execution role gets what
   * their templates create (ECS, load balancing, security groups, logs) for
   * these stacks only, and may pass their image pull role to ECS tasks.
   * @default none: the door deploys no container service
   */
  readonly containers?: ContainerDeployment;
}

/**
 * One door into a dev or prod account: the role a build-account pipeline
 * role assumes, and the role CloudFormation acts as to create the
 * application, scoped to the given stacks and to what the application
 * template creates. Main's pipelines and the pull requests' each get their
 * own door, so that nothing a pull request can become reaches main's stacks.
 */
export class DeployRoles extends Construct {
  readonly deployRole: IamRole;
  readonly cloudFormationExecutionRole: IamRole;
  /** What the execution role may do for container services: none when the door deploys none. */
  readonly containerPolicies: readonly IamPolicy[] = [];

  constructor(scope: Construct, id: string, props: DeployRolesProps) {
    super(scope, id);
    if (props.stacks.length === 0) {
      throw new Error(`DeployRoles ${id}: stacks is empty; configure at least one service`);
    }
    const { arns, artifactStore, containers } = props;
    if (containers !== undefined) {
      if (containers.stacks.length === 0) {
        throw new Error(`DeployRoles ${id}: containers.stacks is empty; leave containers out when the door deploys no container service`);
      }
      if (containers.logGroups.length !== containers.stacks.length) {
        throw new Error(`DeployRoles ${id}: containers.logGroups must name one log group per container stack (/ecs/<stack>)`);
      }
      const strangers = containers.stacks.filter((stack) => !props.stacks.includes(stack));
      if (strangers.length > 0) {
        throw new Error(
          `DeployRoles ${id}: containers.stacks has ${strangers.join(", ")}, which stacks does not; list every container stack in stacks too`,
        );
      }
    }
    const keyStatement: PolicyStatement = {
      Sid: "ArtifactKey",
      Effect: "Allow",
      Action: KEY_READ_ACTIONS,
      Resource: artifactStore.arns.anyKey(),
      Condition: {
        "ForAnyValue:StringEquals": { "kms:ResourceAliases": artifactStore.keyAlias },
        // Only to read artifacts out of S3, never to decrypt anything else encrypted with the key.
        StringEquals: { "kms:ViaService": `s3.${artifactStore.arns.region}.amazonaws.com` },
      },
    };
    const objects = artifactStore.arns.objects(artifactStore.bucketName);

    this.cloudFormationExecutionRole = new IamRole(this, "cfn-exec", {
      name: props.cloudFormationExecutionRoleName,
      description: `Role CloudFormation uses to deploy the pipewright application stacks ${props.stacks.join(", ")}`,
      assumeRolePolicy: serviceTrustPolicy("cloudformation.amazonaws.com", arns.accountId),
    });
    new IamRolePolicy(this, "cfn-exec-application", {
      role: this.cloudFormationExecutionRole.name,
      name: "application-resources",
      policy: policyDocument([
        ...applicationStatements(arns, props.stacks, props.boundary.arn),
        { Sid: "PackagedCode", Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: objects },
        keyStatement,
      ]),
    });

    if (containers !== undefined) {
      // Managed policies of their own: a role's inline policies share one size quota, which the
      // application statements already use, and a managed policy has a smaller one of its own.
      const policies = {
        containers: {
          statements: containerStatements(arns, containers),
          description: "ECS clusters, services, task definitions, log groups and network parameters",
        },
        "container-network": {
          statements: containerNetworkStatements(arns, containers.stacks),
          description: "load balancers, target groups, listeners and security groups",
        },
      };
      this.containerPolicies = Object.entries(policies).map(([suffix, { statements, description }]) => {
        const policy = new IamPolicy(this, `cfn-exec-${suffix}`, {
          name: `${props.cloudFormationExecutionRoleName}-${suffix}`,
          // Fixed text: a policy's description cannot change without replacing the policy.
          description: `pipewright: what CloudFormation may do for the container services' stacks: ${description}`,
          policy: policyDocument(statements),
        });
        new IamRolePolicyAttachment(this, `cfn-exec-${suffix}-attachment`, {
          role: this.cloudFormationExecutionRole.name,
          policyArn: policy.arn,
        });
        return policy;
      });
    }

    this.deployRole = new IamRole(this, "deploy", {
      name: props.deployRoleName,
      description: `Role the pipeline role ${props.pipelineRoleArn.split("/").pop()} assumes to deploy ${props.stacks.join(", ")} into this account`,
      assumeRolePolicy: policyDocument([{ Effect: "Allow", Principal: { AWS: props.pipelineRoleArn }, Action: "sts:AssumeRole" }]),
    });
    const stackActions = [
      "cloudformation:CreateChangeSet",
      "cloudformation:DeleteChangeSet",
      "cloudformation:DescribeChangeSet",
      "cloudformation:DescribeStackEvents",
      "cloudformation:DescribeStacks",
      "cloudformation:ExecuteChangeSet",
      "cloudformation:GetTemplate",
    ];
    new IamRolePolicy(this, "deploy-permissions", {
      role: this.deployRole.name,
      name: "deploy-applications",
      policy: policyDocument([
        { Sid: "ApplicationStacks", Effect: "Allow", Action: stackActions, Resource: stackArns(arns, props.stacks) },
        {
          Sid: "PassCloudFormationRole",
          Effect: "Allow",
          Action: "iam:PassRole",
          Resource: this.cloudFormationExecutionRole.arn,
          Condition: { StringEquals: { "iam:PassedToService": "cloudformation.amazonaws.com" } },
        },
        // Input artifacts only: no deploy action writes an output artifact.
        { Sid: "Artifacts", Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: objects },
        {
          Sid: "ArtifactBucket",
          Effect: "Allow",
          Action: ["s3:GetBucketLocation", "s3:ListBucket"],
          Resource: artifactStore.arns.bucket(artifactStore.bucketName),
        },
        keyStatement,
        ...(containers === undefined ? [] : [networkParametersStatement(arns, containers)]),
      ]),
    });
  }
}

/** The CloudFormation stack ARNs of stack names or patterns. */
export function stackArns(arns: Arns, stacks: readonly string[]): string[] {
  return stacks.map((stack) => arns.regional("cloudformation", `stack/${stack}/*`));
}

/**
 * What the sample SAM application creates (templates/): a Lambda function with
 * versions and an alias, its role and CodeDeploy's, an HTTP API, CodeDeploy for
 * the canary and CloudWatch alarms. CloudFormation names them after the stack,
 * so every statement is limited to the stacks' names. Roles only under the
 * boundary; the boundary itself cannot be removed.
 */
export function applicationStatements(arns: Arns, stacks: readonly string[], boundaryArn: string): PolicyStatement[] {
  const each = (make: (named: string) => string) => stacks.map((stack) => make(namedAfterStack(stack)));
  const partition = arns.partition;
  const roles = each((named) => arns.role(named));
  const underBoundary: ConditionBlock = { StringEquals: { "iam:PermissionsBoundary": boundaryArn } };
  const apis = `arn:${partition}:apigateway:${arns.region}::/apis`;
  const ownApis: ConditionBlock = { StringLike: { [`aws:ResourceTag/${STACK_TAG}`]: [...stacks] } };
  return [
    {
      Sid: "SamTransform",
      Effect: "Allow",
      Action: "cloudformation:CreateChangeSet",
      Resource: `arn:${partition}:cloudformation:${arns.region}:aws:transform/Serverless-2016-10-31`,
    },
    {
      Sid: "Functions",
      Effect: "Allow",
      Action: [
        "lambda:AddPermission",
        "lambda:CreateAlias",
        "lambda:CreateFunction",
        "lambda:DeleteAlias",
        "lambda:DeleteFunction",
        "lambda:GetAlias",
        "lambda:GetFunction",
        "lambda:GetFunctionCodeSigningConfig",
        "lambda:GetFunctionConfiguration",
        "lambda:GetFunctionRecursionConfig",
        "lambda:GetPolicy",
        "lambda:GetRuntimeManagementConfig",
        "lambda:ListTags",
        "lambda:ListVersionsByFunction",
        "lambda:PublishVersion",
        "lambda:RemovePermission",
        "lambda:TagResource",
        "lambda:UntagResource",
        "lambda:UpdateAlias",
        "lambda:UpdateFunctionCode",
        "lambda:UpdateFunctionConfiguration",
      ],
      Resource: [
        ...each((named) => arns.regional("lambda", `function:${named}`)),
        ...each((named) => arns.regional("lambda", `function:${named}:*`)),
      ],
    },
    {
      // Every role the stack creates or changes carries the platform's boundary.
      Sid: "ApplicationRolesUnderBoundary",
      Effect: "Allow",
      Action: ["iam:CreateRole", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy"],
      Resource: roles,
      Condition: underBoundary,
    },
    {
      Sid: "ApplicationRoleManagedPolicies",
      Effect: "Allow",
      Action: ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
      Resource: roles,
      Condition: {
        ...underBoundary,
        ArnEquals: {
          "iam:PolicyARN": [
            `arn:${partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`,
            `arn:${partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda`,
            `arn:${partition}:iam::aws:policy/AWSXrayWriteOnlyAccess`,
          ],
        },
      },
    },
    {
      Sid: "ApplicationRoles",
      Effect: "Allow",
      Action: [
        "iam:DeleteRole",
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:UpdateAssumeRolePolicy",
      ],
      Resource: roles,
    },
    {
      Sid: "KeepTheBoundary",
      Effect: "Deny",
      Action: [
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:DeleteRolePermissionsBoundary",
        "iam:SetDefaultPolicyVersion",
      ],
      Resource: "*",
    },
    {
      Sid: "PassApplicationRoles",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: roles,
      Condition: { StringEquals: { "iam:PassedToService": ["lambda.amazonaws.com", "codedeploy.amazonaws.com"] } },
    },
    {
      // HTTP APIs: only ones tagged with these stacks' names are created, changed or deleted.
      Sid: "CreateOwnHttpApis",
      Effect: "Allow",
      Action: "apigateway:POST",
      Resource: apis,
      Condition: { StringLike: { [`aws:RequestTag/${STACK_TAG}`]: [...stacks] } },
    },
    {
      Sid: "OwnHttpApis",
      Effect: "Allow",
      Action: ["apigateway:DELETE", "apigateway:PATCH", "apigateway:PUT"],
      Resource: `${apis}/*`,
      Condition: ownApis,
    },
    {
      Sid: "TagOwnHttpApis",
      Effect: "Allow",
      Action: ["apigateway:DELETE", "apigateway:POST", "apigateway:PUT"],
      Resource: `arn:${partition}:apigateway:${arns.region}::/tags/*`,
      Condition: { ...ownApis, StringLikeIfExists: { [`aws:RequestTag/${STACK_TAG}`]: [...stacks] } },
    },
    {
      // Routes, integrations and stages of HTTP APIs carry no tags AWS evaluates (tag inheritance exists for REST APIs only).
      Sid: "HttpApiParts",
      Effect: "Allow",
      Action: ["apigateway:DELETE", "apigateway:GET", "apigateway:PATCH", "apigateway:POST", "apigateway:PUT"],
      Resource: [
        `${apis}/*/integrations`,
        `${apis}/*/integrations/*`,
        `${apis}/*/routes`,
        `${apis}/*/routes/*`,
        `${apis}/*/stages`,
        `${apis}/*/stages/*`,
      ],
    },
    { Sid: "ReadHttpApis", Effect: "Allow", Action: "apigateway:GET", Resource: [apis, `${apis}/*`] },
    {
      Sid: "CanaryDeployments",
      Effect: "Allow",
      Action: [
        "codedeploy:CreateApplication",
        "codedeploy:CreateDeployment",
        "codedeploy:CreateDeploymentGroup",
        "codedeploy:DeleteApplication",
        "codedeploy:DeleteDeploymentGroup",
        "codedeploy:GetApplication",
        "codedeploy:GetApplicationRevision",
        "codedeploy:GetDeployment",
        "codedeploy:GetDeploymentConfig",
        "codedeploy:GetDeploymentGroup",
        "codedeploy:RegisterApplicationRevision",
        "codedeploy:StopDeployment",
        "codedeploy:TagResource",
        "codedeploy:UpdateDeploymentGroup",
      ],
      Resource: [
        ...each((named) => arns.regional("codedeploy", `application:${named}`)),
        ...each((named) => arns.regional("codedeploy", `deploymentgroup:${named}/*`)),
        arns.regional("codedeploy", "deploymentconfig:CodeDeployDefault.Lambda*"),
      ],
    },
    {
      Sid: "RollbackAlarms",
      Effect: "Allow",
      Action: [
        "cloudwatch:DeleteAlarms",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:TagResource",
        "cloudwatch:UntagResource",
      ],
      Resource: each((named) => arns.regional("cloudwatch", `alarm:${named}`)),
    },
    {
      Sid: "FunctionLogs",
      Effect: "Allow",
      Action: [
        "logs:CreateLogGroup",
        "logs:DeleteLogGroup",
        "logs:DeleteRetentionPolicy",
        "logs:DescribeLogGroups",
        "logs:ListTagsForResource",
        "logs:PutRetentionPolicy",
        "logs:TagResource",
        "logs:UntagResource",
      ],
      Resource: each((named) => arns.logGroup(`/aws/lambda/${named}`)),
    },
  ];
}
