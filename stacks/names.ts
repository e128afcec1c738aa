import type { PipewrightConfig, ServiceConfig } from "./config";
import { mainCodeBuildProjects, prCodeBuildProjectName } from "../functions/pr-pipelines/names";

/**
 * The tag the application templates put on what they create and
 * CloudFormation names (HTTP APIs, load balancers, target groups, security
 * groups), valued with the stack's name: the execution roles touch only
 * resources carrying their stacks' names in it.
 */
export const STACK_TAG = "pipewright:stack";

/** What CloudFormation names after a stack or stack pattern: `<stack>-*`; a pattern (`...-pr-*`) already covers it. */
export function namedAfterStack(stack: string): string {
  return stack.endsWith("*") ? stack : `${stack}-*`;
}

/** The deployment environments of an application stack: dev and prod, and the previews of pull requests in dev. */
export type ApplicationEnvironment = "dev" | "prod" | "pr";

/**
 * Names every stack agrees on. The three stacks are applied separately, in
 * three accounts, so the ones they share are derived from configuration
 * rather than passed as Terraform outputs. Changing one renames resources.
 *
 * Two trust zones live in the build account: main's identities and store,
 * and the pull requests' (`-pr-` names). Nothing of one zone is named by a
 * pattern that also covers the other.
 */
export class PlatformNames {
  constructor(private readonly config: Pick<PipewrightConfig, "projectName" | "region" | "accounts">) {}

  get project(): string {
    return this.config.projectName;
  }

  /** Main's artifact store. Globally unique: project, build account and Region. */
  get artifactBucket(): string {
    return `${this.project}-artifacts-${this.config.accounts.build.accountId}-${this.config.region}`;
  }

  get artifactKeyAlias(): string {
    return `alias/${this.project}-artifacts`;
  }

  /** The pull requests' artifact store: only PR identities write it, nothing on main's side reads it. */
  get prArtifactBucket(): string {
    return `${this.project}-pr-artifacts-${this.config.accounts.build.accountId}-${this.config.region}`;
  }

  get prArtifactKeyAlias(): string {
    return `alias/${this.project}-pr-artifacts`;
  }

  /** Build account: the role every main pipeline runs as. */
  get pipelineRole(): string {
    return `${this.project}-pipeline`;
  }

  /** Build account: the role main's CodeBuild projects run as. */
  get codeBuildRole(): string {
    return `${this.project}-codebuild`;
  }

  /** Build account: the role every pull request pipeline runs as. */
  get prPipelineRole(): string {
    return `${this.project}-pr-pipeline`;
  }

  /** Build account: the role the pull requests' CodeBuild projects run as (it runs the PR branch's code). */
  get prCodeBuildRole(): string {
    return `${this.project}-pr-codebuild`;
  }

  /** Dev and prod accounts: the role main pipelines assume to deploy there. */
  get deployRole(): string {
    return `${this.project}-deploy`;
  }

  /** Dev and prod accounts: the role CloudFormation acts as for main's stacks. */
  get cloudFormationExecutionRole(): string {
    return `${this.project}-cfn-exec`;
  }

  /** Dev account: the role pull request pipelines assume to deploy preview stacks. */
  get previewDeployRole(): string {
    return `${this.project}-preview-deploy`;
  }

  /** Dev account: the role CloudFormation acts as for preview stacks. */
  get previewCloudFormationExecutionRole(): string {
    return `${this.project}-preview-cfn-exec`;
  }

  /** Dev account: the role the PR function assumes to delete preview stacks. */
  get previewCleanupRole(): string {
    return `${this.project}-preview-cleanup`;
  }

  /** Dev and prod accounts: the permissions boundary of every role CloudFormation creates for an application. */
  get applicationBoundaryPolicy(): string {
    return `${this.project}-application-boundary`;
  }

  /** Build account: the webhook function, and its execution role. */
  get webhookFunction(): string {
    return `${this.project}-webhook`;
  }

  /** Build account: the PR pipelines function, and its execution role. */
  get prPipelinesFunction(): string {
    return `${this.project}-pr-pipelines`;
  }

  /** Build account: the reconciler function, and its execution role. */
  get reconcilerFunction(): string {
    return `${this.project}-reconciler`;
  }

  /** Build account: the Slack app's HTTP front (verifies and acknowledges Slack's requests), and its execution role. */
  get slackFunction(): string {
    return `${this.project}-slack`;
  }

  /** Build account: the Slack app's worker (approvals, deployments, answers), and its execution role. */
  get slackActionsFunction(): string {
    return `${this.project}-slack-actions`;
  }

  /** Build account: the notifier's Slack threads, one per pipeline execution. */
  get slackThreadsTable(): string {
    return `${this.project}-slack-threads`;
  }

  /** Build account: the Slack app's signing secret, `{"current": "...", "previous": "..."}`. */
  get slackSigningSecret(): string {
    return `${this.project}/slack-signing-secret`;
  }

  /** Build account: the Slack app's bot token, `{"token": "xoxb-..."}`. */
  get slackBotTokenSecret(): string {
    return `${this.project}/slack-bot-token`;
  }

  /** Dev and prod accounts: the role ECS tasks of main's container services pull their images as (their execution role). */
  get imagePullRole(): string {
    return `${this.project}-image-pull`;
  }

  /** Dev account: the role ECS tasks of preview stacks pull pull-request images as. */
  get previewImagePullRole(): string {
    return `${this.project}-preview-image-pull`;
  }

  /**
   * Dev and prod accounts: the SSM parameters naming the network container
   * services run in (the platform team creates them; the templates read them).
   */
  get networkParameters(): { readonly vpcId: string; readonly subnetIds: string } {
    return { vpcId: `/${this.project}/network/vpc-id`, subnetIds: `/${this.project}/network/subnet-ids` };
  }

  /** Build account: main's ECR repository of a container service; only main's builds push to it. */
  imageRepository(service: Pick<ServiceConfig, "name">): string {
    return `${this.project}/${service.name}`;
  }

  /** Build account: the pull requests' ECR repository of a container service; main's deployments never read it. */
  prImageRepository(service: Pick<ServiceConfig, "name">): string {
    return `${this.project}-pr/${service.name}`;
  }

  /** The log group of a container service's stack (`/ecs/<stack>`); a pattern for previews. */
  containerLogGroup(stack: string): string {
    return `/ecs/${stack}`;
  }

  /** The main pipeline of a service. */
  pipeline(service: Pick<ServiceConfig, "name">): string {
    return `${this.project}-${service.name}`;
  }

  /** Main's CodeBuild projects of a service: its build and its integration tests. */
  codeBuildProjects(service: Pick<ServiceConfig, "name">): { build: string; integrationTests: string } {
    return mainCodeBuildProjects(this.pipeline(service));
  }

  /** The pull requests' twin of one of main's CodeBuild projects. */
  prCodeBuildProject(mainProject: string): string {
    return prCodeBuildProjectName(this.project, mainProject);
  }

  /** Prefix of every CloudFormation stack of a service (`<service>-dev`, `<service>-pr-12`, ...). */
  applicationStackPrefix(service: Pick<ServiceConfig, "name">): string {
    return `${this.project}-${service.name}`;
  }

  /**
   * The stack name, or the pattern of stack names, of a service in one
   * environment: `<project>-<service>-dev`, `-prod`, or `-pr-*` for previews.
   * Everything CloudFormation names in that stack starts with it.
   */
  applicationStacks(service: Pick<ServiceConfig, "name">, environment: ApplicationEnvironment): string {
    const prefix = this.applicationStackPrefix(service);
    return environment === "pr" ? `${prefix}-pr-*` : `${prefix}-${environment}`;
  }

  /**
   * Every name pipewright gives its own resources in any account: service
   * names may not lead into them (see config.ts), so no pattern written for a
   * service's resources covers a platform resource.
   */
  get platformResourceNames(): string[] {
    return [
      this.pipelineRole,
      this.codeBuildRole,
      this.prPipelineRole,
      this.prCodeBuildRole,
      this.deployRole,
      this.cloudFormationExecutionRole,
      this.previewDeployRole,
      this.previewCloudFormationExecutionRole,
      this.previewCleanupRole,
      this.imagePullRole,
      this.previewImagePullRole,
      this.applicationBoundaryPolicy,
      this.webhookFunction,
      this.prPipelinesFunction,
      this.reconcilerFunction,
      this.slackFunction,
      this.slackActionsFunction,
      this.slackThreadsTable,
      `${this.project}-push-router`,
      `${this.project}-notifier`,
      `${this.project}-pr-state`,
      `${this.project}-push-state`,
      `${this.project}-operations`,
      `${this.project}-approvals`,
      `${this.project}-approvers`,
      `${this.project}-notifications`,
      `${this.project}-github`,
      this.artifactBucket,
      this.prArtifactBucket,
    ];
  }
}
