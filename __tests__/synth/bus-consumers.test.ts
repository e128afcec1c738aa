import { configWith, resourceAt, statement, statementsOf, synthPlatform } from "../support/synth";

describe("pr-pipelines and push-router on the GitHub bus", () => {
  const { build } = synthPlatform();
  const consumers = [
    ["pr-pipelines/pr-pipelines", "pull_request"],
    ["push-router/push-router", "push"],
  ] as const;

  it.each(consumers)("%s receives only %s events of the GitHub bus", (path, detailType) => {
    const rule = resourceAt(build, "aws_cloudwatch_event_rule", `${path}/rule`);
    expect(JSON.parse(rule.event_pattern)).toEqual({ source: ["pipewright.github"], "detail-type": [detailType] });
    expect(rule.event_bus_name).toMatch(/aws_cloudwatch_event_bus\.webhook_bus_\w+\.name/);
  });

  it.each(consumers)("%s retries, then dead-letters into an encrypted queue that raises an alarm", (path) => {
    const target = resourceAt(build, "aws_cloudwatch_event_target", `${path}/target`);
    expect(target.retry_policy).toEqual({ maximum_retry_attempts: 8, maximum_event_age_in_seconds: 3600 });
    expect(target.dead_letter_config.arn).toMatch(/aws_sqs_queue\.\S+_dlq_\w+\.arn/);
    const queue = resourceAt(build, "aws_sqs_queue", `${path}/dlq`);
    expect(queue.kms_master_key_id).toMatch(/aws_kms_key\.artifact-store_key_\w+\.arn/);
    const alarm = resourceAt(build, "aws_cloudwatch_metric_alarm", `${path}/dlq-alarm`);
    expect(alarm).toMatchObject({ metric_name: "ApproximateNumberOfMessagesVisible", threshold: 0, comparison_operator: "GreaterThanThreshold" });
    expect(alarm.alarm_actions[0]).toMatch(/aws_sns_topic\.alerts_topic_\w+\.arn/);
  });

  it.each(consumers)("%s may be invoked and dead-lettered only for its own rule", (path) => {
    const permission = resourceAt(build, "aws_lambda_permission", `${path}/invoke`);
    const ruleArn = expect.stringMatching(/^\$\{aws_cloudwatch_event_rule\.\S+_rule_\w+\.arn\}$/);
    expect(permission).toMatchObject({ principal: "events.amazonaws.com", source_arn: ruleArn });
    const queuePolicy = resourceAt(build, "aws_sqs_queue_policy", `${path}/dlq-policy`).policy;
    expect(statement(queuePolicy, "RuleDeadLetters").Condition.ArnEquals["aws:SourceArn"]).toEqual(ruleArn);
  });

  it("scopes the PR function to the service pipelines and their -pr- clones, passes only the PR pipeline role and cleans only the PR store", () => {
    const policy = resourceAt(build, "aws_iam_role_policy", "pr-pipelines/pr-pipelines/function/policy").policy;
    const arn = (name: string) => `arn:\${data.aws_partition.partition.partition}:codepipeline:\${data.aws_region.region.name}:111111111111:${name}`;
    expect(statement(policy, "ReadServicePipelines").Resource).toEqual([
      arn("pipewright-orders"),
      arn("pipewright-payments"),
      arn("pipewright-storefront"),
    ]);
    expect(statement(policy, "ManagePrPipelines").Resource).toEqual([
      arn("pipewright-orders-pr-*"),
      arn("pipewright-payments-pr-*"),
      arn("pipewright-storefront-pr-*"),
    ]);
    expect(statement(policy, "PassPrPipelineRole")).toMatchObject({
      Resource: expect.stringMatching(/^\$\{aws_iam_role\.pr-pipeline-roles_pipeline_\w+\.arn\}$/),
      Condition: { StringEquals: { "iam:PassedToService": "codepipeline.amazonaws.com" } },
    });
    expect(policy).not.toMatch(/aws_iam_role\.pipeline-roles_/);
    expect(statement(policy, "DeletePrArtifacts").Resource).toMatch(/^arn:\S+:s3:::\$\{aws_s3_bucket\.pr-artifact-store_bucket_\w+\.bucket\}\/\*$/);
    expect(policy).not.toMatch(/aws_s3_bucket\.artifact-store_/);
  });

  it("tells the PR function which of main's identities to replace with which of the pull requests'", () => {
    const fn = resourceAt(build, "aws_lambda_function", "pr-pipelines/pr-pipelines/function/function");
    const identities = JSON.parse(fn.environment.variables.PR_IDENTITIES);
    expect(identities).toEqual({
      pipelineRole: {
        main: expect.stringMatching(/aws_iam_role\.pipeline-roles_pipeline_\w+\.arn/),
        pr: expect.stringMatching(/aws_iam_role\.pr-pipeline-roles_pipeline_\w+\.arn/),
      },
      artifactStore: {
        main: {
          bucket: expect.stringMatching(/aws_s3_bucket\.artifact-store_bucket_/),
          keyArn: expect.stringMatching(/aws_kms_key\.artifact-store_key_/),
        },
        pr: {
          bucket: expect.stringMatching(/aws_s3_bucket\.pr-artifact-store_bucket_/),
          keyArn: expect.stringMatching(/aws_kms_key\.pr-artifact-store_key_/),
        },
      },
      project: "pipewright",
      deployRoles: {
        "arn:${data.aws_partition.partition.partition}:iam::222222222222:role/pipewright-deploy":
          "arn:${data.aws_partition.partition.partition}:iam::222222222222:role/pipewright-preview-deploy",
      },
      cloudFormationRoles: {
        "arn:${data.aws_partition.partition.partition}:iam::222222222222:role/pipewright-cfn-exec":
          "arn:${data.aws_partition.partition.partition}:iam::222222222222:role/pipewright-preview-cfn-exec",
      },
    });
  });

  it("lets the PR function read exactly the GitHub token secret, decrypting it only through Secrets Manager", () => {
    const fn = resourceAt(build, "aws_lambda_function", "pr-pipelines/pr-pipelines/function/function");
    const secret = /^\$\{aws_secretsmanager_secret\.github_token_\w+\.arn\}$/;
    expect(fn.environment.variables.GITHUB_TOKEN_SECRET_ARN).toMatch(secret);
    expect(fn.environment.variables).not.toHaveProperty("GITHUB_API_URL");
    const policy = resourceAt(build, "aws_iam_role_policy", "pr-pipelines/pr-pipelines/function/policy").policy;
    expect(statement(policy, "ReadGitHubToken")).toEqual({
      Sid: "ReadGitHubToken",
      Effect: "Allow",
      Action: "secretsmanager:GetSecretValue",
      Resource: expect.stringMatching(secret),
    });
    expect(statement(policy, "ReadGitHubToken").Resource).toBe(fn.environment.variables.GITHUB_TOKEN_SECRET_ARN);
    const key = resourceAt(build, "aws_kms_key", "artifact-store/key").policy;
    const role = [expect.stringMatching(/^\$\{aws_iam_role\.pr-pipelines_function_role_\w+\.arn\}$/)];
    const via = (service: string) => ({ StringEquals: { "kms:ViaService": [`${service}.\${data.aws_region.region.name}.amazonaws.com`] } });
    expect(statement(key, "PrPipelinesToken")).toMatchObject({ Principal: { AWS: role }, Condition: via("secretsmanager") });
    expect(statement(key, "PrPipelinesState")).toMatchObject({ Principal: { AWS: role }, Condition: via("dynamodb") });
  });

  it("hands pr-pipelines the cap, and the repositories only through the bundled catalog", () => {
    const fn = resourceAt(build, "aws_lambda_function", "pr-pipelines/pr-pipelines/function/function");
    expect(fn.environment.variables.MAX_PR_PIPELINES).toBe("300");
    for (const variable of ["SERVICE_PIPELINES", "GITHUB_REPOSITORY", "FORK_LABEL"]) expect(fn.environment.variables).not.toHaveProperty(variable);
    const limited = synthPlatform(configWith((c) => (c.limits = { maxPullRequestPipelines: 40 })));
    expect(
      resourceAt(limited.build, "aws_lambda_function", "pr-pipelines/pr-pipelines/function/function").environment.variables.MAX_PR_PIPELINES,
    ).toBe("40");
  });

  it("keeps PR state in a table with TTL, point-in-time recovery and the platform key", () => {
    const table = resourceAt(build, "aws_dynamodb_table", "pr-pipelines/state");
    expect(table).toMatchObject({
      hash_key: "pk",
      ttl: { attribute_name: "expiresAt", enabled: true },
      point_in_time_recovery: { enabled: true },
      server_side_encryption: { enabled: true },
    });
  });

  it("lets the push router start only the service pipelines; the routing table travels in its repository catalog, not its environment", () => {
    const policy = resourceAt(build, "aws_iam_role_policy", "push-router/push-router/function/policy").policy;
    const arn = (name: string) => `arn:\${data.aws_partition.partition.partition}:codepipeline:\${data.aws_region.region.name}:111111111111:${name}`;
    expect(statement(policy, "StartServicePipelines").Resource).toEqual([
      arn("pipewright-orders"),
      arn("pipewright-payments"),
      arn("pipewright-storefront"),
    ]);
    const fn = resourceAt(build, "aws_lambda_function", "push-router/push-router/function/function");
    expect(Object.keys(fn.environment.variables).sort()).toEqual([
      "GITHUB_TOKEN_SECRET_ARN",
      "NODE_OPTIONS",
      "PUSH_STATE_TABLE",
      "SOURCE_ACTION_NAME",
    ]);
  });

  it("lets the push router start exactly every repository's main pipelines when it serves many", () => {
    const config = configWith((raw) => {
      raw.repositories = [
        { repository: raw.github.repository, services: raw.services },
        {
          repository: "example-org/billing",
          mainBranch: "release",
          services: [{ name: "invoices", include: ["invoices/**"], buildspec: "invoices/buildspec.yml", template: "invoices/template.yaml" }],
        },
      ];
      delete raw.github.repository;
      delete raw.services;
    });
    const policy = resourceAt(synthPlatform(config).build, "aws_iam_role_policy", "push-router/push-router/function/policy").policy;
    const arn = (name: string) => `arn:\${data.aws_partition.partition.partition}:codepipeline:\${data.aws_region.region.name}:111111111111:${name}`;
    expect(statement(policy, "StartServicePipelines").Resource).toEqual([
      arn("pipewright-shop-orders"),
      arn("pipewright-shop-payments"),
      arn("pipewright-shop-storefront"),
      arn("pipewright-billing-invoices"),
    ]);
  });

  it("keeps push state in a table keyed by pipeline, with point-in-time recovery, the platform key and deletion protection", () => {
    const table = resourceAt(build, "aws_dynamodb_table", "push-router/state");
    expect(table).toMatchObject({
      name: "pipewright-push-state",
      billing_mode: "PAY_PER_REQUEST",
      hash_key: "pipeline",
      attribute: [{ name: "pipeline", type: "S" }],
      point_in_time_recovery: { enabled: true },
      server_side_encryption: { enabled: true, kms_key_arn: expect.stringMatching(/^\$\{aws_kms_key\.artifact-store_key_\w+\.arn\}$/) },
      deletion_protection_enabled: true,
    });
    expect(table.ttl).toBeUndefined();
    const fn = resourceAt(build, "aws_lambda_function", "push-router/push-router/function/function");
    expect(fn.environment.variables.PUSH_STATE_TABLE).toMatch(/^\$\{aws_dynamodb_table\.push-router_state_\w+\.name\}$/);
  });

  it("lets the push router only update items of its own table, and use the key only through DynamoDB", () => {
    const policy = resourceAt(build, "aws_iam_role_policy", "push-router/push-router/function/policy").policy;
    expect(statement(policy, "PushState")).toEqual({
      Sid: "PushState",
      Effect: "Allow",
      Action: "dynamodb:UpdateItem",
      Resource: expect.stringMatching(/^\$\{aws_dynamodb_table\.push-router_state_\w+\.arn\}$/),
    });
    expect(statementsOf(policy).filter((s: any) => JSON.stringify(s.Action).includes("dynamodb:"))).toHaveLength(1);
    const role = expect.stringMatching(/^\$\{aws_iam_role\.push-router_function_role_\w+\.arn\}$/);
    const viaDynamoDb = { StringEquals: { "kms:ViaService": ["dynamodb.${data.aws_region.region.name}.amazonaws.com"] } };
    const key = resourceAt(build, "aws_kms_key", "artifact-store/key").policy;
    expect(statement(key, "PushRouterState")).toMatchObject({ Principal: { AWS: [role] }, Condition: viaDynamoDb });
    const rolePolicy = resourceAt(build, "aws_iam_role_policy", "artifact-store/PushRouterState-0");
    expect(rolePolicy.role).toMatch(/aws_iam_role\.push-router_function_role_\w+\.name/);
    expect(statement(rolePolicy.policy, "PlatformKey")).toMatchObject({
      Resource: expect.stringMatching(/aws_kms_key\.artifact-store_key_\w+\.arn/),
      Condition: viaDynamoDb,
    });
  });
});
