import { containerBuildspec } from "../../stacks/container-buildspec";
import { securityFindings } from "../support/security-rules";
import { configWith, resourceAt, resourcesOf, statement, statementsOf, synthPlatform } from "../support/synth";

/** One Lambda service and one container service, whose previews are on or off. */
const configOf = (options: { preview: boolean; keepImages?: number }) =>
  configWith((c) => {
    c.artifactRetentionDays = 14;
    c.services = [
      c.services.find((s: any) => s.name === "orders"),
      {
        name: "storefront",
        kind: "container",
        include: ["templates/container/**"],
        dockerfile: "templates/container/Dockerfile",
        testCommand: "node --test test/",
        template: "templates/container/template.yaml",
        integrationTestsBuildspec: "templates/container/buildspec-integration.yml",
        preview: options.preview,
        ...(options.keepImages === undefined ? {} : { keepImages: options.keepImages }),
      },
    ];
  });

const partition = "${data.aws_partition.partition.partition}";
const role = (account: string, name: string) => `arn:${partition}:iam::${account}:role/${name}`;
const ref = (type: string, path: string, attribute: string) =>
  new RegExp(`^\\$\\{${type}\\.${path.replace("/", "_")}_[0-9A-F]{8}\\.${attribute}\\}$`);
const PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];
const PUSH_ACTIONS = ["ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"];
const BUILD_ACTIONS = [
  "ecr:BatchCheckLayerAvailability",
  "ecr:BatchGetImage",
  "ecr:CompleteLayerUpload",
  "ecr:DescribeImages",
  "ecr:GetDownloadUrlForLayer",
  "ecr:InitiateLayerUpload",
  "ecr:PutImage",
  "ecr:UploadLayerPart",
];

describe("container services in the build stack", () => {
  const { build } = synthPlatform(configOf({ preview: false, keepImages: 5 }));
  const { build: withPreview } = synthPlatform(configOf({ preview: true }));
  const { build: bootstrap } = synthPlatform(configOf({ preview: true }), { bootstrap: true });
  const repository = (stack: any, zone: "main" | "pr") =>
    resourceAt(stack, "aws_ecr_repository", `${zone === "main" ? "" : "pr-"}image-repositories/repository-storefront`);
  const repositoryPolicy = (stack: any, zone: "main" | "pr") =>
    resourceAt(stack, "aws_ecr_repository_policy", `${zone === "main" ? "" : "pr-"}image-repositories/policy-storefront`).policy;

  it("gives each container service an immutable, scanned repository per zone, encrypted with that zone's key", () => {
    expect(repository(build, "main")).toEqual({
      name: "pipewright/storefront",
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: "KMS", kms_key: expect.stringMatching(ref("aws_kms_key", "artifact-store/key", "arn")) }],
      force_delete: false,
      tags: { "pipewright:trust-zone": "main" },
    });
    expect(repository(build, "pr")).toEqual({
      name: "pipewright-pr/storefront",
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: "KMS", kms_key: expect.stringMatching(ref("aws_kms_key", "pr-artifact-store/key", "arn")) }],
      force_delete: false,
      tags: { "pipewright:trust-zone": "pr" },
    });
    expect(resourcesOf(build, "aws_ecr_repository")).toHaveLength(2);
  });

  it("keeps main's newest keepImages images and expires the pull requests' images with their artifacts", () => {
    const rules = (zone: string) =>
      JSON.parse(resourceAt(build, "aws_ecr_lifecycle_policy", `${zone}image-repositories/lifecycle-storefront`).policy).rules;
    expect(rules("")).toEqual([
      expect.objectContaining({
        rulePriority: 1,
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 5 },
        action: { type: "expire" },
      }),
    ]);
    expect(rules("pr-")).toEqual([
      expect.objectContaining({
        rulePriority: 1,
        selection: { tagStatus: "any", countType: "sinceImagePushed", countUnit: "days", countNumber: 14 },
        action: { type: "expire" },
      }),
    ]);
  });

  it("lets exactly dev's and prod's image pull roles pull main's images", () => {
    expect(statement(repositoryPolicy(build, "main"), "PullFromTargetAccounts")).toEqual({
      Sid: "PullFromTargetAccounts",
      Effect: "Allow",
      Principal: { AWS: [role("222222222222", "pipewright-image-pull"), role("333333333333", "pipewright-image-pull")] },
      Action: PULL_ACTIONS,
    });
  });

  it("lets dev's preview pull role pull the pull requests' images only when the service has previews", () => {
    expect(statement(repositoryPolicy(withPreview, "pr"), "PullFromTargetAccounts")).toEqual({
      Sid: "PullFromTargetAccounts",
      Effect: "Allow",
      Principal: { AWS: [role("222222222222", "pipewright-preview-image-pull")] },
      Action: PULL_ACTIONS,
    });
    expect(statementsOf(repositoryPolicy(build, "pr")).filter((s) => s.Effect === "Allow")).toEqual([]);
  });

  it("leaves the cross-account pulls out on the bootstrap apply, before the pull roles exist", () => {
    for (const zone of ["main", "pr"] as const) {
      expect(statementsOf(repositoryPolicy(bootstrap, zone)).map((s) => s.Sid)).toEqual(["OnlyTheBuildPushes"]);
    }
  });

  it("denies pushing to every principal but the zone's CodeBuild role", () => {
    for (const [zone, codeBuild] of [
      ["main", "pipeline-roles/codebuild"],
      ["pr", "pr-pipeline-roles/codebuild"],
    ] as const) {
      expect(statement(repositoryPolicy(withPreview, zone), "OnlyTheBuildPushes")).toEqual({
        Sid: "OnlyTheBuildPushes",
        Effect: "Deny",
        Principal: "*",
        Action: PUSH_ACTIONS,
        Condition: { ArnNotEquals: { "aws:PrincipalArn": expect.stringMatching(ref("aws_iam_role", codeBuild, "arn")) } },
      });
    }
  });

  it("lets each zone's CodeBuild role push only to its zone's repositories, and log in to the registry", () => {
    for (const [zone, codeBuild] of [
      ["", "pipeline-roles/codebuild"],
      ["pr-", "pr-pipeline-roles/codebuild"],
    ] as const) {
      const push = resourceAt(build, "aws_iam_role_policy", `${zone}image-repositories/push`);
      expect(push.role).toMatch(ref("aws_iam_role", codeBuild, "name"));
      expect(statementsOf(push.policy)).toEqual([
        { Sid: "RegistryLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
        {
          Sid: "PushImages",
          Effect: "Allow",
          Action: BUILD_ACTIONS,
          Resource: [expect.stringMatching(ref("aws_ecr_repository", `${zone}image-repositories/repository-storefront`, "arn"))],
        },
      ]);
    }
    // No other policy of the build account names a repository.
    const naming = resourcesOf(build, "aws_iam_role_policy").filter((p) => p.policy.includes("aws_ecr_repository."));
    expect(naming).toHaveLength(2);
  });

  it("lets the key administrator retire the grants ECR makes on each zone's key, only through ECR", () => {
    for (const store of ["artifact-store", "pr-artifact-store"]) {
      expect(statement(resourceAt(build, "aws_kms_key", `${store}/key`).policy, "ImageRepositoryGrants")).toEqual({
        Sid: "ImageRepositoryGrants",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::111111111111:role/pipewright-provisioner" },
        Action: "kms:RetireGrant",
        Resource: "*",
        Condition: { StringEquals: { "kms:ViaService": "ecr.${data.aws_region.region.name}.amazonaws.com" } },
      });
    }
  });

  it("names the repositories in the stack's outputs, by service", () => {
    expect(build.output.image_repositories.value).toEqual({
      storefront: expect.stringMatching(ref("aws_ecr_repository", "image-repositories/repository-storefront", "repository_url")),
    });
    expect(build.output.pr_image_repositories.value).toEqual({
      storefront: expect.stringMatching(ref("aws_ecr_repository", "pr-image-repositories/repository-storefront", "repository_url")),
    });
  });

  describe("the container service's pipeline", () => {
    const pipeline = resourceAt(build, "aws_codepipeline", "pipeline-storefront/pipeline");
    const action = (stage: string, name: string) => pipeline.stage.find((s: any) => s.name === stage).action.find((a: any) => a.name === name);
    const variables = (project: any) => Object.fromEntries(project.environment.environment_variable.map((v: any) => [v.name, v.value]));

    it("has the stages of every pipeline, building the image in BuildImage", () => {
      expect(pipeline.stage.map((s: any) => [s.name, s.action.map((a: any) => a.name)])).toEqual([
        ["Source", ["Source"]],
        ["Build", ["BuildImage"]],
        ["Dev", ["CreateChangeSet", "ExecuteChangeSet"]],
        ["IntegrationTests", ["IntegrationTests"]],
        ["Prod", ["CreateChangeSet", "Approve", "ExecuteChangeSet"]],
      ]);
      expect(action("Build", "BuildImage")).toMatchObject({
        category: "Build",
        provider: "CodeBuild",
        namespace: "BuildVariables",
        input_artifacts: ["SourceOutput"],
        output_artifacts: ["BuildOutput"],
        configuration: { ProjectName: expect.stringMatching(ref("aws_codebuild_project", "pipeline-storefront/build", "name")) },
      });
    });

    it("deploys the build's template with the build's configurations through the same change sets", () => {
      expect(action("Dev", "CreateChangeSet").configuration).toMatchObject({
        StackName: "pipewright-storefront-dev",
        TemplatePath: "BuildOutput::packaged.yaml",
        TemplateConfiguration: "BuildOutput::dev.json",
        RoleArn: role("222222222222", "pipewright-cfn-exec"),
      });
      expect(action("Prod", "CreateChangeSet").configuration).toMatchObject({
        StackName: "pipewright-storefront-prod",
        TemplatePath: "BuildOutput::packaged.yaml",
        TemplateConfiguration: "BuildOutput::prod.json",
      });
    });

    it("builds main's image privileged, with pipewright's buildspec, pushing to main's repository", () => {
      const project = resourceAt(build, "aws_codebuild_project", "pipeline-storefront/build");
      expect(project.environment.privileged_mode).toBe(true);
      expect(project.service_role).toMatch(ref("aws_iam_role", "pipeline-roles/codebuild", "arn"));
      expect(variables(project)).toEqual({
        IMAGE_REPOSITORY_URI: expect.stringMatching(ref("aws_ecr_repository", "image-repositories/repository-storefront", "repository_url")),
        DOCKERFILE: "templates/container/Dockerfile",
        BUILD_CONTEXT: "templates/container",
        TEST_COMMAND: "node --test test/",
        TEMPLATE_FILE: "templates/container/template.yaml",
        PROJECT_NAME: "pipewright",
        LOG_RETENTION_DAYS: "30",
      });
      // Terraform reads "$${" as a literal "${" (stacks/terraform.ts).
      const buildspec = JSON.parse(project.source.buildspec.replace(/\$\$\{/g, () => "${").replace(/%%\{/g, () => "%{"));
      expect(project.source.buildspec).not.toMatch(/(^|[^$])\$\{|(^|[^%])%\{/);
      expect(buildspec).toEqual(containerBuildspec());
      expect(buildspec.env["exported-variables"]).toEqual(["IMAGE_URI", "IMAGE_DIGEST", "IMAGE_TAG"]);
    });

    it("builds the pull requests' image the same way, as the PR CodeBuild role, pushing to the pull requests' repository", () => {
      const main = resourceAt(build, "aws_codebuild_project", "pipeline-storefront/build");
      const pr = resourceAt(build, "aws_codebuild_project", "pipeline-storefront/pr-build");
      expect(pr.name).toBe("pipewright-pr-storefront-build");
      expect(pr.source).toEqual(main.source);
      expect(pr.environment.privileged_mode).toBe(true);
      expect(pr.service_role).toMatch(ref("aws_iam_role", "pr-pipeline-roles/codebuild", "arn"));
      expect(pr.encryption_key).toMatch(ref("aws_kms_key", "pr-artifact-store/key", "arn"));
      expect(variables(pr)).toEqual({
        ...variables(main),
        IMAGE_REPOSITORY_URI: expect.stringMatching(ref("aws_ecr_repository", "pr-image-repositories/repository-storefront", "repository_url")),
      });
    });
  });

  it("leaves the Lambda service's pipeline as it was", () => {
    const pipeline = resourceAt(build, "aws_codepipeline", "pipeline-orders/pipeline");
    expect(pipeline.stage[1].action.map((a: any) => [a.name, a.namespace, a.output_artifacts])).toEqual([
      ["BuildAndPackage", "BuildVariables", ["BuildOutput"]],
    ]);
    const project = resourceAt(build, "aws_codebuild_project", "pipeline-orders/build");
    expect(project.source).toEqual({ type: "CODEPIPELINE", buildspec: "services/orders/buildspec.yml" });
    expect(project.environment.privileged_mode).toBe(false);
    expect(project.environment.environment_variable.map((v: any) => v.name)).toEqual([
      "ARTIFACT_BUCKET",
      "ARTIFACT_KEY_ARN",
      "PROJECT_NAME",
      "LOG_RETENTION_DAYS",
    ]);
    const privileged = synthPlatform(configWith((c) => (c.services[0].privilegedBuild = true))).build;
    expect(resourceAt(privileged, "aws_codebuild_project", "pipeline-orders/build").environment.privileged_mode).toBe(true);
  });

  it("creates no repository, key statement or push policy without container services", () => {
    const { build: lambdaOnly } = synthPlatform(configWith((c) => (c.services = c.services.filter((s: any) => s.kind !== "container"))));
    for (const type of ["aws_ecr_repository", "aws_ecr_repository_policy", "aws_ecr_lifecycle_policy"])
      expect(resourcesOf(lambdaOnly, type)).toEqual([]);
    expect(JSON.stringify(lambdaOnly)).not.toContain("ImageRepositoryGrants");
    expect(JSON.stringify(lambdaOnly)).not.toContain("ecr:");
    expect(lambdaOnly.output.image_repositories.value).toEqual({});
  });

  it("names a repository after the repository's short name in the many-repositories form", () => {
    const config = configWith((c) => {
      c.repositories = [{ repository: c.github.repository, services: c.services }];
      delete c.github.repository;
      delete c.services;
    });
    const stack = synthPlatform(config).build;
    expect(resourceAt(stack, "aws_ecr_repository", "image-repositories/repository-shop-storefront").name).toBe("pipewright/shop-storefront");
    expect(resourceAt(stack, "aws_ecr_repository", "pr-image-repositories/repository-shop-storefront").name).toBe("pipewright-pr/shop-storefront");
  });

  it.each([
    ["without previews", () => build],
    ["with previews", () => withPreview],
    ["on the bootstrap apply", () => bootstrap],
  ])("passes the security rules %s", (_what, stack) => {
    expect(securityFindings(stack())).toEqual([]);
  });
});
