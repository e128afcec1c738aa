import { Construct } from "constructs";
import { Fn } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project";
import { Codepipeline, type CodepipelineStage, type CodepipelineStageAction } from "@cdktf/provider-aws/lib/codepipeline";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import type { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { mainCodeBuildProjects, prCodeBuildProjectName } from "../../functions/pr-pipelines/names";
import type { Arns } from "../iam";
import type { ArtifactStore } from "./artifact-store";

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
  /** Buildspec of the build (repository path). */
  readonly buildspec: string;
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
  /** Privileged builds (Docker). @default false */
  readonly privilegedBuild?: boolean;
  /** The project name: the build passes it to the template (hook function names); prefixes the PR projects' names. */
  readonly project: string;
}

/** One CodeBuild project of a trust zone. */
interface ProjectSpec {
  readonly id: string;
  readonly name: string;
  readonly buildspec: string;
  readonly role: IamRole;
  readonly store: ArtifactStore;
  /** Whether the build packages code into the store (it gets the store's bucket and key). */
  readonly packages: boolean;
}

/**
 * A service's delivery pipeline (CodePipeline V2, QUEUED): source from
 * GitHub, build and package, deploy to dev through change sets, integration
 * tests against dev, prod change set, manual approval, prod execute.
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
    const main = { role: props.codeBuildRole, store };
    const pr = { role: props.pullRequests.codeBuildRole, store: props.pullRequests.store };
    const build = { name: names.build, buildspec: props.buildspec, packages: true };
    this.buildProject = this.codeBuildProject(props, { ...build, ...main, id: "build" });
    this.prBuildProject = this.codeBuildProject(props, { ...build, ...pr, id: "pr-build", name: prCodeBuildProjectName(props.project, names.build) });
    if (props.integrationTestsBuildspec) {
      const tests = { name: names.integrationTests, buildspec: props.integrationTestsBuildspec, packages: false };
      this.integrationTestsProject = this.codeBuildProject(props, { ...tests, ...main, id: "integration-tests" });
      this.prIntegrationTestsProject = this.codeBuildProject(props, {
        ...tests,
        ...pr,
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
            name: "BuildAndPackage",
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

  private codeBuildProject(props: DeliveryPipelineProps, spec: ProjectSpec): CodebuildProject {
    const { id, name, store } = spec;
    const logs = new CloudwatchLogGroup(this, `${id}-logs`, {
      name: `/aws/codebuild/${name}`,
      retentionInDays: props.logRetentionDays,
    });
    const environment = spec.packages
      ? [
          { name: "ARTIFACT_BUCKET", value: store.bucket.bucket },
          { name: "ARTIFACT_KEY_ARN", value: store.key.arn },
          { name: "PROJECT_NAME", value: props.project },
          { name: "LOG_RETENTION_DAYS", value: String(props.logRetentionDays) },
        ]
      : [];
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
        privilegedMode: props.privilegedBuild ?? false,
        environmentVariable: environment.map((v) => ({ ...v, type: "PLAINTEXT" })),
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
