import type { Construct } from "constructs";
import { CodestarconnectionsConnection } from "@cdktf/provider-aws/lib/codestarconnections-connection";
import { TerraformOutput } from "cdktf";
import { AccountStack, type AccountStackProps } from "./account-stack";
import { TARGET_ACCOUNTS } from "./target-stack";
import { ArtifactStore, type TargetAccountAccess, type TrustZone } from "./constructs/artifact-store";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project";
import { type PolicyStatement, policyDocument } from "./iam";
import { Approvals } from "./constructs/approvals";
import { DeliveryPipeline, type ServiceBuild } from "./constructs/delivery-pipeline";
import { ImageRepositories } from "./constructs/image-repositories";
import { isContainerService } from "./config";
import { GitHubCredentials } from "./constructs/github-credentials";
import { Notifications, type NotificationsSlack } from "./constructs/notifications";
import { Reconciler } from "./constructs/reconciler";
import { OperationsAlerts } from "./constructs/operations-alerts";
import { PipelineRoles } from "./constructs/pipeline-roles";
import { PrPipelines } from "./constructs/pr-pipelines";
import { PushRouter } from "./constructs/push-router";
import { SlackControl } from "./constructs/slack-control";
import { WebhookIntake } from "./constructs/webhook-intake";
import type { PrIdentities } from "../functions/pr-pipelines/identities";
import type { RepositoryCatalogData } from "../functions/shared/repositories";
import {
  type GitHubConnection,
  type PlatformRepository,
  type PlatformService,
  platformRepositories,
  platformServices,
  repositoryCatalog,
} from "./repositories";

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
  /** Main's pipeline and CodeBuild roles. */
  readonly roles: PipelineRoles;
  /** The pull requests' pipeline and CodeBuild roles. */
  readonly prRoles: PipelineRoles;
  /** Main's artifact store; its key is also the platform key (secrets, topics, queues, tables). */
  readonly artifactStore: ArtifactStore;
  /** The pull requests' artifact store, with its own key. */
  readonly prArtifactStore: ArtifactStore;
  readonly alerts: OperationsAlerts;
  readonly webhook: WebhookIntake;
  readonly prPipelines: PrPipelines;
  readonly pushRouter: PushRouter;
  readonly approvals: Approvals;
  readonly github: GitHubCredentials;
  readonly notifications: Notifications;
  /** The Slack app (`notifications.slack` in bot mode). */
  readonly slack?: SlackControl;
  readonly reconciler: Reconciler;
  /** The delivery pipeline of each service, by service name. */
  readonly pipelines: ReadonlyMap<string, DeliveryPipeline>;
  /** Main's ECR repositories, one per container service; only with container services. */
  readonly imageRepositories?: ImageRepositories;
  /** The pull requests' ECR repositories, one per container service; only with container services. */
  readonly prImageRepositories?: ImageRepositories;

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
    const dev = arns.inAccount(config.accounts.dev.accountId);
    const preview: TargetAccountAccess = {
      name: "preview",
      deployRoleArn: dev.role(names.previewDeployRole),
      cloudFormationExecutionRoleArn: dev.role(names.previewCloudFormationExecutionRole),
    };
    const services = platformServices(config);
    const repositories = platformRepositories(config);
    /** The repositories and their services, as the functions read them (bundled beside their code). */
    const catalog: RepositoryCatalogData = repositoryCatalog(config, names);
    const mainProjects = services.flatMap((service) => {
      const projects = names.codeBuildProjects(service);
      return service.integrationTestsBuildspec ? [projects.build, projects.integrationTests] : [projects.build];
    });

    this.roles = new PipelineRoles(this, "pipeline-roles", {
      arns,
      zone: "main",
      pipelineRoleName: names.pipelineRole,
      codeBuildRoleName: names.codeBuildRole,
      codeBuildProjects: mainProjects,
      deployRoleArns: targets.map((t) => t.deployRoleArn),
    });
    this.prRoles = new PipelineRoles(this, "pr-pipeline-roles", {
      arns,
      zone: "pr",
      pipelineRoleName: names.prPipelineRole,
      codeBuildRoleName: names.prCodeBuildRole,
      codeBuildProjects: mainProjects.map((project) => names.prCodeBuildProject(project)),
      deployRoleArns: [preview.deployRoleArn],
    });

    const storeCommon = {
      arns,
      keyAdministratorArn: config.accounts.build.provisioningRoleArn,
      retentionDays: config.artifactRetentionDays,
    };
    this.artifactStore = new ArtifactStore(this, "artifact-store", {
      ...storeCommon,
      zone: "main",
      bucketName: names.artifactBucket,
      keyAlias: names.artifactKeyAlias,
      readWriteRoles: [this.roles.pipelineRole, this.roles.codeBuildRole],
      targetAccounts: props.bootstrap ? [] : targets,
    });
    this.prArtifactStore = new ArtifactStore(this, "pr-artifact-store", {
      ...storeCommon,
      zone: "pr",
      bucketName: names.prArtifactBucket,
      keyAlias: names.prArtifactKeyAlias,
      readWriteRoles: [this.prRoles.pipelineRole, this.prRoles.codeBuildRole],
      targetAccounts: props.bootstrap ? [] : [preview],
    });

    const store = this.artifactStore;
    const slackSettings = config.notifications.slack;
    this.alerts = new OperationsAlerts(this, "alerts", {
      topicName: `${names.project}-operations`,
      store,
      alarmNamePrefix: `${names.project}-`,
      emails: config.notifications.emails,
    });
    this.webhook = new WebhookIntake(this, "webhook", {
      namePrefix: names.project,
      repositories: catalog,
      otherGitHubEventPublisherArns: [arns.role(names.reconcilerFunction)],
      slackEventPublisherArns: slackSettings.mode === "bot" ? [arns.role(names.slackFunction)] : [],
      store,
      logRetentionDays: config.logRetentionDays,
    });
    const connections = this.connectionArns(repositories);
    this.approvals = new Approvals(this, "approvals", {
      namePrefix: names.project,
      store,
      emails: config.notifications.emails,
      principalArns: config.approvers.principalArns,
      groupName: config.approvers.groupName,
    });
    const target = (name: "dev" | "prod") => {
      const t = targets[TARGET_ACCOUNTS.indexOf(name)] as TargetAccountAccess;
      return {
        accountId: config.accounts[name].accountId,
        deployRoleArn: t.deployRoleArn,
        cloudFormationExecutionRoleArn: t.cloudFormationExecutionRoleArn,
      };
    };
    const containerServices = services.filter(isContainerService);
    if (containerServices.length > 0) {
      this.imageRepositories = this.createImageRepositories("main", containerServices, props.bootstrap ?? false);
      this.prImageRepositories = this.createImageRepositories("pr", containerServices, props.bootstrap ?? false);
    }
    const buildOf = (service: PlatformService): ServiceBuild => {
      if (!isContainerService(service)) return { kind: "lambda", buildspec: service.buildspec, privileged: service.privilegedBuild };
      return {
        kind: "container",
        repositoryUri: (this.imageRepositories as ImageRepositories).uriOf(service.name),
        prRepositoryUri: (this.prImageRepositories as ImageRepositories).uriOf(service.name),
        dockerfile: service.dockerfile,
        context: service.context,
        testCommand: service.testCommand,
        template: service.template,
      };
    };
    this.pipelines = new Map(
      services.map((service) => [
        service.name,
        new DeliveryPipeline(this, `pipeline-${service.name}`, {
          arns,
          pipelineName: names.pipeline(service),
          stackPrefix: names.applicationStackPrefix(service),
          store,
          pipelineRole: this.roles.pipelineRole,
          codeBuildRole: this.roles.codeBuildRole,
          pullRequests: { codeBuildRole: this.prRoles.codeBuildRole, store: this.prArtifactStore },
          connectionArn: connections.of(service.repository),
          repository: service.repository.repository,
          branch: service.repository.mainBranch,
          build: buildOf(service),
          integrationTestsBuildspec: service.integrationTestsBuildspec,
          dev: target("dev"),
          prod: target("prod"),
          approvalTopic: this.approvals.topic,
          region: arns.region,
          logRetentionDays: config.logRetentionDays,
          project: names.project,
        }),
      ]),
    );
    const pipelines = [...this.pipelines.values()];
    this.approvals.allowApproving(pipelines);
    this.grantPipelinesTheirActions(pipelines, connections.grants);

    this.github = new GitHubCredentials(this, "github", { namePrefix: names.project, store });
    const common = {
      namePrefix: names.project,
      bus: this.webhook.bus,
      store,
      alarmTopic: this.alerts.topic,
      logRetentionDays: config.logRetentionDays,
    };
    this.prPipelines = new PrPipelines(this, "pr-pipelines", {
      ...common,
      prArtifactStore: this.prArtifactStore,
      prPipelineRole: this.prRoles.pipelineRole,
      identities: this.prIdentities(),
      repositories: catalog,
      connectionArns: connections.grants.map((grant) => grant.arn),
      prodAccountId: config.accounts.prod.accountId,
      maxPullRequestPipelines: config.limits.maxPullRequestPipelines,
      githubToken: this.github.tokenSecret,
      functionName: names.prPipelinesFunction,
      previewCleanupRoleArn: arns.inAccount(config.accounts.dev.accountId).role(names.previewCleanupRole),
    });
    this.pushRouter = new PushRouter(this, "push-router", {
      ...common,
      repositories: catalog,
      githubToken: this.github.tokenSecret,
    });

    let notifierSlack: NotificationsSlack = slackSettings.mode === "webhook" ? slackSettings : { mode: "off" };
    if (slackSettings.mode === "bot") {
      this.slack = new SlackControl(this, "slack", {
        api: this.webhook.api,
        bus: this.webhook.bus,
        functionName: names.slackFunction,
        actionsFunctionName: names.slackActionsFunction,
        signingSecretName: names.slackSigningSecret,
        botTokenSecretName: names.slackBotTokenSecret,
        apiUrl: slackSettings.apiUrl,
        repositories: catalog,
        pipelines,
        store,
        alarmTopic: this.alerts.topic,
        logRetentionDays: config.logRetentionDays,
      });
      // One owner of the bot token: the app's construct; the notifier posts with it too.
      notifierSlack = { ...slackSettings, botToken: this.slack.botTokenSecret, threadsTableName: names.slackThreadsTable };
    }
    this.notifications = new Notifications(this, "notifications", {
      namePrefix: names.project,
      store,
      repositories: catalog,
      emails: config.notifications.emails,
      slack: notifierSlack,
      notifyStates: config.notifications.states,
      githubToken: this.github.tokenSecret,
      alarmTopic: this.alerts.topic,
      logRetentionDays: config.logRetentionDays,
    });
    this.reconciler = new Reconciler(this, "reconciler", {
      functionName: names.reconcilerFunction,
      bus: this.webhook.bus,
      store,
      prArtifactStore: this.prArtifactStore,
      repositories: catalog,
      prStateTable: this.prPipelines.table,
      maxPullRequestPipelines: config.limits.maxPullRequestPipelines,
      previewCleanupRoleArn: arns.inAccount(config.accounts.dev.accountId).role(names.previewCleanupRole),
      githubToken: this.github.tokenSecret,
      schedule: config.reconciler.schedule,
      idleDays: config.reconciler.idleDays,
      createMissing: config.reconciler.createMissing,
      dryRun: config.reconciler.dryRun,
      alarmTopic: this.alerts.topic,
      logRetentionDays: config.logRetentionDays,
    });

    new TerraformOutput(this, "pipelines", { value: pipelines.map((p) => p.pipeline.name) });
    new TerraformOutput(this, "webhook_url", { value: this.webhook.webhookUrl });
    new TerraformOutput(this, "webhook_secret_arn", { value: this.webhook.secret.arn });
    new TerraformOutput(this, "artifact_bucket", { value: this.artifactStore.bucket.bucket });
    new TerraformOutput(this, "pr_artifact_bucket", { value: this.prArtifactStore.bucket.bucket });
    new TerraformOutput(this, "artifact_key_arn", { value: this.artifactStore.key.arn });
    new TerraformOutput(this, "pipeline_role_arn", { value: this.roles.pipelineRole.arn });
    const uris = (repositories?: ImageRepositories) =>
      Object.fromEntries([...(repositories?.repositories ?? [])].map(([service, repository]) => [service, repository.repositoryUrl]));
    new TerraformOutput(this, "image_repositories", { value: uris(this.imageRepositories) });
    new TerraformOutput(this, "pr_image_repositories", { value: uris(this.prImageRepositories) });
    if (this.slack) {
      new TerraformOutput(this, "slack_commands_url", { value: this.slack.commandsUrl });
      new TerraformOutput(this, "slack_interactions_url", { value: this.slack.interactionsUrl });
      new TerraformOutput(this, "slack_signing_secret_arn", { value: this.slack.signingSecret.arn });
      new TerraformOutput(this, "slack_bot_token_secret_arn", { value: this.slack.botTokenSecret.arn });
    }
  }

  /**
   * One zone's ECR repositories of the container services. Main's keep a
   * count of images, not an age: prod may run an old image for months, and a
   * rollback needs the ones before it. The pull requests' expire by age: all
   * pull requests of a service share the repository, so a count would let a
   * busy one expire the image of another's preview; an image lives as long as
   * the PR artifacts (pr.json) that name it. Pullers: dev's and prod's image
   * pull roles for main's; dev's preview pull role for the pull requests' of
   * services with previews. None on the bootstrap apply, before they exist.
   */
  private createImageRepositories(zone: TrustZone, services: readonly ContainerPlatformService[], bootstrap: boolean): ImageRepositories {
    const { names, config, arns } = this;
    const main = zone === "main";
    const pullers = (service: ContainerPlatformService): string[] => {
      if (bootstrap) return [];
      if (main) return TARGET_ACCOUNTS.map((name) => arns.inAccount(config.accounts[name].accountId).role(names.imagePullRole));
      return service.preview ? [arns.inAccount(config.accounts.dev.accountId).role(names.previewImagePullRole)] : [];
    };
    return new ImageRepositories(this, main ? "image-repositories" : "pr-image-repositories", {
      zone,
      store: main ? this.artifactStore : this.prArtifactStore,
      keyAdministratorArn: config.accounts.build.provisioningRoleArn,
      pusher: (main ? this.roles : this.prRoles).codeBuildRole,
      repositories: services.map((service) => ({
        service: service.name,
        name: main ? names.imageRepository(service) : names.prImageRepository(service),
        expiry: main ? { keepImages: service.keepImages } : { maxAgeDays: config.artifactRetentionDays },
        pullerArns: pullers(service),
      })),
    });
  }

  /** What a pull request pipeline acts as instead of what its main pipeline acts as (functions/pr-pipelines/identities.ts). */
  private prIdentities(): PrIdentities {
    const { names, config, arns } = this;
    const dev = arns.inAccount(config.accounts.dev.accountId);
    const storeOf = (store: ArtifactStore) => ({ bucket: store.bucket.bucket, keyArn: store.key.arn });
    return {
      pipelineRole: { main: this.roles.pipelineRole.arn, pr: this.prRoles.pipelineRole.arn },
      artifactStore: { main: storeOf(this.artifactStore), pr: storeOf(this.prArtifactStore) },
      project: names.project,
      deployRoles: { [dev.role(names.deployRole)]: dev.role(names.previewDeployRole) },
      cloudFormationRoles: { [dev.role(names.cloudFormationExecutionRole)]: dev.role(names.previewCloudFormationExecutionRole) },
    };
  }

  /**
   * What each zone's pipeline and CodeBuild roles need to run the pipelines'
   * actions: main's roles main's projects, the pull requests' roles theirs.
   * Each connection is used read-only, for its configured repositories only.
   */
  private grantPipelinesTheirActions(pipelines: readonly DeliveryPipeline[], connections: readonly ConnectionGrant[]): void {
    // One statement per service prefix: keys of the other prefix are absent from a request, which fails a condition on them.
    const useConnection = connections.flatMap((connection, index) =>
      (["codeconnections", "codestar-connections"] as const).map(
        (service): PolicyStatement => ({
          Sid: `UseGitHubConnection${service === "codeconnections" ? "" : "Legacy"}${index === 0 ? "" : index}`,
          Effect: "Allow",
          Action: `${service}:UseConnection`,
          Resource: connection.arn,
          Condition: {
            StringEqualsIgnoreCase: {
              [`${service}:FullRepositoryId`]:
                connection.repositories.length === 1 ? (connection.repositories[0] as string) : connection.repositories,
            },
            StringEquals: { [`${service}:ProviderPermissionsRequired`]: "read_only" },
          },
        }),
      ),
    );
    const runBuilds = (projects: readonly CodebuildProject[]): PolicyStatement => ({
      Sid: "RunBuilds",
      Effect: "Allow",
      Action: ["codebuild:BatchGetBuilds", "codebuild:StartBuild"],
      Resource: projects.map((p) => p.arn),
    });
    const mainProjects = pipelines.flatMap((p) => [p.buildProject, ...(p.integrationTestsProject ? [p.integrationTestsProject] : [])]);
    const prProjects = pipelines.flatMap((p) => [p.prBuildProject, ...(p.prIntegrationTestsProject ? [p.prIntegrationTestsProject] : [])]);
    new IamRolePolicy(this, "pipeline-actions", {
      role: this.roles.pipelineRole.name,
      name: "pipeline-actions",
      policy: policyDocument([
        ...useConnection,
        runBuilds(mainProjects),
        { Sid: "AnnounceApprovals", Effect: "Allow", Action: "sns:Publish", Resource: this.approvals.topic.arn },
      ]),
    });
    new IamRolePolicy(this, "pr-pipeline-actions", {
      role: this.prRoles.pipelineRole.name,
      name: "pipeline-actions",
      policy: policyDocument([...useConnection, runBuilds(prProjects)]),
    });
    // Full clones (CODEBUILD_CLONE_REF) are fetched by CodeBuild through the connection.
    for (const [id, role] of [
      ["codebuild-clone", this.roles.codeBuildRole],
      ["pr-codebuild-clone", this.prRoles.codeBuildRole],
    ] as const) {
      new IamRolePolicy(this, id, { role: role.name, name: "clone-repository", policy: policyDocument(useConnection) });
    }
  }

  /**
   * The connection of each repository: an ARN as configured, or one created
   * here per distinct name (approve it once in the console).
   */
  private connectionArns(repositories: readonly PlatformRepository[]): { of(repository: PlatformRepository): string; grants: ConnectionGrant[] } {
    const created = new Map<string, string>();
    const arnOf = (connection: GitHubConnection): string => {
      if ("arn" in connection) return connection.arn;
      const { name } = connection.create;
      let arn = created.get(name);
      if (arn === undefined) {
        const id = created.size === 0 ? "github-connection" : `github-connection-${name}`;
        arn = new CodestarconnectionsConnection(this, id, { name, providerType: "GitHub" }).arn;
        created.set(name, arn);
      }
      return arn;
    };
    const byArn = new Map<string, string[]>();
    const arns = new Map<string, string>();
    for (const repository of repositories) {
      const arn = arnOf(repository.connection);
      arns.set(repository.repository, arn);
      byArn.set(arn, [...(byArn.get(arn) ?? []), repository.repository]);
    }
    return {
      of: (repository) => arns.get(repository.repository) as string,
      grants: [...byArn].map(([arn, names]) => ({ arn, repositories: names })),
    };
  }
}

/** A container service of the configuration. */
type ContainerPlatformService = Extract<PlatformService, { kind: "container" }>;

/** A connection and the repositories pipelines may read through it. */
interface ConnectionGrant {
  readonly arn: string;
  readonly repositories: readonly string[];
}
