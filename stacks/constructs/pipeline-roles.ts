import { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { type Arns, policyDocument, serviceTrustPolicy } from "../iam";
import { TRUST_ZONE_TAG, type TrustZone } from "./artifact-store";

export interface PipelineRolesProps {
  /** ARNs of the build account. */
  readonly arns: Arns;
  /** Main's roles or the pull requests'; tags both roles. */
  readonly zone: TrustZone;
  /** Name of the role CodePipeline runs as. */
  readonly pipelineRoleName: string;
  /** Name of the role CodeBuild projects run as. */
  readonly codeBuildRoleName: string;
  /**
   * The CodeBuild projects that run as the CodeBuild role, exactly: only they
   * may assume it, and it writes only their log groups and report groups.
   */
  readonly codeBuildProjects: readonly string[];
  /** Deploy roles in dev (and prod) that the pipeline may assume (exact ARNs). */
  readonly deployRoleArns: readonly string[];
}

/**
 * One trust zone's service roles in the build account: one for CodePipeline,
 * one for CodeBuild. Main and the pull requests each get a pair, so that code
 * from a pull request never runs as a role main relies on. Other constructs add
 * what the roles need (artifact store, pipelines' actions).
 */
export class PipelineRoles extends Construct {
  readonly pipelineRole: IamRole;
  readonly codeBuildRole: IamRole;

  constructor(scope: Construct, id: string, props: PipelineRolesProps) {
    super(scope, id);
    if (props.deployRoleArns.length === 0) {
      throw new Error(`PipelineRoles ${id}: deployRoleArns is empty; the pipeline needs the deploy roles it acts through`);
    }
    if (props.codeBuildProjects.length === 0) {
      throw new Error(`PipelineRoles ${id}: codeBuildProjects is empty; name the projects that run as ${props.codeBuildRoleName}`);
    }
    const { arns } = props;
    const account = arns.accountId;
    const tags = { [TRUST_ZONE_TAG]: props.zone };
    this.pipelineRole = new IamRole(this, "pipeline", {
      name: props.pipelineRoleName,
      description: `CodePipeline service role of the pipewright ${props.zone === "pr" ? "pull request" : "main"} pipelines`,
      assumeRolePolicy: serviceTrustPolicy("codepipeline.amazonaws.com", account),
      tags,
    });
    new IamRolePolicy(this, "pipeline-assume-deploy-roles", {
      role: this.pipelineRole.name,
      name: "assume-deploy-roles",
      policy: policyDocument([{ Sid: "AssumeDeployRoles", Effect: "Allow", Action: "sts:AssumeRole", Resource: props.deployRoleArns }]),
    });

    const projectArns = props.codeBuildProjects.map((name) => arns.regional("codebuild", `project/${name}`));
    this.codeBuildRole = new IamRole(this, "codebuild", {
      name: props.codeBuildRoleName,
      description: `Service role of the pipewright ${props.zone === "pr" ? "pull request" : "main"} CodeBuild projects`,
      assumeRolePolicy: serviceTrustPolicy("codebuild.amazonaws.com", account, projectArns),
      tags,
    });
    const logGroups = props.codeBuildProjects.map((name) => arns.logGroup(`/aws/codebuild/${name}`));
    new IamRolePolicy(this, "codebuild-logs", {
      role: this.codeBuildRole.name,
      name: "build-logs-and-reports",
      policy: policyDocument([
        {
          Sid: "BuildLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: [...logGroups, ...logGroups.map((group) => `${group}:log-stream:*`)],
        },
        {
          // The buildspecs publish test reports; CodeBuild names a report group `<project>-<report>`.
          Sid: "TestReports",
          Effect: "Allow",
          Action: ["codebuild:BatchPutTestCases", "codebuild:CreateReport", "codebuild:CreateReportGroup", "codebuild:UpdateReport"],
          Resource: props.codeBuildProjects.map((name) => arns.regional("codebuild", `report-group/${name}-*`)),
        },
      ]),
    });
  }
}
