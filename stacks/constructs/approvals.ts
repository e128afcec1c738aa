import { Construct } from "constructs";
import { IamGroup } from "@cdktf/provider-aws/lib/iam-group";
import { IamGroupPolicyAttachment } from "@cdktf/provider-aws/lib/iam-group-policy-attachment";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { IamUserPolicyAttachment } from "@cdktf/provider-aws/lib/iam-user-policy-attachment";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { policyDocument } from "../iam";
import type { ArtifactStore } from "./artifact-store";
import type { DeliveryPipeline } from "./delivery-pipeline";

export interface ApprovalsProps {
  /** Prefix of the topic, policy and group names. */
  readonly namePrefix: string;
  /** Encrypts the topic. */
  readonly store: ArtifactStore;
  /** E-mail addresses told when an approval waits. @default none */
  readonly emails?: readonly string[];
  /** IAM users or roles (ARNs) allowed to approve. @default none */
  readonly principalArns?: readonly string[];
  /** A group pipewright creates for approvers. @default none */
  readonly groupName?: string;
}

/**
 * Who may approve prod deployments and how they hear about it: an encrypted
 * topic the approval actions notify, and a policy that allows
 * PutApprovalResult on exactly the pipelines' approval actions, plus what the
 * CodePipeline console needs to show them.
 */
export class Approvals extends Construct {
  readonly topic: SnsTopic;
  private readonly props: ApprovalsProps;

  constructor(scope: Construct, id: string, props: ApprovalsProps) {
    super(scope, id);
    if ((props.principalArns ?? []).length === 0 && !props.groupName) {
      throw new Error("Approvals: neither principalArns nor groupName is set; nobody could approve a prod deployment");
    }
    this.props = props;
    this.topic = new SnsTopic(this, "topic", { name: `${props.namePrefix}-approvals`, kmsMasterKeyId: props.store.key.arn });
    for (const [index, email] of (props.emails ?? []).entries()) {
      new SnsTopicSubscription(this, `email-${index}`, { topicArn: this.topic.arn, protocol: "email", endpoint: email });
    }
  }

  /** Grants the approvers the approval actions of these pipelines. Call once, with every pipeline. */
  allowApproving(pipelines: readonly DeliveryPipeline[]): IamPolicy {
    const policy = new IamPolicy(this, "policy", {
      name: `${this.props.namePrefix}-approvers`,
      description: "Approve or reject prod deployments of the pipewright pipelines in the CodePipeline console",
      policy: policyDocument([
        {
          Sid: "ApproveProd",
          Effect: "Allow",
          Action: "codepipeline:PutApprovalResult",
          Resource: pipelines.map((p) => p.approvalActionArn),
        },
        {
          Sid: "SeePipelines",
          Effect: "Allow",
          Action: [
            "codepipeline:GetPipeline",
            "codepipeline:GetPipelineExecution",
            "codepipeline:GetPipelineState",
            "codepipeline:ListActionExecutions",
            "codepipeline:ListPipelineExecutions",
          ],
          Resource: pipelines.map((p) => p.pipeline.arn),
        },
        // The console's pipeline list; ListPipelines has no resource-level permissions.
        { Sid: "ListPipelines", Effect: "Allow", Action: "codepipeline:ListPipelines", Resource: "*" },
      ]),
    });
    if (this.props.groupName) {
      const group = new IamGroup(this, "group", { name: this.props.groupName });
      new IamGroupPolicyAttachment(this, "group-policy", { group: group.name, policyArn: policy.arn });
    }
    (this.props.principalArns ?? []).forEach((arn, index) => {
      const [kind, ...path] = arn.split(":")[5].split("/");
      const name = path[path.length - 1];
      if (kind === "user") new IamUserPolicyAttachment(this, `user-${index}`, { user: name, policyArn: policy.arn });
      else new IamRolePolicyAttachment(this, `role-${index}`, { role: name, policyArn: policy.arn });
    });
    return policy;
  }
}
