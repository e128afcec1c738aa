import { resourceAt, statement, synthPlatform } from "../support/synth";

describe("TrafficHooks in the dev and prod stacks", () => {
  const { dev, prod } = synthPlatform();

  it.each([
    ["dev", dev],
    ["prod", prod],
  ])("names both hooks CodeDeployHook_<project>-* in %s, so CodeDeploy's managed role may invoke them", (_name, stack) => {
    expect(resourceAt(stack, "aws_lambda_function", "traffic-hooks/pre-traffic/function").function_name).toBe(
      "CodeDeployHook_pipewright-pre-traffic",
    );
    expect(resourceAt(stack, "aws_lambda_function", "traffic-hooks/post-traffic/function").function_name).toBe(
      "CodeDeployHook_pipewright-post-traffic",
    );
  });

  it("lets the hooks report only for the applications' deployment groups", () => {
    const policy = resourceAt(dev, "aws_iam_role_policy", "traffic-hooks/pre-traffic/policy").policy;
    expect(statement(policy, "ReportHookStatus")).toMatchObject({
      Action: ["codedeploy:GetDeployment", "codedeploy:PutLifecycleEventHookExecutionStatus"],
      Resource: [
        "arn:${data.aws_partition.partition.partition}:codedeploy:${data.aws_region.region.name}:222222222222:deploymentgroup:pipewright-orders-*/*",
        "arn:${data.aws_partition.partition.partition}:codedeploy:${data.aws_region.region.name}:222222222222:deploymentgroup:pipewright-payments-*/*",
        "arn:${data.aws_partition.partition.partition}:codedeploy:${data.aws_region.region.name}:222222222222:deploymentgroup:pipewright-storefront-*/*",
      ],
    });
    expect(statement(policy, "InvokeNewVersions").Resource[0]).toMatch(/:function:pipewright-orders-\*:\*$/);
  });

  it.each(["pre-traffic", "post-traffic"])("lets %s read the AppSpec only from the applications' CodeDeploy applications", (hook) => {
    const policy = resourceAt(dev, "aws_iam_role_policy", `traffic-hooks/${hook}/policy`).policy;
    expect(statement(policy, "ReadAppSpec")).toMatchObject({
      Action: "codedeploy:GetApplicationRevision",
      Resource: [
        "arn:${data.aws_partition.partition.partition}:codedeploy:${data.aws_region.region.name}:222222222222:application:pipewright-orders-*",
        "arn:${data.aws_partition.partition.partition}:codedeploy:${data.aws_region.region.name}:222222222222:application:pipewright-payments-*",
        "arn:${data.aws_partition.partition.partition}:codedeploy:${data.aws_region.region.name}:222222222222:application:pipewright-storefront-*",
      ],
    });
  });

  it("gives post-traffic its limits and just what it needs to find the live endpoint", () => {
    const fn = resourceAt(prod, "aws_lambda_function", "traffic-hooks/post-traffic/function");
    expect(fn.environment.variables).toMatchObject({ HEALTH_PATH: "/health", POST_TRAFFIC_REQUESTS: "10", MAX_LATENCY_MS: "1000" });
    expect(fn.timeout).toBe(120);
    const policy = resourceAt(prod, "aws_iam_role_policy", "traffic-hooks/post-traffic/policy").policy;
    expect(statement(policy, "FindApplicationStack").Action).toEqual(["lambda:GetFunction", "lambda:ListTags"]);
    expect(statement(policy, "ReadApiUrl").Action).toBe("cloudformation:DescribeStacks");
  });
});
