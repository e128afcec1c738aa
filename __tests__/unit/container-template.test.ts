/**
 * The container sample (templates/container/): the CloudFormation template is
 * cfn-lint clean and keeps the contract pipewright's build and roles rely on
 * (parameters, pull role as execution role, boundary, names, tags, ApiUrl), a
 * deployment rolls back by circuit breaker and alarms, the network admits the
 * internet only to the load balancer, and the service passes its own tests and
 * its integration tests against a local run.
 *
 * Needs cfn-lint (pip install cfn-lint); YAML is read through its loader (__tests__/support/cfn-template.ts).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { cfnLint, describeFindings, type Json, parseTemplate, ROOT, readYaml, runNodeAsync } from "../support/cfn-template";

const APP_DIR = path.join(ROOT, "templates/container");
const TEMPLATE = path.join(APP_DIR, "template.yaml");
const INTEGRATION_BUILDSPEC = path.join(APP_DIR, "buildspec-integration.yml");

const STACK = "acme-shop-orders-dev";
const ACCOUNT = "111122223333";
const PROJECT = "acme-shop";
const IMAGE = `444455556666.dkr.ecr.eu-west-1.amazonaws.com/${PROJECT}/orders@sha256:${"0123456789abcdef".repeat(4)}`;
const STACK_TAG = { Key: "pipewright:stack", Value: { Ref: "AWS::StackName" } };
const ENVIRONMENTS = ["dev", "prod", "pr"] as const;
type Environment = (typeof ENVIRONMENTS)[number];

/** What the build's dev.json, prod.json and pr.json pass (contract 16). */
function parametersFor(environment: Environment): Record<string, string> {
  return {
    ImageUri: IMAGE,
    Environment: environment,
    ProjectName: PROJECT,
    LogRetentionDays: "14",
    VpcId: `/${PROJECT}/network/vpc-id`,
    SubnetIds: `/${PROJECT}/network/subnet-ids`,
  };
}

let template: Json;

beforeAll(() => {
  template = parseTemplate(TEMPLATE);
});

/**
 * The value CloudFormation would use, for a stack deployed with these parameters:
 * Ref to parameters and pseudo parameters, Fn::Sub, Fn::If and Fn::Equals resolved;
 * references to resources (Ref, GetAtt, ${Resource.Attribute}) left as they are.
 */
function resolve(value: unknown, environment: Environment): any {
  const parameters = parametersFor(environment);
  const pseudo: Record<string, string> = {
    "AWS::StackName": STACK,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": "aws",
    "AWS::Region": "eu-west-1",
  };
  const known = (name: string): string | undefined => parameters[name] ?? pseudo[name];
  const condition = (name: string): boolean => {
    const [left, right] = template.Conditions[name]["Fn::Equals"] as unknown[];
    return resolve(left, environment) === resolve(right, environment);
  };
  if (Array.isArray(value)) return value.map((item) => resolve(item, environment));
  if (typeof value !== "object" || value === null) return value;
  const object = value as Json;
  if (typeof object.Ref === "string") return known(object.Ref) ?? object;
  if (typeof object["Fn::Sub"] === "string") {
    return (object["Fn::Sub"] as string).replace(/\$\{([^}]+)\}/g, (whole, name: string) => known(name) ?? whole);
  }
  if (Array.isArray(object["Fn::If"])) {
    const [name, whenTrue, whenFalse] = object["Fn::If"];
    return resolve(condition(name) ? whenTrue : whenFalse, environment);
  }
  return Object.fromEntries(Object.entries(object).map(([key, item]) => [key, resolve(item, environment)]));
}

const resources = (): [string, Json][] => Object.entries(template.Resources as Json);
const ofType = (type: string): [string, Json][] => resources().filter(([, resource]) => resource.Type === type);
const properties = (id: string): Json => template.Resources[id].Properties;

function only(type: string): [string, Json] {
  const found = ofType(type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.map(([id]) => id).join(", ") || "none"}`);
  return found[0]!;
}

describe("templates/container/template.yaml", () => {
  it("has no cfn-lint findings (errors, warnings or informational)", () => {
    const { status, findings } = cfnLint(TEMPLATE);
    if (findings.length > 0) throw new Error(`cfn-lint found ${findings.length} problem(s) in ${TEMPLATE}:\n${describeFindings(findings)}`);
    expect(status).toBe(0);
    expect(template.Transform).toBeUndefined();
  });

  it("takes exactly the contract's parameters, the network ones resolved from SSM", () => {
    expect(Object.keys(template.Parameters)).toEqual(["ImageUri", "Environment", "ProjectName", "LogRetentionDays", "VpcId", "SubnetIds"]);
    expect(template.Parameters.VpcId.Type).toBe("AWS::SSM::Parameter::Value<AWS::EC2::VPC::Id>");
    expect(template.Parameters.SubnetIds.Type).toBe("AWS::SSM::Parameter::Value<List<AWS::EC2::Subnet::Id>>");
    expect(template.Parameters.Environment.AllowedValues).toEqual(["dev", "prod", "pr"]);
    // No default image: a deployment without one must fail, not run something else.
    expect(template.Parameters.ImageUri.Default).toBeUndefined();
  });

  it.each(ENVIRONMENTS)("accepts what the build passes for %s", (environment) => {
    for (const [name, value] of Object.entries(parametersFor(environment))) {
      const parameter = template.Parameters[name];
      if (parameter.AllowedValues) expect(parameter.AllowedValues.map(String)).toContain(value);
      if (parameter.AllowedPattern) expect(value).toMatch(new RegExp(parameter.AllowedPattern));
    }
  });

  it("takes the image only by digest, never by tag", () => {
    const pattern = new RegExp(template.Parameters.ImageUri.AllowedPattern);
    const digest = `sha256:${"ab".repeat(32)}`;
    expect(IMAGE).toMatch(pattern);
    expect(`123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/shop/orders@${digest}`).toMatch(pattern);
    for (const refused of [
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/orders:latest",
      `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/orders:abc123@${digest}`,
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/orders@sha256:abc",
      `public.ecr.aws/docker/library/node@${digest}`,
      `docker.io/library/node@${digest}`,
    ]) {
      expect(refused).not.toMatch(pattern);
    }
  });

  it.each([
    ["dev", `arn:aws:iam::${ACCOUNT}:role/${PROJECT}-image-pull`],
    ["prod", `arn:aws:iam::${ACCOUNT}:role/${PROJECT}-image-pull`],
    ["pr", `arn:aws:iam::${ACCOUNT}:role/${PROJECT}-preview-image-pull`],
  ] as const)("pulls the image in %s with %s, the task execution role", (environment, roleArn) => {
    const [id] = only("AWS::ECS::TaskDefinition");
    expect(resolve(properties(id).ExecutionRoleArn, environment)).toBe(roleArn);
  });

  it("gives the tasks a role of their own, named by CloudFormation and under the application boundary", () => {
    const [taskDefinition] = only("AWS::ECS::TaskDefinition");
    const [roleId, role] = only("AWS::IAM::Role");
    expect(properties(taskDefinition).TaskRoleArn).toEqual({ "Fn::GetAtt": [roleId, "Arn"] });
    expect(resolve(role.Properties.PermissionsBoundary, "prod")).toBe(`arn:aws:iam::${ACCOUNT}:policy/${PROJECT}-application-boundary`);
    expect(role.Properties.RoleName).toBeUndefined();
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }),
    ]);
  });

  it("runs the image as an ARM64 Fargate task on port 8080 with ENVIRONMENT set", () => {
    const [id] = only("AWS::ECS::TaskDefinition");
    const task = resolve(properties(id), "pr");
    expect(task).toMatchObject({
      RequiresCompatibilities: ["FARGATE"],
      NetworkMode: "awsvpc",
      RuntimePlatform: { CpuArchitecture: "ARM64", OperatingSystemFamily: "LINUX" },
      Cpu: "256",
      Memory: "512",
    });
    expect(task.ContainerDefinitions).toHaveLength(1);
    const container = task.ContainerDefinitions[0];
    expect(container.Image).toBe(IMAGE);
    expect(container.PortMappings).toEqual([{ ContainerPort: 8080, Protocol: "tcp" }]);
    expect(container.Environment).toEqual(expect.arrayContaining([{ Name: "ENVIRONMENT", Value: "pr" }]));
  });

  it.each([
    ["dev", 1],
    ["pr", 1],
    ["prod", 2],
  ] as const)("runs in %s %i task(s), on public subnets with public IPs (no NAT gateway)", (environment, count) => {
    const [, service] = only("AWS::ECS::Service");
    const resolved = resolve(service.Properties, environment);
    expect(resolved.DesiredCount).toBe(count);
    expect(resolved.LaunchType).toBe("FARGATE");
    expect(resolved.NetworkConfiguration.AwsvpcConfiguration).toEqual({
      AssignPublicIp: "ENABLED",
      Subnets: parametersFor(environment).SubnetIds,
      SecurityGroups: [{ "Fn::GetAtt": ["TaskSecurityGroup", "GroupId"] }],
    });
  });

  it("rolls a failed deployment back: circuit breaker, and both alarms watched during the deployment", () => {
    const [, service] = only("AWS::ECS::Service");
    expect(service.Properties.DeploymentController).toEqual({ Type: "ECS" });
    const deployment = service.Properties.DeploymentConfiguration;
    expect(deployment).toMatchObject({
      MinimumHealthyPercent: 100,
      MaximumPercent: 200,
      DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      Alarms: { Enable: true, Rollback: true },
    });
    expect(service.Properties.HealthCheckGracePeriodSeconds).toEqual(expect.any(Number));
    // Ref of an alarm is its name.
    const alarmNames = (deployment.Alarms.AlarmNames as Json[]).map((ref) => resolve(properties(ref.Ref).AlarmName, "prod"));
    expect(alarmNames.sort()).toEqual([`${STACK}-http-5xx`, `${STACK}-unhealthy-targets`]);
    expect(ofType("AWS::CloudWatch::Alarm")).toHaveLength(2);
  });

  it("alarms on the tasks' 5xx and on unhealthy targets of this load balancer's target group", () => {
    const alarms: Record<string, Json> = Object.fromEntries(
      ofType("AWS::CloudWatch::Alarm").map(([, alarm]) => [resolve(alarm.Properties.AlarmName, "dev"), alarm.Properties]),
    );
    const [loadBalancer] = only("AWS::ElasticLoadBalancingV2::LoadBalancer");
    const [targetGroup] = only("AWS::ElasticLoadBalancingV2::TargetGroup");
    const dimensions = [
      { Name: "LoadBalancer", Value: { "Fn::GetAtt": [loadBalancer, "LoadBalancerFullName"] } },
      { Name: "TargetGroup", Value: { "Fn::GetAtt": [targetGroup, "TargetGroupFullName"] } },
    ];
    expect(alarms[`${STACK}-http-5xx`]).toMatchObject({ Namespace: "AWS/ApplicationELB", MetricName: "HTTPCode_Target_5XX_Count", Statistic: "Sum" });
    expect(alarms[`${STACK}-unhealthy-targets`]).toMatchObject({ Namespace: "AWS/ApplicationELB", MetricName: "UnHealthyHostCount" });
    for (const alarm of Object.values(alarms)) {
      expect(alarm.Dimensions).toEqual(expect.arrayContaining(dimensions));
      expect(alarm).toMatchObject({ ComparisonOperator: "GreaterThanThreshold", Threshold: 0, TreatMissingData: "notBreaching" });
    }
  });

  it("admits the internet only to the load balancer on port 80, and the tasks only from the load balancer's group on 8080", () => {
    const [loadBalancer, { Properties: balancer }] = only("AWS::ElasticLoadBalancingV2::LoadBalancer");
    expect(balancer.Scheme).toBe("internet-facing");
    expect(balancer.Subnets).toEqual({ Ref: "SubnetIds" });
    const [albGroupId] = balancer.SecurityGroups.map((group: Json) => group["Fn::GetAtt"][0]) as string[];
    const [serviceId, service] = only("AWS::ECS::Service");
    const [taskGroupId] = service.Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups.map(
      (group: Json) => group["Fn::GetAtt"][0],
    ) as string[];
    expect(albGroupId).toBeDefined();
    expect(taskGroupId).toBeDefined();
    expect(albGroupId).not.toBe(taskGroupId);

    // Every ingress rule, inline or separate, as "<group> <port> <source>".
    const groupOf = (ref: Json) => ref["Fn::GetAtt"]?.[0] ?? ref.Ref;
    const summary = (group: string, rule: Json) =>
      `${group} ${rule.IpProtocol}/${rule.FromPort}-${rule.ToPort} from ${rule.CidrIp ?? rule.CidrIpv6 ?? rule.SourcePrefixListId ?? groupOf(rule.SourceSecurityGroupId)}`;
    const ingress = [
      ...ofType("AWS::EC2::SecurityGroup").flatMap(([id, group]) =>
        (group.Properties.SecurityGroupIngress ?? []).map((rule: Json) => summary(id, rule)),
      ),
      ...ofType("AWS::EC2::SecurityGroupIngress").map(([, rule]) => summary(groupOf(rule.Properties.GroupId), rule.Properties)),
    ];
    expect(ingress.sort()).toEqual([`${albGroupId} tcp/80-80 from 0.0.0.0/0`, `${taskGroupId} tcp/8080-8080 from ${albGroupId}`].sort());
    // The load balancer's only egress: to the tasks.
    expect(properties(albGroupId).SecurityGroupEgress).toEqual([
      expect.objectContaining({
        IpProtocol: "tcp",
        FromPort: 8080,
        ToPort: 8080,
        DestinationSecurityGroupId: { "Fn::GetAtt": [taskGroupId, "GroupId"] },
      }),
    ]);

    const [listenerId, listener] = only("AWS::ElasticLoadBalancingV2::Listener");
    const [targetGroupId, targetGroup] = only("AWS::ElasticLoadBalancingV2::TargetGroup");
    expect(listener.Properties).toMatchObject({ LoadBalancerArn: { Ref: loadBalancer }, Protocol: "HTTP", Port: 80 });
    expect(listener.Properties.DefaultActions).toEqual([{ Type: "forward", TargetGroupArn: { Ref: targetGroupId } }]);
    expect(targetGroup.Properties).toMatchObject({
      TargetType: "ip",
      Protocol: "HTTP",
      Port: 8080,
      HealthCheckPath: "/health",
      VpcId: { Ref: "VpcId" },
    });
    expect(service.Properties.LoadBalancers).toEqual([{ ContainerName: "app", ContainerPort: 8080, TargetGroupArn: { Ref: targetGroupId } }]);
    // ECS refuses a target group no listener forwards to yet.
    expect([template.Resources[serviceId].DependsOn].flat()).toContain(listenerId);
  });

  it("tags the load balancer, target group, security groups, cluster, service and task definition with pipewright:stack", () => {
    const tagged = [
      "AWS::ElasticLoadBalancingV2::LoadBalancer",
      "AWS::ElasticLoadBalancingV2::TargetGroup",
      "AWS::EC2::SecurityGroup",
      "AWS::ECS::Cluster",
      "AWS::ECS::Service",
      "AWS::ECS::TaskDefinition",
    ];
    const untagged: string[] = [];
    for (const type of tagged) {
      const found = ofType(type);
      expect(found.length).toBeGreaterThan(0);
      for (const [id, resource] of found) {
        if (!(resource.Properties.Tags ?? []).some((tag: Json) => JSON.stringify(tag) === JSON.stringify(STACK_TAG))) untagged.push(id);
      }
    }
    expect(untagged).toEqual([]);
  });

  it("names the cluster, service and task family after the stack, logs to /ecs/<stack>, alarms <stack>-*, and names nothing else", () => {
    const name = (type: string, key: string) => resolve(only(type)[1].Properties[key], "dev");
    expect(name("AWS::ECS::Cluster", "ClusterName")).toBe(STACK);
    expect(name("AWS::ECS::Service", "ServiceName")).toBe(STACK);
    expect(name("AWS::ECS::TaskDefinition", "Family")).toBe(STACK);

    const [logGroupId, logGroup] = only("AWS::Logs::LogGroup");
    expect(logGroup.Properties).toEqual({ LogGroupName: { "Fn::Sub": "/ecs/${AWS::StackName}" }, RetentionInDays: { Ref: "LogRetentionDays" } });
    const [taskDefinition] = only("AWS::ECS::TaskDefinition");
    expect(properties(taskDefinition).ContainerDefinitions[0].LogConfiguration).toEqual({
      LogDriver: "awslogs",
      Options: { "awslogs-group": { Ref: logGroupId }, "awslogs-region": { Ref: "AWS::Region" }, "awslogs-stream-prefix": "app" },
    });

    for (const [, alarm] of ofType("AWS::CloudWatch::Alarm")) expect(resolve(alarm.Properties.AlarmName, "dev")).toMatch(new RegExp(`^${STACK}-`));
    // Load balancer, target group, groups and roles: CloudFormation's names; the tag (or the <stack>- prefix of a role's name) marks them.
    const named = resources()
      .filter(([, resource]) => ["Name", "GroupName", "RoleName"].some((key) => resource.Properties?.[key] !== undefined))
      .map(([id]) => id);
    expect(named).toEqual([]);
  });

  it("outputs ApiUrl, the load balancer's HTTP address, for the integration tests", () => {
    const [loadBalancer] = only("AWS::ElasticLoadBalancingV2::LoadBalancer");
    expect(template.Outputs.ApiUrl.Value).toEqual({ "Fn::Sub": `http://\${${loadBalancer}.DNSName}` });
  });

  it("creates only these resource types (the CloudFormation execution role's container statements cover them)", () => {
    expect([...new Set(resources().map(([, resource]) => resource.Type as string))].sort()).toEqual([
      "AWS::CloudWatch::Alarm",
      "AWS::EC2::SecurityGroup",
      "AWS::EC2::SecurityGroupIngress",
      "AWS::ECS::Cluster",
      "AWS::ECS::Service",
      "AWS::ECS::TaskDefinition",
      "AWS::ElasticLoadBalancingV2::Listener",
      "AWS::ElasticLoadBalancingV2::LoadBalancer",
      "AWS::ElasticLoadBalancingV2::TargetGroup",
      "AWS::IAM::Role",
      "AWS::Logs::LogGroup",
    ]);
  });
});

describe("the image (templates/container/Dockerfile)", () => {
  /** Instructions, one per entry, comments dropped and continuation lines joined. */
  const instructions = () =>
    readFileSync(path.join(APP_DIR, "Dockerfile"), "utf8")
      .replace(/\\\n\s*/g, " ")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"));

  it("builds from ECR Public's node:22-alpine and runs the service as a non-root user on 8080", () => {
    const lines = instructions();
    expect(lines[0]).toBe("FROM public.ecr.aws/docker/library/node:22-alpine");
    expect(lines.filter((line) => line.startsWith("FROM"))).toHaveLength(1);
    const users = lines.filter((line) => line.startsWith("USER "));
    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^USER (root|0)(:|$)/);
    expect(lines).toContain("EXPOSE 8080");
    expect(lines.at(-1)).toBe('CMD ["node", "src/server.mjs"]');
    expect(lines.indexOf(users[0]!)).toBeLessThan(lines.length - 1);
  });

  it("contains the service, its tests and package.json, so the pipeline's testCommand runs inside it", () => {
    const lines = instructions();
    expect(lines).toEqual(expect.arrayContaining(["WORKDIR /app", "COPY package.json ./", "COPY src ./src", "COPY test ./test"]));
    const ignore = readFileSync(path.join(APP_DIR, ".dockerignore"), "utf8")
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"));
    expect(ignore).toEqual(["*", "!package.json", "!src", "!test"]);
    const scripts = JSON.parse(readFileSync(path.join(APP_DIR, "package.json"), "utf8")).scripts;
    expect(scripts.test).toBe("node --test test/server.test.mjs");
    expect(existsSync(path.join(APP_DIR, "test/server.test.mjs"))).toBe(true);
  });
});

describe("the service (templates/container/src/server.mjs)", () => {
  it("passes its tests with the testCommand the pipeline runs in the image (npm test, from the app's folder)", () => {
    const run = spawnSync("/bin/sh", ["-c", "npm test"], { cwd: APP_DIR, encoding: "utf8", timeout: 60_000 });
    if (run.status !== 0) throw new Error(`npm test failed (${run.status}):\n${run.stdout}${run.stderr}`);
  });

  describe("integration tests against the service run locally", () => {
    let server: ChildProcess | undefined;
    let apiUrl = "";

    beforeAll(async () => {
      server = spawn(process.execPath, ["templates/container/src/server.mjs"], {
        cwd: ROOT,
        env: { ...process.env, PORT: "0", ENVIRONMENT: "local" },
        stdio: ["ignore", "pipe", "inherit"],
      });
      apiUrl = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("server.mjs did not start within 10 s")), 10_000);
        createInterface({ input: server!.stdout! }).on("line", (line) => {
          const entry = JSON.parse(line) as Json;
          if (entry.message === "listening") {
            clearTimeout(timer);
            resolve(`http://127.0.0.1:${entry.port}`);
          }
        });
        server!.once("exit", (code) => reject(new Error(`server.mjs exited (${code})`)));
      });
    });

    afterAll(() => {
      if (server?.exitCode === null) server.kill("SIGKILL");
    });

    const runIntegration = (env: NodeJS.ProcessEnv) => runNodeAsync(["--test", "templates/container/test/integration.mjs"], env);

    it("pass", async () => {
      const run = await runIntegration({ API_URL: apiUrl, EXPECTED_ENVIRONMENT: "local" });
      if (run.status !== 0) throw new Error(run.output);
    });

    it("fail with the fix when API_URL is missing", async () => {
      const run = await runIntegration({ API_URL: "" });
      expect(run.status).not.toBe(0);
      expect(run.output).toContain("API_URL is not set. Fix:");
    });

    it("leave a service that exits 0 on SIGTERM, as ECS stops it", async () => {
      const exited = new Promise<number | null>((resolve) => server!.once("exit", resolve));
      server!.kill("SIGTERM");
      expect(await exited).toBe(0);
    });
  });
});

describe("templates/container/buildspec-integration.yml", () => {
  it("needs API_URL and runs the container sample's integration tests", () => {
    const spec = readYaml(INTEGRATION_BUILDSPEC);
    expect(spec.version).toBe(0.2);
    const commands = Object.values(spec.phases as Json)
      .flatMap((phase) => (phase.commands ?? []) as string[])
      .join("\n");
    expect(commands).toContain('test -n "${API_URL:-}"');
    expect(commands).toContain('"$APP_DIR/test/integration.mjs"');
    expect(path.join(ROOT, spec.env.variables.APP_DIR)).toBe(APP_DIR);
    expect(Object.values(spec.reports as Json).map((report) => report.files)).toEqual([["reports/integration.xml"]]);
  });
});
