import type { ActionDeclaration, ArtifactStore, PipelineDeclaration, StageDeclaration, Tag } from "@aws-sdk/client-codepipeline";
import type { PullRequestEvent } from "../shared/events";
import { PipelineCloneError } from "./errors";
import type { PrIdentities } from "./identities";
import { prCodeBuildProjectName, prPipelineName, previewStackName } from "./names";

/**
 * Turns a service's main pipeline into the pipeline of one pull request.
 *
 * The clone copies the whole declaration (every field of every stage and
 * action, variables, artifact stores, and fields this code does not know
 * about yet) and changes only what makes it a pull request pipeline:
 *
 * - name `prPipelineName(base, number)`; `pipelineType` V2 and
 *   `executionMode` SUPERSEDED, also for a V1 base (a clone that omits them
 *   silently becomes V1);
 * - `triggers` and `version` dropped: the function starts every execution
 *   itself, pinned to the pull request's head commit;
 * - the repository's CodeStarSourceConnection source action builds the head
 *   branch (`BranchName` = the full `headRef`, e.g. `feature/login`) with
 *   `DetectChanges` off, so pushes do not start unpinned executions;
 * - every stage that could touch prod is removed (see `prodReason`), and with
 *   it every later stage that needs an artifact or a variable namespace only
 *   a removed stage produced;
 * - CloudFormation actions deploy a preview stack (`previewStackName`), or,
 *   for a service without previews (`deployPreview` false), their stages are
 *   removed the same way: the pull request is built and tested only;
 * - tags `PR_TAG_KEYS` name the repository, pull request, head commit, main
 *   pipeline and whether it deploys a preview;
 * - every identity is the pull requests' (`PrIdentities`): the pipeline runs
 *   as the PR pipeline role with the PR artifact store, builds run in the PR
 *   CodeBuild projects, deployments go through the preview roles. Anything of
 *   main's that has no PR counterpart fails the clone: it never falls back to
 *   main's identity.
 */

export const PR_TAG_KEYS = {
  repository: "pipewright:repository",
  pullRequest: "pipewright:pull-request",
  headSha: "pipewright:head-sha",
  basePipeline: "pipewright:base-pipeline",
  /** "true" or "false": whether the pipeline deploys a preview (the notifier's commit status says when it does not). */
  preview: "pipewright:preview",
} as const;

export type PullRequestRef = Pick<PullRequestEvent, "repository" | "number" | "headRef" | "headSha">;

export interface CloneOptions {
  /** No action of the clone may name this account. */
  readonly prodAccountId: string;
  /** Main's identities and the pull requests' that replace them. */
  readonly identities: PrIdentities;
  /** owner/name whose source action is pointed at the pull request. @default pr.repository */
  readonly repository?: string;
  /**
   * Whether the clone deploys a preview stack (the service's `preview` in the
   * catalog). When false, every stage with a CloudFormation action is removed,
   * and with it every later stage that needs it. @default true
   */
  readonly deployPreview?: boolean;
}

/** A CloudFormation stack the pull request pipeline deploys: what a cleanup needs to delete it. */
export interface PreviewStack {
  readonly stackName: string;
  readonly stageName: string;
  readonly actionName: string;
  /** The role the pipeline assumes for the action (in the account that holds the stack). */
  readonly actionRoleArn?: string;
  /** The role CloudFormation acts as (`configuration.RoleArn`). */
  readonly cloudFormationRoleArn?: string;
  readonly region?: string;
}

export interface RemovedStage {
  readonly name: string;
  readonly reason: string;
}

export interface PullRequestPipeline {
  readonly pipeline: PipelineDeclaration;
  readonly tags: Tag[];
  /** Source actions to pin to the head commit. */
  readonly sourceActionNames: string[];
  readonly previewStacks: PreviewStack[];
  readonly removedStages: RemovedStage[];
}

const SOURCE_PROVIDER = "CodeStarSourceConnection";
const CLOUDFORMATION_PROVIDER = "CloudFormation";
const CODEBUILD_PROVIDER = "CodeBuild";

function required<T>(value: T | undefined, basePipeline: string, what: string): T {
  if (value === undefined) throw new PipelineCloneError(basePipeline, `${what} is missing`);
  return value;
}

function actionsOf(stage: StageDeclaration): ActionDeclaration[] {
  return stage.actions ?? [];
}

/** Every string an action carries that could name an account. */
function accountBearingStrings(action: ActionDeclaration): string[] {
  return [
    action.roleArn ?? "",
    ...Object.values(action.configuration ?? {}),
    ...(action.environmentVariables ?? []).map((variable) => variable.value ?? ""),
    ...(action.commands ?? []),
  ];
}

function mentionsAccount(text: string, accountId: string): boolean {
  return new RegExp(`(?<!\\d)${accountId}(?!\\d)`).test(text);
}

/**
 * Why a stage could touch prod, or undefined. Conservative on purpose: a
 * stage goes when its name contains "prod", when it holds an approval (an
 * approval guards a promotion), or when any action's role ARN,
 * configuration, environment variables or commands name the prod account
 * (an ARN or a bare id, e.g. a StackSet deployment target).
 */
export function prodReason(stage: StageDeclaration, prodAccountId: string): string | undefined {
  if (/prod/i.test(stage.name ?? "")) return `stage name "${stage.name}" looks like prod`;
  for (const action of actionsOf(stage)) {
    if (action.actionTypeId?.category === "Approval") return `action "${action.name}" is an approval`;
    if (accountBearingStrings(action).some((text) => mentionsAccount(text, prodAccountId))) {
      return `action "${action.name}" names the prod account ${prodAccountId}`;
    }
  }
  return undefined;
}

/** The variable namespaces a string refers to, e.g. `#{DeployVariables.StackId}` → DeployVariables. */
function namespacesIn(text: string): string[] {
  return [...text.matchAll(/#\{([A-Za-z0-9@\-_]+)\./g)].map((match) => match[1] as string);
}

/** The reason a clone that deploys no preview gives for each stage with a CloudFormation action. */
export const NO_PREVIEW_REASON = "the service deploys no preview (preview: false)";

function deploysStack(stage: StageDeclaration): boolean {
  return actionsOf(stage).some((action) => action.actionTypeId?.provider === CLOUDFORMATION_PROVIDER);
}

/**
 * Removes the stages `reasonToRemove` names a reason for, and every later
 * stage that needs an artifact or a variable namespace only a removed stage
 * produced.
 */
function removeStages(
  stages: StageDeclaration[],
  reasonToRemove: (stage: StageDeclaration) => string | undefined,
): { kept: StageDeclaration[]; removed: RemovedStage[] } {
  const kept: StageDeclaration[] = [];
  const removed: RemovedStage[] = [];
  const lostArtifacts = new Set<string>();
  const lostNamespaces = new Set<string>();
  for (const stage of stages) {
    let reason = reasonToRemove(stage);
    if (reason === undefined) {
      for (const action of actionsOf(stage)) {
        const missing = (action.inputArtifacts ?? []).find((artifact) => lostArtifacts.has(artifact.name ?? ""));
        if (missing !== undefined) {
          reason = `action "${action.name}" needs artifact "${missing.name}" from a removed stage`;
          break;
        }
        const namespace = [...Object.values(action.configuration ?? {}), ...(action.environmentVariables ?? []).map((v) => v.value ?? "")]
          .flatMap(namespacesIn)
          .find((name) => lostNamespaces.has(name));
        if (namespace !== undefined) {
          reason = `action "${action.name}" reads variables of namespace "${namespace}" from a removed stage`;
          break;
        }
      }
    }
    if (reason === undefined) {
      kept.push(stage);
      continue;
    }
    removed.push({ name: stage.name ?? "", reason });
    for (const action of actionsOf(stage)) {
      for (const artifact of action.outputArtifacts ?? []) lostArtifacts.add(artifact.name ?? "");
      if (action.namespace !== undefined) lostNamespaces.add(action.namespace);
    }
  }
  return { kept, removed };
}

function isRepositorySource(action: ActionDeclaration, repository: string): boolean {
  return (
    action.actionTypeId?.category === "Source" &&
    action.actionTypeId.provider === SOURCE_PROVIDER &&
    (action.configuration?.FullRepositoryId ?? "").toLowerCase() === repository.toLowerCase()
  );
}

/** Source actions of `declaration` that fetch `repository` through a connection. */
export function repositorySourceActions(declaration: PipelineDeclaration, repository: string): ActionDeclaration[] {
  return (declaration.stages ?? []).flatMap(actionsOf).filter((action) => isRepositorySource(action, repository));
}

/** The CloudFormation stacks a (pull request) pipeline deploys. */
export function previewStacksOf(declaration: PipelineDeclaration): PreviewStack[] {
  const stacks = new Map<string, PreviewStack>();
  for (const stage of declaration.stages ?? []) {
    for (const action of actionsOf(stage)) {
      const stackName = action.configuration?.StackName;
      if (action.actionTypeId?.provider !== CLOUDFORMATION_PROVIDER || stackName === undefined) continue;
      if (stacks.has(stackName)) continue;
      stacks.set(stackName, {
        stackName,
        stageName: stage.name ?? "",
        actionName: action.name ?? "",
        ...(action.roleArn === undefined ? {} : { actionRoleArn: action.roleArn }),
        ...(action.configuration?.RoleArn === undefined ? {} : { cloudFormationRoleArn: action.configuration.RoleArn }),
        ...(action.region === undefined ? {} : { region: action.region }),
      });
    }
  }
  return [...stacks.values()];
}

/** Main's artifact store, moved to the pull requests' (every Region's, for a cross-Region pipeline). */
function prArtifactStore(store: ArtifactStore, baseName: string, identities: PrIdentities): ArtifactStore {
  const { main, pr } = identities.artifactStore;
  if (store.location !== main.bucket) {
    throw new PipelineCloneError(
      baseName,
      `its artifact store is bucket "${store.location ?? ""}", not main's store "${main.bucket}", so it has no pull request counterpart`,
    );
  }
  if (store.encryptionKey?.id !== undefined && store.encryptionKey.id !== main.keyArn) {
    throw new PipelineCloneError(baseName, `its artifact store is encrypted with key ${store.encryptionKey.id}, not main's key ${main.keyArn}`);
  }
  return { ...store, location: pr.bucket, encryptionKey: { id: pr.keyArn, type: "KMS" } };
}

/** The PR counterpart of `arn` in `map`, or a clone error naming the action. */
function counterpart(map: Readonly<Record<string, string>>, arn: string, baseName: string, what: string): string {
  const mapped = map[arn];
  if (mapped === undefined)
    throw new PipelineCloneError(
      baseName,
      `${what} ${arn}, which has no pull request counterpart; pipewright never runs a pull request as main's identities`,
    );
  return mapped;
}

/** An action of a kept stage, acting as the pull requests' identities. */
function actingAsPullRequest(action: ActionDeclaration, baseName: string, identities: PrIdentities): ActionDeclaration {
  const provider = action.actionTypeId?.provider ?? "";
  const name = `action "${action.name ?? ""}"`;
  const moved: ActionDeclaration = { ...action, configuration: { ...action.configuration } };
  const configuration = moved.configuration as Record<string, string>;
  if (provider === SOURCE_PROVIDER) {
    // Runs as the pipeline role, which is the pull requests'.
  } else if (provider === CODEBUILD_PROVIDER) {
    const project = configuration.ProjectName ?? "";
    try {
      configuration.ProjectName = prCodeBuildProjectName(identities.project, project);
    } catch {
      throw new PipelineCloneError(
        baseName,
        `${name} runs CodeBuild project "${project}", which is not a pipewright project of "${identities.project}"`,
      );
    }
  } else if (provider === CLOUDFORMATION_PROVIDER) {
    const role = configuration.RoleArn;
    if (role !== undefined) {
      configuration.RoleArn = counterpart(identities.cloudFormationRoles, role, baseName, `${name} lets CloudFormation act as`);
    } else if (configuration.ActionMode !== "CHANGE_SET_EXECUTE") {
      // Executing a change set uses the role it was created with; every other mode would act as the deploy role itself.
      throw new PipelineCloneError(baseName, `${name} deploys without a CloudFormation role (configuration.RoleArn)`);
    }
  } else {
    throw new PipelineCloneError(
      baseName,
      `${name} uses provider "${provider}"; a pull request pipeline can run only ${SOURCE_PROVIDER}, ${CODEBUILD_PROVIDER} and ${CLOUDFORMATION_PROVIDER} actions, whose identities pipewright moves to the pull requests'`,
    );
  }
  if (action.roleArn !== undefined) moved.roleArn = counterpart(identities.deployRoles, action.roleArn, baseName, `${name} assumes`);
  return moved;
}

/**
 * The pull request pipeline for `declaration` (a V1 or V2 main pipeline).
 * Pure: `declaration` is not modified.
 */
export function clonePipelineForPullRequest(declaration: PipelineDeclaration, pr: PullRequestRef, options: CloneOptions): PullRequestPipeline {
  const baseName = required(declaration.name, "(unnamed)", "the pipeline name");
  const repository = options.repository ?? pr.repository;
  const copy = structuredClone(declaration);
  delete copy.triggers;
  delete copy.version;

  const deployPreview = options.deployPreview ?? true;
  const { kept, removed } = removeStages(
    required(copy.stages, baseName, "the stage list"),
    (stage) => prodReason(stage, options.prodAccountId) ?? (deployPreview || !deploysStack(stage) ? undefined : NO_PREVIEW_REASON),
  );
  if (kept.length < 2) {
    throw new PipelineCloneError(
      baseName,
      `only ${kept.length} stage(s) remain once these are removed: ${removed.map((stage) => `${stage.name} (${stage.reason})`).join(", ")}; a pipeline needs at least 2`,
    );
  }

  const { identities } = options;
  if (copy.roleArn !== identities.pipelineRole.main) {
    throw new PipelineCloneError(
      baseName,
      `it runs as ${copy.roleArn ?? "(no role)"}, not as main's pipeline role ${identities.pipelineRole.main}, so it has no pull request counterpart`,
    );
  }
  for (const stage of kept) stage.actions = actionsOf(stage).map((action) => actingAsPullRequest(action, baseName, identities));

  const sourceActionNames: string[] = [];
  const stackRenames = new Map<string, string>();
  for (const stage of kept) {
    for (const action of actionsOf(stage)) {
      if (isRepositorySource(action, repository)) {
        action.configuration = { ...action.configuration, BranchName: pr.headRef, DetectChanges: "false" };
        sourceActionNames.push(required(action.name, baseName, "a source action's name"));
      }
      const stackName = action.configuration?.StackName;
      if (action.actionTypeId?.provider === CLOUDFORMATION_PROVIDER && stackName !== undefined) {
        const preview = previewStackName(stackName, pr.number);
        const clash = [...stackRenames].find(([original, renamed]) => renamed === preview && original !== stackName);
        if (clash !== undefined) {
          throw new PipelineCloneError(baseName, `stacks "${clash[0]}" and "${stackName}" would both become preview stack "${preview}"`);
        }
        stackRenames.set(stackName, preview);
        action.configuration = { ...action.configuration, StackName: preview, ...previewTemplateConfiguration(action.configuration) };
      }
    }
  }
  if (sourceActionNames.length === 0) {
    throw new PipelineCloneError(
      baseName,
      `it has no ${SOURCE_PROVIDER} source action for repository ${repository} (configuration.FullRepositoryId), so it cannot build the pull request's commit`,
    );
  }

  const pipeline: PipelineDeclaration = {
    ...copy,
    roleArn: identities.pipelineRole.pr,
    ...(copy.artifactStore === undefined ? {} : { artifactStore: prArtifactStore(copy.artifactStore, baseName, identities) }),
    ...(copy.artifactStores === undefined
      ? {}
      : {
          artifactStores: Object.fromEntries(
            Object.entries(copy.artifactStores).map(([region, store]) => [region, prArtifactStore(store, baseName, identities)]),
          ),
        }),
    name: prPipelineName(baseName, pr.number),
    pipelineType: "V2",
    executionMode: "SUPERSEDED",
    stages: kept,
  };
  return {
    pipeline,
    tags: [
      { key: PR_TAG_KEYS.repository, value: pr.repository },
      { key: PR_TAG_KEYS.pullRequest, value: String(pr.number) },
      { key: PR_TAG_KEYS.headSha, value: pr.headSha },
      { key: PR_TAG_KEYS.basePipeline, value: baseName },
      { key: PR_TAG_KEYS.preview, value: String(deployPreview) },
    ],
    sourceActionNames,
    previewStacks: previewStacksOf(pipeline),
    removedStages: removed,
  };
}

/**
 * Preview stacks take their parameters from the build's `pr.json` where the
 * dev deployment uses `dev.json` (templates/scripts/template-configs.mjs writes both).
 */
function previewTemplateConfiguration(configuration: Record<string, string> | undefined): { TemplateConfiguration?: string } {
  const current = configuration?.TemplateConfiguration;
  if (current === undefined || !/(^|::|\/)dev\.json$/.test(current)) return {};
  return { TemplateConfiguration: current.replace(/dev\.json$/, "pr.json") };
}
