import { NOTIFIER_EVENT_PATTERN } from "../../functions/shared/codepipeline-events";
import { configWith, resourceAt, statement, synthPlatform } from "../support/synth";

describe("notifications and the reconciler in the build stack", () => {
  const { build } = synthPlatform();

  it("routes the platform pipelines' state changes on the default bus to the notifier", () => {
    const rule = resourceAt(build, "aws_cloudwatch_event_rule", "notifications/notifier/rule");
    expect(rule.event_bus_name).toBeUndefined();
    expect(JSON.parse(rule.event_pattern)).toEqual(NOTIFIER_EVENT_PATTERN("pipewright-"));
    const target = resourceAt(build, "aws_cloudwatch_event_target", "notifications/notifier/target");
    expect(target.dead_letter_config.arn).toMatch(/aws_sqs_queue\.notifications_notifier_dlq_\w+\.arn/);
  });

  it("publishes to an encrypted topic with the configured addresses, and notifies the configured states", () => {
    const topic = resourceAt(build, "aws_sns_topic", "notifications/topic");
    expect(topic).toMatchObject({ name: "pipewright-notifications" });
    expect(topic.kms_master_key_id).toMatch(/aws_kms_key\.artifact-store_key_\w+\.arn/);
    expect(resourceAt(build, "aws_sns_topic_subscription", "notifications/email-0")).toMatchObject({
      protocol: "email",
      endpoint: "platform-team@example.com",
    });
    const fn = resourceAt(build, "aws_lambda_function", "notifications/notifier/function");
    expect(fn.environment.variables).toMatchObject({ NOTIFY_STATES: "FAILED,APPROVAL_WAITING,RECOVERED", PIPELINE_PREFIX: "pipewright-" });
    expect(fn.environment.variables.SLACK_WEBHOOK_SECRET_ARN).toMatch(/aws_secretsmanager_secret\.notifications_slack-webhook_\w+\.arn/);
  });

  it("tells the notifier its repositories through the bundled catalog only, not its environment", () => {
    const fn = resourceAt(build, "aws_lambda_function", "notifications/notifier/function");
    expect(Object.keys(fn.environment.variables).sort()).toEqual([
      "GITHUB_TOKEN_SECRET_ARN",
      "NODE_OPTIONS",
      "NOTIFY_STATES",
      "PIPELINE_PREFIX",
      "SLACK_WEBHOOK_SECRET_ARN",
      "TOPIC_ARN",
    ]);
  });

  it("creates no Slack secret unless configured", () => {
    const { build: quiet } = synthPlatform(configWith((c) => (c.notifications.slack = false)));
    expect(Object.keys(quiet.resource.aws_secretsmanager_secret)).not.toContainEqual(expect.stringMatching(/slack/));
    const fn = resourceAt(quiet, "aws_lambda_function", "notifications/notifier/function");
    expect(fn.environment.variables.SLACK_WEBHOOK_SECRET_ARN).toBeUndefined();
  });

  it("lets the notifier read only the platform's pipelines and publish only to its topic", () => {
    const policy = resourceAt(build, "aws_iam_role_policy", "notifications/notifier/function/policy").policy;
    expect(statement(policy, "ReadExecutions").Resource).toBe(
      "arn:${data.aws_partition.partition.partition}:codepipeline:${data.aws_region.region.name}:111111111111:pipewright-*",
    );
    expect(statement(policy, "Notify").Resource).toMatch(/aws_sns_topic\.notifications_topic_\w+\.arn/);
  });

  it("runs the reconciler on the configured schedule, one at a time, with its settings", () => {
    const rule = resourceAt(build, "aws_cloudwatch_event_rule", "reconciler/reconciler/rule");
    expect(rule.schedule_expression).toBe("rate(15 minutes)");
    const fn = resourceAt(build, "aws_lambda_function", "reconciler/reconciler/function");
    expect(fn.reserved_concurrent_executions).toBe(1);
    expect(fn.environment.variables).toMatchObject({ IDLE_DAYS: "14", CREATE_MISSING: "false", DRY_RUN: "false", MAX_PR_PIPELINES: "300" });
    // The repositories come from the bundled catalog, not from the environment.
    expect(fn.environment.variables).not.toHaveProperty("SERVICE_PIPELINES");
    expect(fn.environment.variables).not.toHaveProperty("GITHUB_REPOSITORY");
    expect(fn.environment.variables).not.toHaveProperty("FORK_LABEL");
    expect(fn.environment.variables.PR_STATE_TABLE).toMatch(/^\$\{aws_dynamodb_table\.pr-pipelines_state_\w+\.name\}$/);
    const custom = synthPlatform(configWith((c) => (c.reconciler = { schedule: "rate(1 hour)", dryRun: true })));
    expect(resourceAt(custom.build, "aws_cloudwatch_event_rule", "reconciler/reconciler/rule").schedule_expression).toBe("rate(1 hour)");
    expect(resourceAt(custom.build, "aws_lambda_function", "reconciler/reconciler/function").environment.variables.DRY_RUN).toBe("true");
  });

  it("lets the reconciler repair through the GitHub bus and touch only -pr- pipelines", () => {
    const policy = resourceAt(build, "aws_iam_role_policy", "reconciler/reconciler/function/policy").policy;
    expect(statement(policy, "RequestRepairs").Resource).toMatch(/aws_cloudwatch_event_bus\.webhook_bus_\w+\.arn/);
    expect(statement(policy, "InspectAndRemovePrPipelines").Resource).toEqual([
      expect.stringMatching(/:pipewright-orders-pr-\*$/),
      expect.stringMatching(/:pipewright-payments-pr-\*$/),
      expect.stringMatching(/:pipewright-storefront-pr-\*$/),
    ]);
    // The capacity ledger: read, and waiting pull requests that closed taken out of it.
    expect(statement(policy, "CapacityLedger")).toMatchObject({
      Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
      Resource: expect.stringMatching(/^\$\{aws_dynamodb_table\.pr-pipelines_state_\w+\.arn\}$/),
    });
  });
});
