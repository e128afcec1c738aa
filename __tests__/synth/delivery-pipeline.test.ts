import { configWith, resourceAt, statement, statementsOf, synthPlatform } from "../support/synth";

describe("DeliveryPipeline in the build stack", () => {
  const { build } = synthPlatform();
  const pipeline = resourceAt(build, "aws_codepipeline", "pipeline-orders/pipeline");
  const stage = (name: string) => pipeline.stage.find((s: any) => s.name === name);
  const action = (stageName: string, actionName: string) => stage(stageName).action.find((a: any) => a.name === actionName);
  const partitioned = (account: string, role: string) => `arn:\${data.aws_partition.partition.partition}:iam::${account}:role/${role}`;

  it("is a V2 pipeline in QUEUED mode with artifacts encrypted by the platform key", () => {
    expect(pipeline).toMatchObject({ name: "pipewright-orders", pipeline_type: "V2", execution_mode: "QUEUED" });
    expect(pipeline.artifact_store[0]).toMatchObject({ type: "S3", encryption_key: { type: "KMS" } });
    expect(pipeline.artifact_store[0].encryption_key.id).toMatch(/aws_kms_key\.artifact-store_key_\w+\.arn/);
  });

  it("runs source, build, dev, integration tests, then prod, in that order", () => {
    expect(pipeline.stage.map((s: any) => s.name)).toEqual(["Source", "Build", "Dev", "IntegrationTests", "Prod"]);
  });

  it("takes the main branch through the GitHub connection, as a full clone, without change detection", () => {
    expect(action("Source", "Source")).toMatchObject({
      provider: "CodeStarSourceConnection",
      output_artifacts: ["SourceOutput"],
      configuration: {
        ConnectionArn: "arn:aws:codeconnections:eu-west-1:111111111111:connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
        FullRepositoryId: "example-org/shop",
        BranchName: "main",
        DetectChanges: "false",
        OutputArtifactFormat: "CODEBUILD_CLONE_REF",
      },
    });
  });

  it("deploys dev through a change set, acting as the dev deploy role with the dev execution role", () => {
    const create = action("Dev", "CreateChangeSet");
    expect(create).toMatchObject({
      provider: "CloudFormation",
      run_order: 1,
      role_arn: partitioned("222222222222", "pipewright-deploy"),
      configuration: {
        ActionMode: "CHANGE_SET_REPLACE",
        StackName: "pipewright-orders-dev",
        RoleArn: partitioned("222222222222", "pipewright-cfn-exec"),
        TemplatePath: "BuildOutput::packaged.yaml",
        TemplateConfiguration: "BuildOutput::dev.json",
      },
    });
    expect(action("Dev", "ExecuteChangeSet")).toMatchObject({
      run_order: 2,
      namespace: "DevStack",
      configuration: { ActionMode: "CHANGE_SET_EXECUTE" },
    });
  });

  it("hands the dev API URL to the integration tests through pipeline variables", () => {
    const tests = action("IntegrationTests", "IntegrationTests");
    expect(JSON.parse(tests.configuration.EnvironmentVariables)).toEqual([{ name: "API_URL", value: "#{DevStack.ApiUrl}", type: "PLAINTEXT" }]);
  });

  it("creates the prod change set, waits for approval, then executes it, in the prod account", () => {
    const prod = stage("Prod").action.map((a: any) => [a.name, a.run_order]);
    expect(prod).toEqual([
      ["CreateChangeSet", 1],
      ["Approve", 2],
      ["ExecuteChangeSet", 3],
    ]);
    expect(action("Prod", "CreateChangeSet").role_arn).toBe(partitioned("333333333333", "pipewright-deploy"));
    expect(action("Prod", "CreateChangeSet").configuration.RoleArn).toBe(partitioned("333333333333", "pipewright-cfn-exec"));
    const approve = action("Prod", "Approve");
    expect(approve).toMatchObject({ category: "Approval", provider: "Manual" });
    expect(approve.configuration.NotificationArn).toMatch(/aws_sns_topic\.approvals_topic_\w+\.arn/);
    expect(approve.configuration.CustomData).toContain("pipewright-orders-prod in account 333333333333");
    expect(approve.configuration.ExternalEntityLink).toMatch(
      /^https:\/\/\$\{data\.aws_region\.region\.name\}\.\$\{lookup\(.*\)\}\/cloudformation\/home\?region=\$\{data\.aws_region\.region\.name\}#\/stacks\?filteringText=pipewright-orders-prod/,
    );
  });

  it("grants approvers PutApprovalResult on exactly each pipeline's approval action ARN", () => {
    const policy = resourceAt(build, "aws_iam_policy", "approvals/policy").policy;
    expect(statement(policy, "ApproveProd").Resource).toEqual([
      expect.stringMatching(/^\$\{aws_codepipeline\.pipeline-orders_pipeline_\w+\.arn\}\/Prod\/Approve$/),
      expect.stringMatching(/^\$\{aws_codepipeline\.pipeline-payments_pipeline_\w+\.arn\}\/Prod\/Approve$/),
      expect.stringMatching(/^\$\{aws_codepipeline\.pipeline-storefront_pipeline_\w+\.arn\}\/Prod\/Approve$/),
    ]);
    expect(resourceAt(build, "aws_iam_group", "approvals/group").name).toBe("pipewright-approvers");
  });

  it("attaches the approver policy to configured users and roles by name", () => {
    const { build: withPrincipals } = synthPlatform(
      configWith((c) => {
        c.approvers = { principalArns: ["arn:aws:iam::111111111111:user/alice", "arn:aws:iam::111111111111:role/team/release-managers"] };
      }),
    );
    expect(resourceAt(withPrincipals, "aws_iam_user_policy_attachment", "approvals/user-0").user).toBe("alice");
    expect(resourceAt(withPrincipals, "aws_iam_role_policy_attachment", "approvals/role-1").role).toBe("release-managers");
  });

  it("builds on small ARM CodeBuild, encrypted, unprivileged, with log retention", () => {
    const project = resourceAt(build, "aws_codebuild_project", "pipeline-orders/build");
    expect(project).toMatchObject({
      name: "pipewright-orders-build",
      environment: { type: "ARM_CONTAINER", compute_type: "BUILD_GENERAL1_SMALL", privileged_mode: false },
      source: { type: "CODEPIPELINE", buildspec: "services/orders/buildspec.yml" },
      logs_config: { cloudwatch_logs: { status: "ENABLED" } },
    });
    expect(project.encryption_key).toMatch(/aws_kms_key\.artifact-store_key_\w+\.arn/);
    expect(resourceAt(build, "aws_cloudwatch_log_group", "pipeline-orders/build-logs").retention_in_days).toBe(30);
  });

  it("lets the pipeline role start exactly its builds, use the connection and announce approvals", () => {
    const policy = resourceAt(build, "aws_iam_role_policy", "pipeline-actions").policy;
    expect(statement(policy, "RunBuilds").Resource).toHaveLength(6);
    expect(statement(policy, "AnnounceApprovals").Resource).toMatch(/aws_sns_topic\.approvals_topic_\w+\.arn/);
  });

  it("builds the pull requests' twins of each project with the same buildspec, as the PR CodeBuild role, with the PR store", () => {
    const main = resourceAt(build, "aws_codebuild_project", "pipeline-orders/build");
    const pr = resourceAt(build, "aws_codebuild_project", "pipeline-orders/pr-build");
    expect(pr.name).toBe("pipewright-pr-orders-build");
    expect(pr.source).toEqual(main.source);
    expect(pr.service_role).toMatch(/^\$\{aws_iam_role\.pr-pipeline-roles_codebuild_\w+\.arn\}$/);
    expect(main.service_role).toMatch(/^\$\{aws_iam_role\.pipeline-roles_codebuild_\w+\.arn\}$/);
    expect(pr.encryption_key).toMatch(/aws_kms_key\.pr-artifact-store_key_\w+\.arn/);
    const variables = Object.fromEntries(pr.environment.environment_variable.map((v: any) => [v.name, v.value]));
    expect(variables.ARTIFACT_BUCKET).toMatch(/aws_s3_bucket\.pr-artifact-store_bucket_\w+\.bucket/);
    expect(variables.ARTIFACT_KEY_ARN).toMatch(/aws_kms_key\.pr-artifact-store_key_\w+\.arn/);
    expect(resourceAt(build, "aws_codebuild_project", "pipeline-orders/pr-integration-tests").name).toBe("pipewright-pr-orders-integration-tests");
    expect(resourceAt(build, "aws_cloudwatch_log_group", "pipeline-orders/pr-build-logs").name).toBe("/aws/codebuild/pipewright-pr-orders-build");
  });

  it("lets each CodeBuild role be assumed only by its own projects and write only their logs and reports", () => {
    const trust = (path: string) => statementsOf(resourceAt(build, "aws_iam_role", path).assume_role_policy)[0].Condition.ArnLike["aws:SourceArn"];
    const project = (name: string) =>
      `arn:\${data.aws_partition.partition.partition}:codebuild:\${data.aws_region.region.name}:111111111111:project/${name}`;
    expect(trust("pr-pipeline-roles/codebuild")).toEqual(
      [
        "pipewright-pr-orders-build",
        "pipewright-pr-orders-integration-tests",
        "pipewright-pr-payments-build",
        "pipewright-pr-payments-integration-tests",
        "pipewright-pr-storefront-build",
        "pipewright-pr-storefront-integration-tests",
      ].map(project),
    );
    expect(trust("pipeline-roles/codebuild")).toEqual(
      [
        "pipewright-orders-build",
        "pipewright-orders-integration-tests",
        "pipewright-payments-build",
        "pipewright-payments-integration-tests",
        "pipewright-storefront-build",
        "pipewright-storefront-integration-tests",
      ].map(project),
    );
    const logs = statement(resourceAt(build, "aws_iam_role_policy", "pr-pipeline-roles/codebuild-logs").policy, "BuildLogs").Resource as string[];
    expect(logs.every((arn) => arn.includes(":log-group:/aws/codebuild/pipewright-pr-"))).toBe(true);
    const reports = statement(resourceAt(build, "aws_iam_role_policy", "pipeline-roles/codebuild-logs").policy, "TestReports").Resource as string[];
    expect(reports.some((arn) => arn.includes("report-group/pipewright-pr-"))).toBe(false);
  });

  it("lets the PR pipeline role start only the PR projects, and use the connection read-only for the repository", () => {
    const policy = resourceAt(build, "aws_iam_role_policy", "pr-pipeline-actions").policy;
    expect(statement(policy, "RunBuilds").Resource).toEqual([
      expect.stringMatching(/aws_codebuild_project\.pipeline-orders_pr-build_\w+\.arn/),
      expect.stringMatching(/aws_codebuild_project\.pipeline-orders_pr-integration-tests_\w+\.arn/),
      expect.stringMatching(/aws_codebuild_project\.pipeline-payments_pr-build_\w+\.arn/),
      expect.stringMatching(/aws_codebuild_project\.pipeline-payments_pr-integration-tests_\w+\.arn/),
      expect.stringMatching(/aws_codebuild_project\.pipeline-storefront_pr-build_\w+\.arn/),
      expect.stringMatching(/aws_codebuild_project\.pipeline-storefront_pr-integration-tests_\w+\.arn/),
    ]);
    expect(policy).not.toContain("sns:Publish");
    expect(statement(policy, "UseGitHubConnection").Condition).toEqual({
      StringEqualsIgnoreCase: { "codeconnections:FullRepositoryId": "example-org/shop" },
      StringEquals: { "codeconnections:ProviderPermissionsRequired": "read_only" },
    });
    expect(statement(policy, "UseGitHubConnectionLegacy").Action).toBe("codestar-connections:UseConnection");
  });

  it("leaves out the integration-test stage when a service has no integration buildspec", () => {
    const { build: noTests } = synthPlatform(configWith((c) => delete c.services[0].integrationTestsBuildspec));
    const stages = resourceAt(noTests, "aws_codepipeline", "pipeline-orders/pipeline").stage.map((s: any) => s.name);
    expect(stages).toEqual(["Source", "Build", "Dev", "Prod"]);
  });
});
