import { Construct } from "constructs";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { type Arns, policyDocument } from "../iam";

/**
 * What application roles may ever do, whatever their own policies say: the
 * services a serverless application uses, and what CodeDeploy's role for
 * Lambda canaries needs (AWSCodeDeployRoleForLambda). Service-wide actions are
 * fine here: a boundary only caps, it grants nothing.
 */
export const APPLICATION_ACTIONS: readonly string[] = [
  "logs:CreateLogGroup",
  "logs:CreateLogStream",
  "logs:PutLogEvents",
  "xray:PutTelemetryRecords",
  "xray:PutTraceSegments",
  "cloudwatch:DescribeAlarms",
  "cloudwatch:PutMetricData",
  "dynamodb:*",
  "s3:*",
  "sqs:*",
  "sns:*",
  "events:*",
  "states:*",
  "kinesis:*",
  "firehose:*",
  "ssm:GetParameter",
  "ssm:GetParameters",
  "ssm:GetParametersByPath",
  "secretsmanager:DescribeSecret",
  "secretsmanager:GetSecretValue",
  "kms:Decrypt",
  "kms:DescribeKey",
  "kms:Encrypt",
  "kms:GenerateDataKey",
  "kms:GenerateDataKey*",
  "execute-api:Invoke",
  "lambda:GetAlias",
  "lambda:GetProvisionedConcurrencyConfig",
  "lambda:InvokeFunction",
  "lambda:UpdateAlias",
];

/** Services whose actions a boundary must never allow: whoever gets them can lift the boundary or leave the account's control. */
export const FORBIDDEN_APPLICATION_SERVICES: readonly string[] = ["iam", "organizations", "account", "sts"];

export interface ApplicationBoundaryProps {
  /** ARNs of this (dev or prod) account. */
  readonly arns: Arns;
  /** Name of the managed policy, `<project>-application-boundary`. */
  readonly policyName: string;
  /** The project name: the boundary keeps application roles away from `CodeDeployHook_<project>-*`. */
  readonly project: string;
  /** Actions the configuration adds to APPLICATION_ACTIONS (`applicationBoundary.additionalActions`). @default none */
  readonly additionalActions?: readonly string[];
}

/**
 * The permissions boundary of every role CloudFormation creates for an
 * application in dev, previews and prod. The execution roles may create and
 * change roles only with this boundary attached (deploy-roles.ts), and can
 * neither remove it nor edit this policy. So no template, from a pull request
 * or from main, can make a role that administers the account, trusts itself
 * out of the boundary, or touches pipewright's own resources.
 */
export class ApplicationBoundary extends Construct {
  readonly policy: IamPolicy;

  constructor(scope: Construct, id: string, props: ApplicationBoundaryProps) {
    super(scope, id);
    const extra = props.additionalActions ?? [];
    const forbidden = extra.filter((action) => action === "*" || FORBIDDEN_APPLICATION_SERVICES.includes(action.split(":")[0] ?? ""));
    if (forbidden.length > 0) {
      throw new Error(`ApplicationBoundary: additionalActions may not include ${forbidden.join(", ")}; a boundary that allows them could be lifted`);
    }
    const { arns } = props;
    const hooks = arns.regional("lambda", `function:CodeDeployHook_${props.project}-*`);
    this.policy = new IamPolicy(this, "policy", {
      name: props.policyName,
      description: "pipewright: the most any application role (dev, previews, prod) may ever do",
      policy: policyDocument([
        { Sid: "ApplicationServices", Effect: "Allow", Action: [...new Set([...APPLICATION_ACTIONS, ...extra])], Resource: "*" },
        {
          Sid: "NoIdentityOrAccountChanges",
          Effect: "Deny",
          Action: FORBIDDEN_APPLICATION_SERVICES.map((service) => `${service}:*`),
          Resource: "*",
        },
        {
          // CodeDeploy's role invokes the traffic hooks; nothing may change them or report in their place.
          Sid: "NoPipewrightResources",
          Effect: "Deny",
          NotAction: "lambda:InvokeFunction",
          Resource: [hooks, `${hooks}:*`, arns.logGroup(`/aws/lambda/CodeDeployHook_${props.project}-*`)],
        },
        { Sid: "NoHookReports", Effect: "Deny", Action: "codedeploy:PutLifecycleEventHookExecutionStatus", Resource: "*" },
      ]),
    });
  }
}
