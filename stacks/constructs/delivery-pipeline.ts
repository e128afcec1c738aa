import { Construct } from "constructs";
import { Fn } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project";
import { Codepipeline, type CodepipelineStage, type CodepipelineStageAction } from "@cdktf/provider-aws/lib/codepipeline";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import type { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { mainCodeBuildProjects, prCodeBuildProjectName } from "../../functions/pr-pipelines/names";
import { containerBuildEnvironment, containerBuildspec } from "../container-buildspec";
import type { Arns } from "../iam";
import { terraformLiteral } from "../terraform";
import type { ArtifactStore, TrustZone } from "./artifact-store";

/** Stage and action names: part of the contract (approval ARNs, PR clones, the push router). */
export const STAGES = {
  source: "Source",
  build: "Build",
  dev: "Dev",
  integrationTests: "IntegrationTests",
  prod: "Prod",
} as const;
export const SOURCE_ACTION = "Source";
export const APPROVAL_ACTION = "Approve";
/** The build action of each kind of service, in stage Build. */
export const BUILD_ACTIONS = { lambda: "BuildAndPackage", container: "BuildImage" } as const;

/** How a service is built: by its own buildspec (Lambda), or by pipewright's image build (container). */
export type ServiceBuild = BuildspecBuild | ImageBuild;

/** A build that runs the service's buildspec and packages its template. */
export interface BuildspecBuild {
  readonly kind: "lambda";
  /** Buildspec of the build (repository path). */
  readonly buildspec: string;
  /** Privileged builds (Docker). @default false */
  readonly privileged?: boolean;
}

/**
 * A container image build (stacks/container-buildspec.ts): privileged, with
 * pipewright's inline buildspec. Main's project pushes to main's repository,
 * the pull requests' project to theirs.
 */
export interface ImageBuild {
  readonly kind: "container";
  /** URI of main's ECR repository of the service. */
  readonly repositoryUri: string;
  /** URI of the pull requests' ECR repository of the service. */
  readonly prRepositoryUri: string;
  /** The Dockerfile (repository path). */
  readonly dockerfile: string;
  /** The build context folder (repository path). */
  readonly context: string;
  /** Runs inside the built image through `/bin/sh -c`; the image is pushed only if it succeeds. */
  readonly testCommand: string;
  /** The CloudFormation template deployed with the image (repository path). */
  readonly template: string;
}

/** One target account as the pipeline deploys into it. */
export interface DeploymentTarget {
  /** 12-digit account id (for the approval message). */
  readonly accountId: string;
  /** The role the pipeline assumes there. */
  readonly deployRoleArn: string;
  /** The role CloudFormation acts as there. */
  readonly cloudFormationExecutionRoleArn: string;
}

export interface DeliveryPipelineProps {
  /** ARNs of the build account. */
  readonly arns: Arns;
  /** Pipeline name, `<project>-<service>`; also prefixes its projects and stacks. */
  readonly pipelineName: string;
  /** The service's application stacks are `<stackPrefix>-dev` and `<stackPrefix>-prod`. */
  readonly stackPrefix: string;
  /** Artifact store: bucket and the key that encrypts artifacts and builds. */
  readonly store: ArtifactStore;
  /** The role the pipeline runs as. */
  readonly pipelineRole: IamRole;
  /** The role the CodeBuild projects run as. */
  readonly codeBuildRole: IamRole;
  /**
   * The pull requests' side: their CodeBuild projects (same buildspecs, named
   * `<project>-pr-...`) run as this role with this store. PR pipelines, cloned
   * from this one by the PR function, use them instead of main's.
   */
  readonly pullRequests: { readonly codeBuildRole: IamRole; readonly store: ArtifactStore };
  /** CodeConnections connection to GitHub. */
  readonly connectionArn: string;
  /** owner/name of the repository. */
  readonly repository: string;
  /** The branch the pipeline builds. */
  readonly branch: string;
  /** How the service is built. */
  readonly build: ServiceBuild;
  /** Buildspec of the integration tests; without it the stage is left out. @default none */
  readonly integrationTestsBuildspec?: string;
  readonly dev: DeploymentTarget;
  readonly prod: DeploymentTarget;
  /** Topic that announces approvals waiting. */
  readonly approvalTopic: SnsTopic;
  /** Region of the target accounts (for console links). */
  readonly region: string;
  /** Retention of the build logs. */
  readonly logRetentionDays: number;
  /** The project name: the build passes it to the template (hook function names); prefixes the PR projects' names. */
  readonly project: string;
}

/** One CodeBuild project of a trust zone. */
interface ProjectSpec {
  readonly id: string;
  readonly name: string;
  /** A repository path, or the buildspec itself. */
  readonly buildspec: string;
  readonly role: IamRole;
  readonly store: ArtifactStore;
  readonly environment: readonly { readonly name: string; readonly value: string }[];
  readonly privileged: boolean;
}

/** One trust zone's side of the pipeline's projects: who runs them, where their artifacts go. */
interface Zone {
  readonly zone: TrustZone;
  readonly role: IamRole;
  readonly store: ArtifactStore;
}

/**
 * A service's delivery pipeline (CodePipeline V2, QUEUED): source from
 * GitHub, build and package (or build, test and push the container image),
 * deploy to dev through change sets, integration tests against dev, prod
 * change set, manual approval, prod execute.
 */
export class DeliveryPipeline extends Construct {
  readonly pipeline: Codepipeline;
  readonly buildProject: CodebuildProject;
  readonly integrationTestsProject?: CodebuildProject;
  /** The pull requests' twins of the build and integration-tests projects. */
  readonly prBuildProject: CodebuildProject;
  readonly prIntegrationTestsProject?: CodebuildProject;

  constructor(scope: Construct, id: string, props: DeliveryPipelineProps) {
    super(scope, id);
    if (!/^[A-Za-z0-9.@_-]{1,100}$/.test(props.pipelineName)) {
      throw new Error(`DeliveryPipeline: pipelineName "${props.pipelineName}" must be 1-100 characters of [A-Za-z0-9.@_-]`);
    }
    const { store } = props;
    const names = mainCodeBuildProjects(props.pipelineName);
    const main: Zone = { zone: "main", role: props.codeBuildRole, store };
    const pr: Zone = { zone: "pr", role: props.pullRequests.codeBuildRole, store: props.pullRequests.store };
    this.buildProject = this.codeBuildProject(props, { ...this.buildProjectSpec(props, main), id: "build", name: names.build });
    this.prBuildProject = this.codeBuildProject(props, {
      ...this.buildProjectSpec(props, pr),
      id: "pr-build",
      name: prCodeBuildProjectName(props.project, names.build),
    });
    if (props.integrationTestsBuildspec) {
      const tests = { name: names.integrationTests, buildspec: props.integrationTestsBuildspec, environment: [], privileged: false };
      this.integrationTestsProject = this.codeBuildProject(props, { ...tests, role: main.role, store: main.store, id: "integration-tests" });
      this.prIntegrationTestsProject = this.codeBuildProject(props, {
        ...tests,
        role: pr.role,
        store: pr.store,
        id: "pr-integration-tests",
        name: prCodeBuildProjectName(props.project, names.integrationTests),
      });
    }

    const stages: CodepipelineStage[] = [
      this.sourceStage(props),
      {
        name: STAGES.build,
        action: [
          {
            name: BUILD_ACTIONS[props.build.kind],
            category: "Build",
            owner: "AWS",
            provider: "CodeBuild",
            version: "1",
            namespace: "BuildVariables",
            inputArtifacts: ["SourceOutput"],
            outputArtifacts: ["BuildOutput"],
            configuration: { ProjectName: this.buildProject.name },
          },
        ],
      },
      {
        name: STAGES.dev,
        action: changeSetActions(`${props.stackPrefix}-dev`, "dev", props.dev, "DevStack"),
      },
    ];
    if (this.integrationTestsProject) {
      stages.push({
        name: STAGES.integrationTests,
        action: [
          {
            name: "IntegrationTests",
            category: "Test",
            owner: "AWS",
            provider: "CodeBuild",
            version: "1",
            inputArtifacts: ["SourceOutput"],
            configuration: {
              ProjectName: this.integrationTestsProject.name,
              // The dev stack's outputs, exported as variables by its execute action.
              EnvironmentVariables: JSON.stringify([{ name: "API_URL", value: "#{DevStack.ApiUrl}", type: "PLAINTEXT" }]),
            },
          },
        ],
      });
    }
    stages.push(this.prodStage(props));

    this.pipeline = new Codepipeline(this, "pipeline", {
      name: props.pipelineName,
      pipelineType: "V2",
      executionMode: "QUEUED",
      roleArn: props.pipelineRole.arn,
      artifactStore: [{ location: store.bucket.bucket, type: "S3", encryptionKey: { id: store.key.arn, type: "KMS" } }],
      stage: stages,
    });
  }

  /** ARN of the manual approval action, as IAM and the CodePipeline console see it. */
  get approvalActionArn(): string {
    return `${this.pipeline.arn}/${STAGES.prod}/${APPROVAL_ACTION}`;
  }

  private sourceStage(props: DeliveryPipelineProps): CodepipelineStage {
    return {
      name: STAGES.source,
      action: [
        {
          name: SOURCE_ACTION,
          category: "Source",
          owner: "AWS",
          provider: "CodeStarSourceConnection",
          version: "1",
          namespace: "SourceVariables",
          outputArtifacts: ["SourceOutput"],
          configuration: {
            ConnectionArn: props.connectionArn,
            FullRepositoryId: props.repository,
            BranchName: props.branch,
            // Runs are started by the push router, pinned to a commit.
            DetectChanges: "false",
            // A full clone: builds may need git history (versions, changelogs).
            OutputArtifactFormat: "CODEBUILD_CLONE_REF",
          },
        },
      ],
    };
  }

  private prodStage(props: DeliveryPipelineProps): CodepipelineStage {
    const stackName = `${props.stackPrefix}-prod`;
    const [create, execute] = changeSetActions(stackName, "prod", props.prod, "ProdStack");
    const consoleHost = Fn.lookup(
      { aws: "console.aws.amazon.com", "aws-cn": "console.amazonaws.cn", "aws-us-gov": "console.amazonaws-us-gov.com" },
      props.arns.partition,
      "console.aws.amazon.com",
    );
    const changeSetLink = `https://${props.region}.${consoleHost}/cloudformation/home?region=${props.region}#/stacks?filteringText=${stackName}&filteringStatus=active&viewNested=true`;
    return {
      name: STAGES.prod,
      action: [
        { ...create, runOrder: 1 },
        {
          name: APPROVAL_ACTION,
          category: "Approval",
          owner: "AWS",
          provider: "Manual",
          version: "1",
          runOrder: 2,
          configuration: {
            NotificationArn: props.approvalTopic.arn,
            CustomData:
              `Review the change set ${stackName}-changeset of stack ${stackName} in account ${props.prod.accountId} (${props.region}) ` +
              "before approving: check replaced resources, IAM changes and the dev integration tests of this execution.",
            ExternalEntityLink: changeSetLink,
          },
        },
        { ...execute, runOrder: 3 },
      ],
    };
  }

  /** The build project of one zone: the service's buildspec, packaging into the zone's store, or the image build pushing to the zone's repository. */
  private buildProjectSpec(props: DeliveryPipelineProps, zone: Zone): Omit<ProjectSpec, "id" | "name"> {
    const { build } = props;
    const { role, store } = zone;
    if (build.kind === "lambda") {
      return {
        role,
        store,
        buildspec: build.buildspec,
        environment: [
          { name: "ARTIFACT_BUCKET", value: store.bucket.bucket },
          { name: "ARTIFACT_KEY_ARN", value: store.key.arn },
          { name: "PROJECT_NAME", value: props.project },
          { name: "LOG_RETENTION_DAYS", value: String(props.logRetentionDays) },
        ],
        privileged: build.privileged ?? false,
      };
    }
    return {
      role,
      store,
      buildspec: terraformLiteral(JSON.stringify(containerBuildspec(), null, 2)),
      environment: containerBuildEnvironment({
        imageRepositoryUri: zone.zone === "main" ? build.repositoryUri : build.prRepositoryUri,
        dockerfile: build.dockerfile,
        context: build.context,
        testCommand: build.testCommand,
        template: build.template,
        project: props.project,
        logRetentionDays: props.logRetentionDays,
      }),
      // Docker builds need it.
      privileged: true,
    };
  }

  private codeBuildProject(props: DeliveryPipelineProps, spec: ProjectSpec): CodebuildProject {
    const { id, name, store } = spec;
    const logs = new CloudwatchLogGroup(this, `${id}-logs`, {
      name: `/aws/codebuild/${name}`,
      retentionInDays: props.logRetentionDays,
    });
    return new CodebuildProject(this, id, {
      name,
      serviceRole: spec.role.arn,
      encryptionKey: store.key.arn,
      buildTimeout: 30,
      queuedTimeout: 60,
      source: { type: "CODEPIPELINE", buildspec: spec.buildspec },
      artifacts: { type: "CODEPIPELINE" },
      environment: {
        type: "ARM_CONTAINER",
        computeType: "BUILD_GENERAL1_SMALL",
        image: "aws/codebuild/amazonlinux-aarch64-standard:3.0",
        privilegedMode: spec.privileged,
        environmentVariable: spec.environment.map((v) => ({ ...v, type: "PLAINTEXT" })),
      },
      logsConfig: { cloudwatchLogs: { groupName: logs.name, status: "ENABLED" } },
    });
  }
}

/** CHANGE_SET_REPLACE then CHANGE_SET_EXECUTE of one stack, acting through the target's deploy role. */
function changeSetActions(
  stackName: string,
  environment: string,
  target: DeploymentTarget,
  namespace: string,
): [CodepipelineStageAction, CodepipelineStageAction] {
  const common = {
    category: "Deploy",
    owner: "AWS",
    provider: "CloudFormation",
    version: "1",
    roleArn: target.deployRoleArn,
  };
  const changeSetName = `${stackName}-changeset`;
  return [
    {
      ...common,
      name: "CreateChangeSet",
      runOrder: 1,
      inputArtifacts: ["BuildOutput"],
      configuration: {
        ActionMode: "CHANGE_SET_REPLACE",
        StackName: stackName,
        ChangeSetName: changeSetName,
        TemplatePath: "BuildOutput::packaged.yaml",
        TemplateConfiguration: `BuildOutput::${environment}.json`,
        Capabilities: "CAPABILITY_IAM,CAPABILITY_AUTO_EXPAND",
        RoleArn: target.cloudFormationExecutionRoleArn,
      },
    },
    {
      ...common,
      name: "ExecuteChangeSet",
      runOrder: 2,
      namespace,
      configuration: { ActionMode: "CHANGE_SET_EXECUTE", StackName: stackName, ChangeSetName: changeSetName },
    },
  ];
}
