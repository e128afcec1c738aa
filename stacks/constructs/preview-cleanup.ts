import { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { type Arns, policyDocument } from "../iam";
import { stackArns } from "./deploy-roles";

export interface PreviewCleanupProps {
  /** ARNs of the dev account. */
  readonly arns: Arns;
  readonly roleName: string;
  /** The build account's roles that may assume it: the PR function's and the reconciler's, exactly. */
  readonly trustedRoleArns: readonly string[];
  /** Preview stack patterns, one per service (`<project>-<service>-pr-*`). */
  readonly previewStacks: readonly string[];
  /** The role CloudFormation acts as for previews: it deletes what it created. */
  readonly previewExecutionRole: IamRole;
}

/**
 * The dev account's role for deleting the preview stacks of closed pull
 * requests: it may delete preview stacks and nothing else.
 */
export class PreviewCleanup extends Construct {
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: PreviewCleanupProps) {
    super(scope, id);
    if (props.trustedRoleArns.length === 0 || props.previewStacks.length === 0) {
      throw new Error("PreviewCleanup: trustedRoleArns and previewStacks must not be empty");
    }
    this.role = new IamRole(this, "role", {
      name: props.roleName,
      description: "Deletes the preview stacks of closed pull requests; assumed by the build account's PR function and reconciler only",
      assumeRolePolicy: policyDocument([{ Effect: "Allow", Principal: { AWS: props.trustedRoleArns }, Action: "sts:AssumeRole" }]),
    });
    new IamRolePolicy(this, "permissions", {
      role: this.role.name,
      name: "delete-preview-stacks",
      policy: policyDocument([
        {
          Sid: "PreviewStacks",
          Effect: "Allow",
          Action: ["cloudformation:DeleteStack", "cloudformation:DescribeStacks"],
          Resource: stackArns(props.arns, props.previewStacks),
        },
        {
          // CloudFormation deletes a stack with the role that created it; the caller must be allowed to pass it.
          Sid: "PassCloudFormationRole",
          Effect: "Allow",
          Action: "iam:PassRole",
          Resource: props.previewExecutionRole.arn,
          Condition: { StringEquals: { "iam:PassedToService": "cloudformation.amazonaws.com" } },
        },
      ]),
    });
  }
}
