import { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Arns, policyDocument, serviceTrustPolicy } from "../iam";

export interface PipelineRolesProps {
  /** ARNs of the build account. */
  readonly arns: Arns;
  /** Name of the role CodePipeline runs as. */
  readonly pipelineRoleName: string;
  /** Name of the role CodeBuild projects run as. */
  readonly codeBuildRoleName: string;
  /** Prefix of the CodeBuild projects' names, e.g. `pipewright-`: their log groups and report groups follow it. */
  readonly codeBuildProjectPrefix: string;
  /** Deploy roles in dev and prod that the pipeline may assume (exact ARNs). */
  readonly deployRoleArns: readonly string[];
}

/**
 * The build account's service roles: one for CodePipeline, one for CodeBuild.
 * Other constructs add what they need to them (artifact store, pipelines).
 */
export class PipelineRoles extends Construct {
  readonly pipelineRole: IamRole;
  readonly codeBuildRole: IamRole;

  constructor(scope: Construct, id: string, props: PipelineRolesProps) {
    super(scope, id);
    if (props.deployRoleArns.length === 0) {
      throw new Error("PipelineRoles: deployRoleArns is empty; the pipeline needs the dev and prod deploy roles");
    }
    const account = props.arns.accountId;
    this.pipelineRole = new IamRole(this, "pipeline", {
      name: props.pipelineRoleName,
      description: "CodePipeline service role of the pipewright pipelines",
      assumeRolePolicy: serviceTrustPolicy("codepipeline.amazonaws.com", account),
    });
    new IamRolePolicy(this, "pipeline-assume-deploy-roles", {
      role: this.pipelineRole.name,
      name: "assume-deploy-roles",
      policy: policyDocument([
        { Sid: "AssumeDeployRoles", Effect: "Allow", Action: "sts:AssumeRole", Resource: props.deployRoleArns },
      ]),
    });

    this.codeBuildRole = new IamRole(this, "codebuild", {
      name: props.codeBuildRoleName,
      description: "Service role of the pipewright CodeBuild projects",
      assumeRolePolicy: serviceTrustPolicy("codebuild.amazonaws.com", account),
    });
    const logGroups = props.arns.logGroup(`/aws/codebuild/${props.codeBuildProjectPrefix}*`);
    new IamRolePolicy(this, "codebuild-logs", {
      role: this.codeBuildRole.name,
      name: "build-logs-and-reports",
      policy: policyDocument([
        {
          Sid: "BuildLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: [logGroups, `${logGroups}:log-stream:*`],
        },
        {
          // The buildspecs publish test reports (report groups are named after the project).
          Sid: "TestReports",
          Effect: "Allow",
          Action: ["codebuild:BatchPutTestCases", "codebuild:CreateReport", "codebuild:CreateReportGroup", "codebuild:UpdateReport"],
          Resource: props.arns.regional("codebuild", `report-group/${props.codeBuildProjectPrefix}*`),
        },
      ]),
    });
  }
}
