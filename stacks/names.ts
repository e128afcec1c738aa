import type { PipewrightConfig, ServiceConfig } from "./config";

/**
 * Names every stack agrees on. The three stacks are applied separately, in
 * three accounts, so the ones they share are derived from configuration
 * rather than passed as Terraform outputs. Changing one renames resources.
 */
export class PlatformNames {
  constructor(private readonly config: Pick<PipewrightConfig, "projectName" | "region" | "accounts">) {}

  get project(): string {
    return this.config.projectName;
  }

  /** Globally unique: project, build account and Region. */
  get artifactBucket(): string {
    return `${this.project}-artifacts-${this.config.accounts.build.accountId}-${this.config.region}`;
  }

  get artifactKeyAlias(): string {
    return `alias/${this.project}-artifacts`;
  }

  /** Build account: the role every pipeline runs as. */
  get pipelineRole(): string {
    return `${this.project}-pipeline`;
  }

  /** Build account: the role CodeBuild projects run as. */
  get codeBuildRole(): string {
    return `${this.project}-codebuild`;
  }

  /** Dev and prod accounts: the role pipelines assume to deploy there. */
  get deployRole(): string {
    return `${this.project}-deploy`;
  }

  /** Dev and prod accounts: the role CloudFormation acts as. */
  get cloudFormationExecutionRole(): string {
    return `${this.project}-cfn-exec`;
  }

  /** Dev account: the role the PR function assumes to delete preview stacks. */
  get previewCleanupRole(): string {
    return `${this.project}-preview-cleanup`;
  }

  /** Build account: the PR pipelines function, and its execution role. */
  get prPipelinesFunction(): string {
    return `${this.project}-pr-pipelines`;
  }

  /** Build account: the reconciler function, and its execution role. */
  get reconcilerFunction(): string {
    return `${this.project}-reconciler`;
  }

  /** The main pipeline of a service. */
  pipeline(service: Pick<ServiceConfig, "name">): string {
    return `${this.project}-${service.name}`;
  }

  /** Prefix of every CloudFormation stack of a service (`<service>-dev`, `<service>-pr-12`, ...). */
  applicationStackPrefix(service: Pick<ServiceConfig, "name">): string {
    return `${this.project}-${service.name}`;
  }
}
