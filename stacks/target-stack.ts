import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { AccountStack, AccountStackProps } from "./account-stack";
import type { TargetAccountName } from "./config";
import { DeployRoles } from "./constructs/deploy-roles";
import { TrafficHooks } from "./constructs/traffic-hooks";

/** The accounts the pipelines deploy to, in pipeline order. */
export const TARGET_ACCOUNTS: readonly TargetAccountName[] = ["dev", "prod"];

export interface TargetStackProps extends AccountStackProps {
  /** Which account this stack provisions. */
  readonly environment: TargetAccountName;
}

/** A dev or prod account: the roles cross-account deployments use, and the canary's traffic hooks. */
export class TargetStack extends AccountStack {
  readonly deployRoles: DeployRoles;
  readonly trafficHooks: TrafficHooks;

  constructor(scope: Construct, props: TargetStackProps) {
    super(scope, props.environment, props);
    const { config, names, arns } = this;
    const build = arns.inAccount(config.accounts.build.accountId);
    const stackPrefixes = config.services.map((s) => names.applicationStackPrefix(s));

    this.deployRoles = new DeployRoles(this, "deploy-roles", {
      arns,
      deployRoleName: names.deployRole,
      cloudFormationExecutionRoleName: names.cloudFormationExecutionRole,
      pipelineRoleArn: build.role(names.pipelineRole),
      artifactStore: { arns: build, bucketName: names.artifactBucket, keyAlias: names.artifactKeyAlias },
      stackPrefixes,
      previewCleanup:
        props.environment === "dev"
          ? {
              roleName: names.previewCleanupRole,
              trustedRoleArns: [build.role(names.prPipelinesFunction), build.role(names.reconcilerFunction)],
            }
          : undefined,
    });

    this.trafficHooks = new TrafficHooks(this, "traffic-hooks", {
      arns,
      project: names.project,
      stackPrefixes,
      logRetentionDays: config.logRetentionDays,
    });

    new TerraformOutput(this, "deploy_role_arn", { value: this.deployRoles.deployRole.arn });
    if (this.deployRoles.previewCleanupRole) {
      new TerraformOutput(this, "preview_cleanup_role_arn", { value: this.deployRoles.previewCleanupRole.arn });
    }
    new TerraformOutput(this, "cloudformation_execution_role_arn", {
      value: this.deployRoles.cloudFormationExecutionRole.arn,
    });
  }
}
