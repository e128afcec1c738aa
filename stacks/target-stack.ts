import type { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { AccountStack, type AccountStackProps } from "./account-stack";
import { isContainerService, type TargetAccountName } from "./config";
import { ApplicationBoundary } from "./constructs/application-boundary";
import type { ContainerDeployment } from "./constructs/container-deploy-statements";
import { DeployRoles } from "./constructs/deploy-roles";
import { ImagePullRole } from "./constructs/image-pull-role";
import { PreviewCleanup } from "./constructs/preview-cleanup";
import { TrafficHooks } from "./constructs/traffic-hooks";
import type { ApplicationEnvironment } from "./names";
import { type PlatformService, platformServices } from "./repositories";

/** The accounts the pipelines deploy to, in pipeline order. */
export const TARGET_ACCOUNTS: readonly TargetAccountName[] = ["dev", "prod"];

export interface TargetStackProps extends AccountStackProps {
  /** Which account this stack provisions. */
  readonly environment: TargetAccountName;
}

/**
 * A dev or prod account: the doors cross-account deployments come through
 * (main's in both; the pull requests' previews in dev only), the boundary
 * every application role carries, the canary's traffic hooks, and, when
 * container services are configured, the roles their tasks pull images as.
 */
export class TargetStack extends AccountStack {
  readonly boundary: ApplicationBoundary;
  /** Main's pipelines deploy through these. */
  readonly deployRoles: DeployRoles;
  /** Dev only: pull request pipelines deploy preview stacks through these. */
  readonly previewDeployRoles?: DeployRoles;
  readonly previewCleanup?: PreviewCleanup;
  readonly trafficHooks: TrafficHooks;
  /** Only with container services: the role their tasks pull main's images as (`<project>-image-pull`). */
  readonly imagePullRole?: ImagePullRole;
  /** Dev only, with a container service whose previews are on: the role preview tasks pull the pull requests' images as. */
  readonly previewImagePullRole?: ImagePullRole;

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
    const services = platformServices(config);
    const containerServices = services.filter(isContainerService);

    const main = this.containerZone("image-pull-role", names.imagePullRole, containerServices, environment);
    this.imagePullRole = main?.pullRole;

    this.deployRoles = new DeployRoles(this, "deploy-roles", {
      arns,
      deployRoleName: names.deployRole,
      cloudFormationExecutionRoleName: names.cloudFormationExecutionRole,
      pipelineRoleArn: build.role(names.pipelineRole),
      artifactStore: { arns: build, bucketName: names.artifactBucket, keyAlias: names.artifactKeyAlias },
      stacks: services.map((s) => names.applicationStacks(s, environment)),
      boundary,
      containers: main?.deployment,
    });

    if (environment === "dev") {
      const previewStacks = services.map((s) => names.applicationStacks(s, "pr"));
      const previews = this.containerZone(
        "preview-image-pull-role",
        names.previewImagePullRole,
        containerServices.filter((s) => s.preview),
        "pr",
      );
      this.previewImagePullRole = previews?.pullRole;
      this.previewDeployRoles = new DeployRoles(this, "preview-deploy-roles", {
        arns,
        deployRoleName: names.previewDeployRole,
        cloudFormationExecutionRoleName: names.previewCloudFormationExecutionRole,
        pipelineRoleArn: build.role(names.prPipelineRole),
        artifactStore: { arns: build, bucketName: names.prArtifactBucket, keyAlias: names.prArtifactKeyAlias },
        stacks: previewStacks,
        boundary,
        containers: previews?.deployment,
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
      stackPrefixes: services.map((s) => names.applicationStackPrefix(s)),
      logRetentionDays: config.logRetentionDays,
    });

    new TerraformOutput(this, "deploy_role_arn", { value: this.deployRoles.deployRole.arn });
    new TerraformOutput(this, "cloudformation_execution_role_arn", { value: this.deployRoles.cloudFormationExecutionRole.arn });
    new TerraformOutput(this, "application_boundary_arn", { value: boundary.arn });
    if (this.imagePullRole) {
      new TerraformOutput(this, "image_pull_role_arn", { value: this.imagePullRole.role.arn });
    }
    if (this.previewImagePullRole) {
      new TerraformOutput(this, "preview_image_pull_role_arn", { value: this.previewImagePullRole.role.arn });
    }
    if (this.previewDeployRoles && this.previewCleanup) {
      new TerraformOutput(this, "preview_deploy_role_arn", { value: this.previewDeployRoles.deployRole.arn });
      new TerraformOutput(this, "preview_cloudformation_execution_role_arn", { value: this.previewDeployRoles.cloudFormationExecutionRole.arn });
      new TerraformOutput(this, "preview_cleanup_role_arn", { value: this.previewCleanup.role.arn });
    }
  }

  /**
   * One trust zone's container services: the role their tasks pull images as
   * (main's repositories for dev and prod, the pull requests' for previews),
   * and what its door's execution role needs to deploy them. None without
   * container services.
   */
  private containerZone(
    id: string,
    roleName: string,
    services: readonly PlatformService[],
    environment: ApplicationEnvironment,
  ): { pullRole: ImagePullRole; deployment: ContainerDeployment } | undefined {
    if (services.length === 0) return undefined;
    const { names, arns } = this;
    const stacks = services.map((s) => names.applicationStacks(s, environment));
    const logGroups = stacks.map((stack) => names.containerLogGroup(stack));
    const pullRole = new ImagePullRole(this, id, {
      arns,
      roleName,
      registry: arns.inAccount(this.config.accounts.build.accountId),
      repositories: services.map((s) => (environment === "pr" ? names.prImageRepository(s) : names.imageRepository(s))),
      logGroups,
    });
    return { pullRole, deployment: { stacks, logGroups, imagePullRoleArn: pullRole.role.arn, networkParameters: names.networkParameters } };
  }
}
