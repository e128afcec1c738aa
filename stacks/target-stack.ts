import type { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { AccountStack, type AccountStackProps } from "./account-stack";
import type { TargetAccountName } from "./config";
import { ApplicationBoundary } from "./constructs/application-boundary";
import { DeployRoles } from "./constructs/deploy-roles";
import { PreviewCleanup } from "./constructs/preview-cleanup";
import { TrafficHooks } from "./constructs/traffic-hooks";
import { platformServices } from "./repositories";

/** The accounts the pipelines deploy to, in pipeline order. */
export const TARGET_ACCOUNTS: readonly TargetAccountName[] = ["dev", "prod"];

export interface TargetStackProps extends AccountStackProps {
  /** Which account this stack provisions. */
  readonly environment: TargetAccountName;
}

/**
 * A dev or prod account: the doors cross-account deployments come through
 * (main's in both; the pull requests' previews in dev only), the boundary
 * every application role carries, and the canary's traffic hooks.
 */
export class TargetStack extends AccountStack {
  readonly boundary: ApplicationBoundary;
  /** Main's pipelines deploy through these. */
  readonly deployRoles: DeployRoles;
  /** Dev only: pull request pipelines deploy preview stacks through these. */
  readonly previewDeployRoles?: DeployRoles;
  readonly previewCleanup?: PreviewCleanup;
  readonly trafficHooks: TrafficHooks;

  constructor(scope: Construct, props: TargetStackProps) {
    super(scope, props.environment, props);
    const { config, names, arns } = this;
    const build = arns.inAccount(config.accounts.build.accountId);
    const { environment } = props;

    this.boundary = new ApplicationBoundary(this, "application-boundary", {
      arns,
      policyName: names.applicationBoundaryPolicy,
      project: names.project,
      additionalActions: config.applicationBoundary.additionalActions,
    });
    const boundary = this.boundary.policy;

    this.deployRoles = new DeployRoles(this, "deploy-roles", {
      arns,
      deployRoleName: names.deployRole,
      cloudFormationExecutionRoleName: names.cloudFormationExecutionRole,
      pipelineRoleArn: build.role(names.pipelineRole),
      artifactStore: { arns: build, bucketName: names.artifactBucket, keyAlias: names.artifactKeyAlias },
      stacks: platformServices(config).map((s) => names.applicationStacks(s, environment)),
      boundary,
    });

    if (environment === "dev") {
      const previewStacks = platformServices(config).map((s) => names.applicationStacks(s, "pr"));
      this.previewDeployRoles = new DeployRoles(this, "preview-deploy-roles", {
        arns,
        deployRoleName: names.previewDeployRole,
        cloudFormationExecutionRoleName: names.previewCloudFormationExecutionRole,
        pipelineRoleArn: build.role(names.prPipelineRole),
        artifactStore: { arns: build, bucketName: names.prArtifactBucket, keyAlias: names.prArtifactKeyAlias },
        stacks: previewStacks,
        boundary,
      });
      this.previewCleanup = new PreviewCleanup(this, "preview-cleanup", {
        arns,
        roleName: names.previewCleanupRole,
        trustedRoleArns: [build.role(names.prPipelinesFunction), build.role(names.reconcilerFunction)],
        previewStacks,
        previewExecutionRole: this.previewDeployRoles.cloudFormationExecutionRole,
      });
    }

    this.trafficHooks = new TrafficHooks(this, "traffic-hooks", {
      arns,
      project: names.project,
      stackPrefixes: platformServices(config).map((s) => names.applicationStackPrefix(s)),
      logRetentionDays: config.logRetentionDays,
    });

    new TerraformOutput(this, "deploy_role_arn", { value: this.deployRoles.deployRole.arn });
    new TerraformOutput(this, "cloudformation_execution_role_arn", { value: this.deployRoles.cloudFormationExecutionRole.arn });
    new TerraformOutput(this, "application_boundary_arn", { value: boundary.arn });
    if (this.previewDeployRoles && this.previewCleanup) {
      new TerraformOutput(this, "preview_deploy_role_arn", { value: this.previewDeployRoles.deployRole.arn });
      new TerraformOutput(this, "preview_cloudformation_execution_role_arn", { value: this.previewDeployRoles.cloudFormationExecutionRole.arn });
      new TerraformOutput(this, "preview_cleanup_role_arn", { value: this.previewCleanup.role.arn });
    }
  }
}
