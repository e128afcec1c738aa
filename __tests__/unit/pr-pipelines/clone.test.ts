import type { ActionDeclaration, PipelineDeclaration, StageDeclaration } from "@aws-sdk/client-codepipeline";
import { clonePipelineForPullRequest, NO_PREVIEW_REASON, previewStacksOf, PR_TAG_KEYS } from "../../../functions/pr-pipelines/clone";
import { PipelineCloneError } from "../../../functions/pr-pipelines/errors";
import {
  DEV_ACCOUNT,
  HEAD_SHA,
  identities,
  mainContainerPipeline,
  mainPipelineV1,
  mainPipelineV2,
  PR_ARTIFACT_BUCKET,
  PR_ARTIFACT_KEY_ARN,
  PR_PIPELINE_ROLE,
  PREVIEW_DEPLOY_ROLE,
  PREVIEW_EXECUTION_ROLE,
  PROD_ACCOUNT,
  pullRequest,
  REPOSITORY,
} from "./support/fixtures";

const options = { prodAccountId: PROD_ACCOUNT, repository: REPOSITORY, identities };
const pr = pullRequest({ number: 7, headRef: "feature/login" });

function stage(declaration: PipelineDeclaration, name: string): StageDeclaration {
  const found = declaration.stages?.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no stage ${name}`);
  return found;
}

function action(declaration: PipelineDeclaration, stageName: string, actionName: string): ActionDeclaration {
  const found = stage(declaration, stageName).actions?.find((candidate) => candidate.name === actionName);
  if (found === undefined) throw new Error(`no action ${stageName}/${actionName}`);
  return found;
}

describe("clonePipelineForPullRequest with a V2 main pipeline", () => {
  const original = mainPipelineV2("orders");
  const pristine = structuredClone(original);
  const clone = clonePipelineForPullRequest(original, pr, options);
  const { pipeline } = clone;

  it("does not modify its input", () => {
    expect(original).toEqual(pristine);
  });

  it("names the clone after the pull request, as a V2 SUPERSEDED pipeline without triggers or version", () => {
    expect(pipeline.name).toBe("pipewright-orders-pr-7");
    expect(pipeline.pipelineType).toBe("V2");
    expect(pipeline.executionMode).toBe("SUPERSEDED");
    expect(pipeline).not.toHaveProperty("triggers");
    expect(pipeline).not.toHaveProperty("version");
  });

  it("runs as the pull requests' pipeline role with their artifact store and key, keeping the variables", () => {
    expect(pipeline.roleArn).toBe(PR_PIPELINE_ROLE);
    expect(pipeline.artifactStore).toEqual({ type: "S3", location: PR_ARTIFACT_BUCKET, encryptionKey: { id: PR_ARTIFACT_KEY_ARN, type: "KMS" } });
    expect(pipeline.variables).toEqual(original.variables);
  });

  it("names no identity, store or project of main's", () => {
    const text = JSON.stringify(pipeline);
    for (const mains of [
      original.roleArn,
      original.artifactStore?.location,
      original.artifactStore?.encryptionKey?.id,
      "role/pipewright-deploy",
      "role/pipewright-cfn-exec",
      '"pipewright-orders-build"',
    ]) {
      expect(text).not.toContain(mains);
    }
  });

  it("removes the prod stage, with a reason, and keeps the others in order", () => {
    expect(pipeline.stages?.map((candidate) => candidate.name)).toEqual(["Source", "Build", "Dev"]);
    expect(clone.removedStages).toEqual([{ name: "Prod", reason: expect.stringContaining("prod") }]);
    expect(JSON.stringify(pipeline)).not.toContain(PROD_ACCOUNT);
  });

  it("points the source action at the full head branch, without change detection, keeping its other settings", () => {
    const source = action(pipeline, "Source", "Source");
    expect(source.configuration).toEqual({
      ...action(original, "Source", "Source").configuration,
      BranchName: "feature/login",
      DetectChanges: "false",
    });
    expect(source.namespace).toBe("SourceVariables");
    expect(source.outputArtifacts).toEqual([{ name: "SourceArtifact" }]);
    expect(clone.sourceActionNames).toEqual(["Source"]);
  });

  it("copies build stages field by field, stage conditions included, building in the pull requests' CodeBuild project", () => {
    const build = structuredClone(stage(original, "Build"));
    (build.actions?.[0]?.configuration as Record<string, string>).ProjectName = "pipewright-pr-orders-build";
    expect(stage(pipeline, "Build")).toEqual(build);
    expect(stage(pipeline, "Dev").onFailure).toEqual({ result: "ROLLBACK" });
  });

  it("deploys a preview stack in dev instead of the dev stack, keeping every other action field", () => {
    for (const name of ["CreateChangeSet", "ExecuteChangeSet"]) {
      const cloned = action(pipeline, "Dev", name);
      const base = action(original, "Dev", name);
      expect(cloned.configuration?.StackName).toBe("pipewright-orders-pr-7");
      const roles = base.configuration?.RoleArn === undefined ? {} : { RoleArn: PREVIEW_EXECUTION_ROLE };
      expect(cloned).toEqual({
        ...base,
        roleArn: PREVIEW_DEPLOY_ROLE,
        configuration: { ...base.configuration, StackName: "pipewright-orders-pr-7", ...roles },
      });
    }
    expect(clone.previewStacks).toEqual([
      {
        stackName: "pipewright-orders-pr-7",
        stageName: "Dev",
        actionName: "CreateChangeSet",
        actionRoleArn: PREVIEW_DEPLOY_ROLE,
        cloudFormationRoleArn: PREVIEW_EXECUTION_ROLE,
        region: "eu-west-1",
      },
    ]);
    expect(DEV_ACCOUNT).toBe(PREVIEW_DEPLOY_ROLE.split(":")[4]);
  });

  it("tags the clone with repository, pull request, head commit, base pipeline and that it deploys a preview", () => {
    expect(clone.tags).toEqual([
      { key: PR_TAG_KEYS.repository, value: REPOSITORY },
      { key: PR_TAG_KEYS.pullRequest, value: "7" },
      { key: PR_TAG_KEYS.headSha, value: HEAD_SHA },
      { key: PR_TAG_KEYS.basePipeline, value: "pipewright-orders" },
      { key: PR_TAG_KEYS.preview, value: "true" },
    ]);
  });

  it("copies fields it does not know about", () => {
    const future = structuredClone(original) as PipelineDeclaration & { futureSetting?: unknown };
    future.futureSetting = { enabled: true };
    (future.stages?.[1]?.actions?.[0] as ActionDeclaration & { futureActionSetting?: string }).futureActionSetting = "kept";
    const result = clonePipelineForPullRequest(future, pr, options).pipeline as typeof future;
    expect(result.futureSetting).toEqual({ enabled: true });
    expect((result.stages?.[1]?.actions?.[0] as { futureActionSetting?: string } | undefined)?.futureActionSetting).toBe("kept");
  });
});

describe("preview stack parameters", () => {
  it("deploys preview stacks with the build's pr.json where dev uses dev.json, and leaves other files alone", () => {
    const declaration = mainPipelineV2();
    const devStage = stage(declaration, "Dev");
    for (const candidate of devStage.actions ?? []) {
      if (candidate.configuration?.StackName) candidate.configuration.TemplateConfiguration = "BuildOutput::dev.json";
    }
    const cloned = clonePipelineForPullRequest(declaration, pr, options).pipeline;
    const configurations = (stage(cloned, "Dev").actions ?? []).map((a) => a.configuration?.TemplateConfiguration).filter(Boolean);
    expect(configurations.length).toBeGreaterThan(0);
    expect(new Set(configurations)).toEqual(new Set(["BuildOutput::pr.json"]));

    const custom = mainPipelineV2();
    for (const candidate of stage(custom, "Dev").actions ?? []) {
      if (candidate.configuration?.StackName) candidate.configuration.TemplateConfiguration = "BuildOutput::params/devx.json";
    }
    const kept = (stage(clonePipelineForPullRequest(custom, pr, options).pipeline, "Dev").actions ?? []).map(
      (a) => a.configuration?.TemplateConfiguration,
    );
    expect(kept.filter(Boolean)).toContain("BuildOutput::params/devx.json");
  });
});

describe("clonePipelineForPullRequest of a container service", () => {
  const original = mainContainerPipeline("storefront");
  const pristine = structuredClone(original);

  describe("without previews (deployPreview false)", () => {
    const clone = clonePipelineForPullRequest(original, pr, { ...options, deployPreview: false });
    const { pipeline } = clone;

    it("keeps Source and Build only: the image is built and tested, nothing is deployed", () => {
      expect(pipeline.stages?.map((candidate) => candidate.name)).toEqual(["Source", "Build"]);
      expect(clone.previewStacks).toEqual([]);
      expect(JSON.stringify(pipeline)).not.toContain("CloudFormation");
      expect(JSON.stringify(pipeline)).not.toContain(DEV_ACCOUNT);
      expect(original).toEqual(pristine);
    });

    it("says why each stage went: no preview, the tests that read the preview's outputs, prod", () => {
      expect(clone.removedStages).toEqual([
        { name: "Dev", reason: NO_PREVIEW_REASON },
        { name: "IntegrationTests", reason: 'action "IntegrationTests" reads variables of namespace "DevStack" from a removed stage' },
        { name: "Prod", reason: expect.stringContaining("looks like prod") },
      ]);
      expect(NO_PREVIEW_REASON).toBe("the service deploys no preview (preview: false)");
    });

    it("builds in the pull requests' CodeBuild project, as the pull requests' pipeline role and store, from the head branch", () => {
      expect(action(pipeline, "Build", "BuildImage")).toEqual({
        ...action(original, "Build", "BuildImage"),
        configuration: { ProjectName: "pipewright-pr-storefront-build" },
      });
      expect(pipeline.roleArn).toBe(PR_PIPELINE_ROLE);
      expect(pipeline.artifactStore).toEqual({ type: "S3", location: PR_ARTIFACT_BUCKET, encryptionKey: { id: PR_ARTIFACT_KEY_ARN, type: "KMS" } });
      expect(action(pipeline, "Source", "Source").configuration).toMatchObject({ BranchName: "feature/login", DetectChanges: "false" });
      expect(clone.sourceActionNames).toEqual(["Source"]);
    });

    it("is tagged like any pull request pipeline, and as one without a preview", () => {
      expect(clone.tags).toContainEqual({ key: PR_TAG_KEYS.basePipeline, value: "pipewright-storefront" });
      expect(clone.tags).toContainEqual({ key: PR_TAG_KEYS.preview, value: "false" });
    });

    it("needs no preview identity for the stages it removes", () => {
      const declaration = mainContainerPipeline("storefront");
      (stage(declaration, "Dev").actions?.[0] as ActionDeclaration).roleArn = `arn:aws:iam::${DEV_ACCOUNT}:role/admin`;
      expect(clonePipelineForPullRequest(declaration, pr, { ...options, deployPreview: false }).pipeline.stages).toHaveLength(2);
      expect(() => clonePipelineForPullRequest(declaration, pr, options)).toThrow(/role\/admin, which has no pull request counterpart/);
    });

    it("refuses a main pipeline whose only stage after the source deploys, naming why each stage went", () => {
      const declaration: PipelineDeclaration = { ...original, stages: (original.stages ?? []).filter((candidate) => candidate.name !== "Build") };
      expect(() => clonePipelineForPullRequest(declaration, pr, { ...options, deployPreview: false })).toThrow(
        /only 1 stage\(s\) remain once these are removed: Dev \(the service deploys no preview \(preview: false\)\), .*a pipeline needs at least 2/,
      );
    });
  });

  describe.each([
    ["with previews (deployPreview true)", { ...options, deployPreview: true }],
    ["by default", options],
  ])("%s", (_when, cloneOptions) => {
    const clone = clonePipelineForPullRequest(original, pr, cloneOptions);

    it("deploys pr.json to the preview stack through the preview roles, and runs the integration tests against it", () => {
      expect(clone.pipeline.stages?.map((candidate) => candidate.name)).toEqual(["Source", "Build", "Dev", "IntegrationTests"]);
      expect(action(clone.pipeline, "Dev", "CreateChangeSet")).toMatchObject({
        roleArn: PREVIEW_DEPLOY_ROLE,
        configuration: {
          StackName: "pipewright-storefront-pr-7",
          TemplateConfiguration: "BuildOutput::pr.json",
          TemplatePath: "BuildOutput::packaged.yaml",
          RoleArn: PREVIEW_EXECUTION_ROLE,
        },
      });
      expect(action(clone.pipeline, "IntegrationTests", "IntegrationTests").configuration).toMatchObject({
        ProjectName: "pipewright-pr-storefront-integration-tests",
        EnvironmentVariables: expect.stringContaining("#{DevStack.ApiUrl}"),
      });
      expect(clone.previewStacks.map((stack) => stack.stackName)).toEqual(["pipewright-storefront-pr-7"]);
      expect(clone.removedStages.map((removed) => removed.name)).toEqual(["Prod"]);
    });
  });
});

describe("clonePipelineForPullRequest with a V1 main pipeline", () => {
  const original = mainPipelineV1();
  const pristine = structuredClone(original);
  const { pipeline, removedStages, sourceActionNames } = clonePipelineForPullRequest(original, pr, options);

  it("produces a V2 SUPERSEDED pipeline and leaves the input alone", () => {
    expect(pipeline.pipelineType).toBe("V2");
    expect(pipeline.executionMode).toBe("SUPERSEDED");
    expect(pipeline).not.toHaveProperty("version");
    expect(original).toEqual(pristine);
  });

  it("moves each Region's artifact store to the pull requests'", () => {
    expect(pipeline.artifactStores).toEqual({
      "eu-west-1": { type: "S3", location: PR_ARTIFACT_BUCKET, encryptionKey: { id: PR_ARTIFACT_KEY_ARN, type: "KMS" } },
    });
    expect(pipeline).not.toHaveProperty("artifactStore");
  });

  it("removes a stage that deploys with a prod-account role even when its name does not say prod", () => {
    expect(pipeline.stages?.map((candidate) => candidate.name)).toEqual(["Source", "Build", "DeployDev"]);
    expect(removedStages).toEqual([{ name: "DeployLive", reason: expect.stringContaining(PROD_ACCOUNT) }]);
  });

  it("rewrites the branch and the stack name", () => {
    expect(action(pipeline, "Source", "Checkout").configuration?.BranchName).toBe("feature/login");
    expect(action(pipeline, "DeployDev", "Deploy").configuration?.StackName).toBe("orders-pr-7");
    expect(sourceActionNames).toEqual(["Checkout"]);
  });
});

describe("what a pull request pipeline may not keep", () => {
  function withStages(...extra: StageDeclaration[]): PipelineDeclaration {
    const base = mainPipelineV2();
    return { ...base, stages: [...(base.stages ?? []).filter((candidate) => candidate.name !== "Prod"), ...extra] };
  }
  const approval = { category: "Approval", owner: "AWS", provider: "Manual", version: "1" } as const;
  const build = { category: "Build", owner: "AWS", provider: "CodeBuild", version: "1" } as const;

  it("removes a stage holding a manual approval whatever its name", () => {
    const declaration = withStages({ name: "Gate", actions: [{ name: "Approve", actionTypeId: approval }] });
    const result = clonePipelineForPullRequest(declaration, pr, options);
    expect(result.removedStages.map((removed) => removed.name)).toEqual(["Gate"]);
  });

  it("removes a stage whose name says prod even when its actions look harmless", () => {
    const declaration = withStages({
      name: "preprod-smoke",
      actions: [{ name: "Smoke", actionTypeId: build, configuration: { ProjectName: "smoke" } }],
    });
    const result = clonePipelineForPullRequest(declaration, pr, options);
    expect(result.removedStages).toEqual([{ name: "preprod-smoke", reason: expect.stringContaining("looks like prod") }]);
  });

  it("removes a stage that names the prod account id outside an ARN, e.g. a StackSet target", () => {
    const declaration = withStages({
      name: "Fleet",
      actions: [
        {
          name: "StackSet",
          actionTypeId: { category: "Deploy", owner: "AWS", provider: "CloudFormationStackSet", version: "1" },
          configuration: { StackSetName: "baseline", DeploymentTargets: `${DEV_ACCOUNT},${PROD_ACCOUNT}` },
        },
      ],
    });
    expect(clonePipelineForPullRequest(declaration, pr, options).removedStages.map((removed) => removed.name)).toEqual(["Fleet"]);
  });

  it("also removes later stages that need an artifact or variables only a removed stage produced", () => {
    const declaration = withStages(
      {
        name: "Release",
        actions: [
          {
            name: "Publish",
            actionTypeId: build,
            roleArn: `arn:aws:iam::${PROD_ACCOUNT}:role/publisher`,
            namespace: "ReleaseVariables",
            outputArtifacts: [{ name: "ReleaseNotes" }],
          },
        ],
      },
      { name: "Announce", actions: [{ name: "Post", actionTypeId: build, inputArtifacts: [{ name: "ReleaseNotes" }] }] },
      {
        name: "Record",
        actions: [{ name: "Log", actionTypeId: build, configuration: { ProjectName: "log", PrimarySource: "#{ReleaseVariables.Version}" } }],
      },
      {
        name: "Lint",
        actions: [
          {
            name: "Lint",
            actionTypeId: build,
            configuration: { ProjectName: "pipewright-orders-lint" },
            inputArtifacts: [{ name: "SourceArtifact" }],
          },
        ],
      },
    );
    const result = clonePipelineForPullRequest(declaration, pr, options);
    expect(result.removedStages.map((removed) => removed.name)).toEqual(["Release", "Announce", "Record"]);
    expect(result.pipeline.stages?.map((candidate) => candidate.name)).toEqual(["Source", "Build", "Dev", "Lint"]);
  });

  it("refuses a main pipeline with nothing left but its source", () => {
    const declaration: PipelineDeclaration = {
      ...mainPipelineV2(),
      stages: [mainPipelineV2().stages?.[0] as StageDeclaration, { name: "Production", actions: [{ name: "Approve", actionTypeId: approval }] }],
    };
    expect(() => clonePipelineForPullRequest(declaration, pr, options)).toThrow(PipelineCloneError);
  });

  it("refuses a main pipeline without a connection source for the repository", () => {
    expect(() => clonePipelineForPullRequest(mainPipelineV2(), pr, { ...options, repository: "someone-else/other" })).toThrow(
      /no CodeStarSourceConnection source action for repository someone-else\/other/,
    );
  });

  it("refuses two stacks that would share one preview stack", () => {
    const declaration = mainPipelineV2();
    const dev = declaration.stages?.[2]?.actions?.[1];
    if (dev?.configuration === undefined) throw new Error("fixture changed");
    dev.configuration.StackName = "pipewright-orders";
    expect(() => clonePipelineForPullRequest(declaration, pr, options)).toThrow(/would both become preview stack "pipewright-orders-pr-7"/);
  });
});

describe("previewStacksOf", () => {
  it("lists each CloudFormation stack once", () => {
    expect(previewStacksOf(mainPipelineV2()).map((stack) => stack.stackName)).toEqual(["pipewright-orders-dev", "pipewright-orders-prod"]);
  });
});

describe("what a pull request pipeline cannot act as", () => {
  type Edit = (declaration: PipelineDeclaration) => void;
  const devAction = (declaration: PipelineDeclaration, index = 0) => stage(declaration, "Dev").actions?.[index] as ActionDeclaration;
  const refusals: Array<[string, Edit, RegExp]> = [
    [
      "a pipeline role other than main's",
      (d) => void (d.roleArn = "arn:aws:iam::111111111111:role/someone-else"),
      /runs as arn:aws:iam::111111111111:role\/someone-else, not as main's pipeline role/,
    ],
    [
      "another artifact bucket",
      (d) => void (d.artifactStore = { type: "S3", location: "other-bucket" }),
      /artifact store is bucket "other-bucket", not main's store/,
    ],
    [
      "main's bucket under another key",
      (d) =>
        void (d.artifactStore = {
          type: "S3",
          location: identities.artifactStore.main.bucket,
          encryptionKey: { id: "arn:aws:kms:eu-west-1:111111111111:key/other", type: "KMS" },
        }),
      /encrypted with key arn:aws:kms:eu-west-1:111111111111:key\/other, not main's key/,
    ],
    [
      "a CodeBuild project of another project",
      (d) => void ((stage(d, "Build").actions?.[0]?.configuration as Record<string, string>).ProjectName = "other-build"),
      /runs CodeBuild project "other-build", which is not a pipewright project of "pipewright"/,
    ],
    [
      "a deploy role without a preview twin",
      (d) => void (devAction(d).roleArn = `arn:aws:iam::${DEV_ACCOUNT}:role/admin`),
      /action "CreateChangeSet" assumes arn:aws:iam::222222222222:role\/admin, which has no pull request counterpart/,
    ],
    [
      "a CloudFormation role without a preview twin",
      (d) => void ((devAction(d).configuration as Record<string, string>).RoleArn = `arn:aws:iam::${DEV_ACCOUNT}:role/admin`),
      /lets CloudFormation act as arn:aws:iam::222222222222:role\/admin, which has no pull request counterpart/,
    ],
    [
      "a CloudFormation action without a role for CloudFormation",
      (d) => void delete (devAction(d).configuration as Record<string, string>).RoleArn,
      /deploys without a CloudFormation role/,
    ],
    [
      "a build action that assumes a role",
      (d) => void ((stage(d, "Build").actions?.[0] as ActionDeclaration).roleArn = "arn:aws:iam::111111111111:role/pipewright-codebuild"),
      /action "Build" assumes arn:aws:iam::111111111111:role\/pipewright-codebuild/,
    ],
    [
      "an action of a provider whose identity pipewright cannot move",
      (d) =>
        void stage(d, "Dev").actions?.push({
          name: "Notify",
          actionTypeId: { category: "Invoke", owner: "AWS", provider: "Lambda", version: "1" },
          runOrder: 3,
          configuration: { FunctionName: "notify" },
        }),
      /action "Notify" uses provider "Lambda"; a pull request pipeline can run only/,
    ],
  ];

  it.each(refusals)("refuses %s, naming it: never main's identity as a fallback", (_what, edit, message) => {
    const declaration = mainPipelineV2();
    edit(declaration);
    let caught: unknown;
    try {
      clonePipelineForPullRequest(declaration, pr, options);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PipelineCloneError);
    expect((caught as Error).message).toMatch(message);
  });
});
