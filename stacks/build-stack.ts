import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { AccountStack, AccountStackProps } from "./account-stack";
import { TARGET_ACCOUNTS } from "./target-stack";
import { ArtifactStore, TargetAccountAccess } from "./constructs/artifact-store";
import { PipelineRoles } from "./constructs/pipeline-roles";

export interface BuildStackProps extends AccountStackProps {
  /**
   * The first apply, before the dev and prod stacks exist: leaves their
   * roles out of the key and bucket policies, which AWS would reject while
   * those roles do not exist. Apply again without it once they do.
   * @default false
   */
  readonly bootstrap?: boolean;
}

/** The build account: artifact store, pipelines, webhook intake. */
export class BuildStack extends AccountStack {
  readonly roles: PipelineRoles;
  readonly artifactStore: ArtifactStore;

  constructor(scope: Construct, props: BuildStackProps) {
    super(scope, "build", props);
    const { config, names, arns } = this;

    const targets: TargetAccountAccess[] = TARGET_ACCOUNTS.map((name) => {
      const target = arns.inAccount(config.accounts[name].accountId);
      return {
        name,
        deployRoleArn: target.role(names.deployRole),
        cloudFormationExecutionRoleArn: target.role(names.cloudFormationExecutionRole),
      };
    });

    this.roles = new PipelineRoles(this, "pipeline-roles", {
      arns,
      pipelineRoleName: names.pipelineRole,
      codeBuildRoleName: names.codeBuildRole,
      codeBuildLogGroupPrefix: `/aws/codebuild/${names.project}-`,
      deployRoleArns: targets.map((t) => t.deployRoleArn),
    });

    this.artifactStore = new ArtifactStore(this, "artifact-store", {
      arns,
      bucketName: names.artifactBucket,
      keyAlias: names.artifactKeyAlias,
      keyAdministratorArn: config.accounts.build.provisioningRoleArn,
      readWriteRoles: [this.roles.pipelineRole, this.roles.codeBuildRole],
      targetAccounts: props.bootstrap ? [] : targets,
      retentionDays: config.artifactRetentionDays,
    });

    new TerraformOutput(this, "artifact_bucket", { value: this.artifactStore.bucket.bucket });
    new TerraformOutput(this, "artifact_key_arn", { value: this.artifactStore.key.arn });
    new TerraformOutput(this, "pipeline_role_arn", { value: this.roles.pipelineRole.arn });
  }
}
