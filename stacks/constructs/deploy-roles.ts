import { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Arns, PolicyStatement, policyDocument, serviceTrustPolicy } from "../iam";
import { KEY_READ_ACTIONS, KEY_USE_ACTIONS } from "./artifact-store";

/** Where the build account keeps artifacts; names, because it is another account. */
export interface RemoteArtifactStore {
  /** ARNs of the build account. */
  readonly arns: Arns;
  readonly bucketName: string;
  /** The key's alias: IAM cannot name a key by alias, so statements match keys carrying it. */
  readonly keyAlias: string;
}

export interface DeployRolesProps {
  /** ARNs of this (dev or prod) account. */
  readonly arns: Arns;
  /** Name of the role the pipeline assumes here. */
  readonly deployRoleName: string;
  /** Name of the role CloudFormation acts as here. */
  readonly cloudFormationExecutionRoleName: string;
  /** The build account's pipeline role: the only principal that may assume the deploy role. */
  readonly pipelineRoleArn: string;
  /** The build account's artifact store. */
  readonly artifactStore: RemoteArtifactStore;
  /**
   * Prefixes of the application stacks deployed here, one per service
   * (`<project>-<service>`): CloudFormation may touch only their resources.
   */
  readonly stackPrefixes: readonly string[];
  /**
   * Dev only: a role that exactly these principals (the build account's PR
   * function and reconciler) may assume to delete the preview stacks of
   * closed pull requests.
   * @default no such role
   */
  readonly previewCleanup?: { readonly roleName: string; readonly trustedRoleArns: readonly string[] };
}

/**
 * A dev or prod account's side of cross-account delivery: the role the build
 * account's pipeline assumes, and the role CloudFormation uses to create the
 * application, scoped to the resources the application template creates.
 */
export class DeployRoles extends Construct {
  readonly deployRole: IamRole;
  readonly cloudFormationExecutionRole: IamRole;
  readonly previewCleanupRole?: IamRole;

  constructor(scope: Construct, id: string, props: DeployRolesProps) {
    super(scope, id);
    if (props.stackPrefixes.length === 0) {
      throw new Error("DeployRoles: stackPrefixes is empty; configure at least one service");
    }
    const { arns, artifactStore } = props;
    const keyStatement = (actions: string[]): PolicyStatement => ({
      Sid: "ArtifactKey",
      Effect: "Allow",
      Action: actions,
      Resource: artifactStore.arns.anyKey(),
      Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": artifactStore.keyAlias } },
    });
    const objects = artifactStore.arns.objects(artifactStore.bucketName);

    this.cloudFormationExecutionRole = new IamRole(this, "cfn-exec", {
      name: props.cloudFormationExecutionRoleName,
      description: "Role CloudFormation uses to deploy the pipewright applications",
      assumeRolePolicy: serviceTrustPolicy("cloudformation.amazonaws.com", arns.accountId),
    });
    new IamRolePolicy(this, "cfn-exec-application", {
      role: this.cloudFormationExecutionRole.name,
      name: "application-resources",
      policy: policyDocument([
        ...applicationStatements(arns, props.stackPrefixes),
        { Sid: "PackagedCode", Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: objects },
        keyStatement(KEY_READ_ACTIONS),
      ]),
    });

    this.deployRole = new IamRole(this, "deploy", {
      name: props.deployRoleName,
      description: "Role the pipewright pipelines assume to deploy into this account",
      assumeRolePolicy: policyDocument([
        { Effect: "Allow", Principal: { AWS: props.pipelineRoleArn }, Action: "sts:AssumeRole" },
      ]),
    });
    const stacks = props.stackPrefixes.map((p) => arns.regional("cloudformation", `stack/${p}-*/*`));
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
        { Sid: "ApplicationStacks", Effect: "Allow", Action: stackActions, Resource: stacks },
        {
          Sid: "PassCloudFormationRole",
          Effect: "Allow",
          Action: "iam:PassRole",
          Resource: this.cloudFormationExecutionRole.arn,
          Condition: { StringEquals: { "iam:PassedToService": "cloudformation.amazonaws.com" } },
        },
        {
          Sid: "Artifacts",
          Effect: "Allow",
          Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
          Resource: objects,
        },
        {
          Sid: "ArtifactBucket",
          Effect: "Allow",
          Action: ["s3:GetBucketLocation", "s3:ListBucket"],
          Resource: artifactStore.arns.bucket(artifactStore.bucketName),
        },
        keyStatement(KEY_USE_ACTIONS),
      ]),
    });

    if (props.previewCleanup) this.previewCleanupRole = this.createPreviewCleanupRole(props, props.previewCleanup);
  }

  private createPreviewCleanupRole(props: DeployRolesProps, cleanup: NonNullable<DeployRolesProps["previewCleanup"]>): IamRole {
    const role = new IamRole(this, "preview-cleanup", {
      name: cleanup.roleName,
      description: "Deletes the preview stacks of closed pull requests; assumed by the build account's PR function and reconciler only",
      assumeRolePolicy: policyDocument([{ Effect: "Allow", Principal: { AWS: cleanup.trustedRoleArns }, Action: "sts:AssumeRole" }]),
    });
    new IamRolePolicy(this, "preview-cleanup-permissions", {
      role: role.name,
      name: "delete-preview-stacks",
      policy: policyDocument([
        {
          Sid: "PreviewStacks",
          Effect: "Allow",
          Action: ["cloudformation:DeleteStack", "cloudformation:DescribeStacks"],
          Resource: props.stackPrefixes.map((p) => props.arns.regional("cloudformation", `stack/${p}-pr-*/*`)),
        },
        {
          // CloudFormation deletes a stack with the role that created it; the caller must be allowed to pass it.
          Sid: "PassCloudFormationRole",
          Effect: "Allow",
          Action: "iam:PassRole",
          Resource: this.cloudFormationExecutionRole.arn,
          Condition: { StringEquals: { "iam:PassedToService": "cloudformation.amazonaws.com" } },
        },
      ]),
    });
    return role;
  }
}

/**
 * What the sample SAM application creates (templates/): a Lambda function with
 * versions and an alias, its role, an HTTP API, CodeDeploy for the canary and
 * CloudWatch alarms. CloudFormation names them after the stack, so every
 * statement is limited to the service stacks' prefixes.
 */
function applicationStatements(arns: Arns, prefixes: readonly string[]): PolicyStatement[] {
  const each = (make: (prefix: string) => string) => prefixes.map(make);
  const partition = arns.partition;
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
        ...each((p) => arns.regional("lambda", `function:${p}-*`)),
        ...each((p) => arns.regional("lambda", `function:${p}-*:*`)),
      ],
    },
    {
      Sid: "FunctionRoles",
      Effect: "Allow",
      Action: [
        "iam:CreateRole",
        "iam:DeleteRole",
        "iam:DeleteRolePolicy",
        "iam:DetachRolePolicy",
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies",
        "iam:PutRolePolicy",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:UpdateAssumeRolePolicy",
      ],
      Resource: each((p) => arns.role(`${p}-*`)),
    },
    {
      Sid: "FunctionRoleManagedPolicies",
      Effect: "Allow",
      Action: "iam:AttachRolePolicy",
      Resource: each((p) => arns.role(`${p}-*`)),
      Condition: {
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
      Sid: "PassFunctionRoles",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: each((p) => arns.role(`${p}-*`)),
      Condition: { StringEquals: { "iam:PassedToService": ["lambda.amazonaws.com", "codedeploy.amazonaws.com"] } },
    },
    {
      Sid: "HttpApis",
      Effect: "Allow",
      Action: ["apigateway:DELETE", "apigateway:GET", "apigateway:PATCH", "apigateway:POST", "apigateway:PUT", "apigateway:TagResource"],
      Resource: [
        `arn:${partition}:apigateway:${arns.region}::/apis`,
        `arn:${partition}:apigateway:${arns.region}::/apis/*`,
        `arn:${partition}:apigateway:${arns.region}::/tags/*`,
      ],
    },
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
        ...each((p) => arns.regional("codedeploy", `application:${p}-*`)),
        ...each((p) => arns.regional("codedeploy", `deploymentgroup:${p}-*/*`)),
        arns.regional("codedeploy", "deploymentconfig:CodeDeployDefault.Lambda*"),
      ],
    },
    {
      Sid: "RollbackAlarms",
      Effect: "Allow",
      Action: ["cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource"],
      Resource: each((p) => arns.regional("cloudwatch", `alarm:${p}-*`)),
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
      Resource: each((p) => arns.logGroup(`/aws/lambda/${p}-*`)),
    },
  ];
}
