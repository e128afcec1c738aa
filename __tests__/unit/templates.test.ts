/**
 * The sample application the pipelines deploy (templates/): the SAM template
 * is cfn-lint clean and wired as the pipeline and the hooks expect, SAM
 * transforms it into only what the CloudFormation execution role may create,
 * the buildspecs point at files that exist, and the app's unit and
 * integration tests pass (the latter against a local HTTP API stand-in).
 *
 * Needs cfn-lint (Python; it brings aws-sam-translator and PyYAML): pip install cfn-lint.
 * YAML is read through cfn-lint's own loader (__tests__/support/cfn-template.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import {
  cfnLint,
  describeFindings,
  type Json,
  parseTemplate,
  ROOT,
  readYaml,
  runNode as node,
  runNodeAsync,
  samTransform,
} from "../support/cfn-template";

const TEMPLATE = path.join(ROOT, "templates/app/template.yaml");
const BUILDSPEC = path.join(ROOT, "templates/buildspec.yml");
const INTEGRATION_BUILDSPEC = path.join(ROOT, "templates/buildspec-integration.yml");
const CONFIGS_SCRIPT = path.join(ROOT, "templates/scripts/template-configs.mjs");

let template: Json;
let configsDir: string;
const configs: Record<string, Json> = {};

beforeAll(() => {
  template = parseTemplate(TEMPLATE);
  configsDir = mkdtempSync(path.join(tmpdir(), "pipewright-template-configs-"));
  const run = node([CONFIGS_SCRIPT, configsDir], { PROJECT_NAME: "acme-shop", LOG_RETENTION_DAYS: "14" });
  if (run.status !== 0) throw new Error(`template-configs.mjs failed:\n${run.output}`);
  for (const environment of ["dev", "prod", "pr"]) {
    configs[environment] = JSON.parse(readFileSync(path.join(configsDir, `${environment}.json`), "utf8")) as Json;
  }
});

afterAll(() => {
  if (configsDir) rmSync(configsDir, { recursive: true, force: true });
});

describe("templates/app/template.yaml", () => {
  it("has no cfn-lint findings (errors, warnings or informational)", () => {
    const { status, findings } = cfnLint(TEMPLATE);
    if (findings.length > 0) throw new Error(`cfn-lint found ${findings.length} problem(s) in ${TEMPLATE}:\n${describeFindings(findings)}`);
    expect(status).toBe(0);
  });

  it("is a SAM template whose function publishes versions behind the live alias", () => {
    expect(template.Transform).toBe("AWS::Serverless-2016-10-31");
    const fn = template.Resources.AppFunction;
    expect(fn.Type).toBe("AWS::Serverless::Function");
    expect(fn.Properties).toMatchObject({
      AutoPublishAlias: "live",
      Architectures: ["arm64"],
      Tracing: "Active",
      Handler: "index.handler",
      CodeUri: "src/",
    });
    expect(fn.Properties.Runtime).toMatch(/^nodejs\d+\.x$/);
    expect(existsSync(path.join(ROOT, "templates/app/src/index.mjs"))).toBe(true);
  });

  it("takes the deployment type from a parameter: AllAtOnce and Linear10PercentEvery1Minute among its values", () => {
    const preference = template.Resources.AppFunction.Properties.DeploymentPreference;
    expect(preference.Type).toEqual({ Ref: "DeploymentType" });
    expect(template.Parameters.DeploymentType.AllowedValues).toEqual(
      expect.arrayContaining(["AllAtOnce", "Linear10PercentEvery1Minute", "Canary10Percent5Minutes"]),
    );
    expect(template.Parameters.Environment.AllowedValues).toEqual(["dev", "prod", "pr"]);
  });

  it("names both hooks by parameters that only accept CodeDeployHook_* (all the managed CodeDeploy role may invoke)", () => {
    const hooks = template.Resources.AppFunction.Properties.DeploymentPreference.Hooks;
    expect(hooks).toEqual({ PreTraffic: { Ref: "PreTrafficHookName" }, PostTraffic: { Ref: "PostTrafficHookName" } });
    for (const name of ["PreTrafficHookName", "PostTrafficHookName"]) {
      const parameter = template.Parameters[name];
      expect(parameter.Default).toMatch(/^CodeDeployHook_pipewright-(pre|post)-traffic$/);
      expect(parameter.AllowedPattern).toMatch(/^\^CodeDeployHook_/);
      expect(new RegExp(parameter.AllowedPattern).test(parameter.Default)).toBe(true);
      expect(new RegExp(parameter.AllowedPattern).test("MyOtherFunction")).toBe(false);
    }
  });

  it("rolls back on the API's 5xx and on the new version's errors", () => {
    const preference = template.Resources.AppFunction.Properties.DeploymentPreference;
    expect(preference.Alarms).toEqual([{ Ref: "ApiServerErrorsAlarm" }, { Ref: "FunctionErrorsAlarm" }]);
    const api5xx = template.Resources.ApiServerErrorsAlarm.Properties;
    expect(api5xx).toMatchObject({
      Namespace: "AWS/ApiGateway",
      MetricName: "5xx",
      Dimensions: [{ Name: "ApiId", Value: { Ref: "HttpApi" } }],
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: 0,
    });
    const errors = template.Resources.FunctionErrorsAlarm.Properties;
    expect(errors).toMatchObject({ Namespace: "AWS/Lambda", MetricName: "Errors", ComparisonOperator: "GreaterThanThreshold", Threshold: 0 });
    expect(errors.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: "Resource", Value: { "Fn::Sub": "${AppFunction}:live" } },
        { Name: "ExecutedVersion", Value: { "Fn::GetAtt": ["AppFunction", "Version.Version"] } },
      ]),
    );
    for (const alarm of [api5xx, errors]) expect(alarm.TreatMissingData).toBe("notBreaching");
  });

  it("serves GET /health and GET /hello through the live alias of an HTTP API, throttled", () => {
    const { Resources } = template;
    expect(Resources.HttpApi).toMatchObject({ Type: "AWS::ApiGatewayV2::Api", Properties: { ProtocolType: "HTTP" } });
    expect(Resources.AppIntegration.Properties).toMatchObject({
      IntegrationType: "AWS_PROXY",
      IntegrationUri: { Ref: "AppFunction.Alias" },
      PayloadFormatVersion: "2.0",
    });
    const routes = Object.values(Resources as Json)
      .filter((r) => r.Type === "AWS::ApiGatewayV2::Route")
      .map((r) => r.Properties.RouteKey)
      .sort();
    expect(routes).toEqual(["GET /health", "GET /hello"]);
    expect(Resources.ApiInvokePermission.Properties).toMatchObject({
      FunctionName: { Ref: "AppFunction.Alias" },
      Principal: "apigateway.amazonaws.com",
    });
    expect(Resources.HttpApiStage.Properties.DefaultRouteSettings).toMatchObject({
      ThrottlingBurstLimit: expect.any(Number),
      ThrottlingRateLimit: expect.any(Number),
    });
  });

  it("keeps the function's logs in a log group with retention", () => {
    expect(template.Resources.AppLogGroup.Properties).toEqual({
      LogGroupName: { "Fn::Sub": "/aws/lambda/${AWS::StackName}-app" },
      RetentionInDays: { Ref: "LogRetentionDays" },
    });
    expect(template.Resources.AppFunction.Properties.LoggingConfig.LogGroup).toEqual({ Ref: "AppLogGroup" });
  });

  it("outputs ApiUrl, which the pipeline, the integration tests and the post-traffic hook read", () => {
    expect(template.Outputs.ApiUrl.Value).toEqual({ "Fn::GetAtt": ["HttpApi", "ApiEndpoint"] });
  });

  it("names nothing outside the stack's prefix (the execution role is scoped to <project>-<service>-*)", () => {
    const outside: string[] = [];
    for (const [id, resource] of Object.entries(template.Resources as Json)) {
      if (resource.Type === "AWS::Lambda::Permission") continue; // FunctionName there names the alias, not a new resource
      for (const key of ["FunctionName", "LogGroupName", "AlarmName", "RoleName", "Name", "ApplicationName", "DeploymentGroupName"]) {
        const value = resource.Properties?.[key];
        if (value === undefined) continue;
        const sub = typeof value === "object" && value !== null ? value["Fn::Sub"] : value;
        // A Ref or GetAtt names nothing new; a literal or a Sub must start with the stack name.
        if (sub === undefined) continue;
        if (!/^(\/aws\/lambda\/)?\$\{AWS::StackName\}-/.test(String(sub))) outside.push(`${id}.${key}: ${JSON.stringify(sub)}`);
      }
    }
    expect(outside).toEqual([]);
  });
});

describe("the template as SAM transforms it with the build's template configurations", () => {
  const transformed = (environment: string) => samTransform(TEMPLATE, configs[environment]?.Parameters);

  it.each([
    ["dev", "CodeDeployDefault.LambdaAllAtOnce"],
    ["pr", "CodeDeployDefault.LambdaAllAtOnce"],
    ["prod", "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"],
  ])("%s deploys with %s, both hooks and both alarms", (environment, configName) => {
    const { Resources } = transformed(environment);
    const group = Resources.AppFunctionDeploymentGroup.Properties;
    expect(group.DeploymentConfigName).toEqual({
      "Fn::Sub": ["CodeDeployDefault.Lambda${ConfigName}", { ConfigName: configName.replace("CodeDeployDefault.Lambda", "") }],
    });
    expect(group.AlarmConfiguration).toEqual({
      Enabled: true,
      Alarms: [{ Name: { Ref: "ApiServerErrorsAlarm" } }, { Name: { Ref: "FunctionErrorsAlarm" } }],
    });
    expect(group.AutoRollbackConfiguration.Events).toEqual(expect.arrayContaining(["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]));
    expect(Resources.AppFunctionAliaslive.UpdatePolicy.CodeDeployLambdaAliasUpdate).toMatchObject({
      BeforeAllowTrafficHook: { Ref: "PreTrafficHookName" },
      AfterAllowTrafficHook: { Ref: "PostTrafficHookName" },
    });
  });

  it("creates only what the CloudFormation execution role covers (stacks/constructs/deploy-roles.ts applicationStatements)", () => {
    const { Resources } = transformed("prod");
    const types = [...new Set(Object.values(Resources as Json).map((r) => r.Type as string))].sort();
    expect(types).toEqual([
      "AWS::ApiGatewayV2::Api",
      "AWS::ApiGatewayV2::Integration",
      "AWS::ApiGatewayV2::Route",
      "AWS::ApiGatewayV2::Stage",
      "AWS::CloudWatch::Alarm",
      "AWS::CodeDeploy::Application",
      "AWS::CodeDeploy::DeploymentGroup",
      "AWS::IAM::Role",
      "AWS::Lambda::Alias",
      "AWS::Lambda::Function",
      "AWS::Lambda::Permission",
      "AWS::Lambda::Version",
      "AWS::Logs::LogGroup",
    ]);
    // The managed policies the execution role may attach (its FunctionRoleManagedPolicies condition).
    const allowed = [
      "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
      "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda",
      "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    ];
    const attached = Object.values(Resources as Json)
      .filter((r) => r.Type === "AWS::IAM::Role")
      .flatMap((r) => r.Properties.ManagedPolicyArns ?? [])
      // SAM writes its roles' ARNs for the Region's partition; the template's own role uses ${AWS::Partition}.
      .map((arn: string | { "Fn::Sub": string }) => (typeof arn === "string" ? arn : arn["Fn::Sub"].replace("${AWS::Partition}", "aws")));
    expect(attached.length).toBeGreaterThan(0);
    for (const arn of attached) expect(allowed).toContain(arn);
    // Every role carries the boundary the execution role insists on (deploy-roles.ts ApplicationRolesUnderBoundary).
    const roles = Object.entries(Resources as Json).filter(([, r]) => r.Type === "AWS::IAM::Role");
    expect(roles.map(([id]) => id).sort()).toEqual(["AppFunctionRole", "CodeDeployServiceRole"]);
    for (const [, role] of roles) {
      expect(role.Properties.PermissionsBoundary).toEqual({
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/${PermissionsBoundaryPolicyName}",
      });
    }
    expect(Resources.AppFunctionDeploymentGroup.Properties.ServiceRoleArn).toEqual({ "Fn::GetAtt": ["CodeDeployServiceRole", "Arn"] });
    // The execution role creates and changes only HTTP APIs tagged with its stacks' names (deploy-roles.ts CreateOwnHttpApis).
    expect(Resources.HttpApi.Properties.Tags).toEqual({ "pipewright:stack": { Ref: "AWS::StackName" } });
    // Roles, the CodeDeploy application and its group get CloudFormation's <stack>-<logical id>-<suffix> names.
    const nameOf: Record<string, string> = {
      "AWS::IAM::Role": "RoleName",
      "AWS::CodeDeploy::Application": "ApplicationName",
      "AWS::CodeDeploy::DeploymentGroup": "DeploymentGroupName",
    };
    for (const resource of Object.values(Resources as Json)) {
      const key = nameOf[resource.Type as string];
      if (key) expect(resource.Properties[key]).toBeUndefined();
    }
  });
});

describe("template configurations (templates/scripts/template-configs.mjs)", () => {
  it("give each environment valid values for the template's parameters", () => {
    expect(configs.dev?.Parameters).toEqual({
      Environment: "dev",
      DeploymentType: "AllAtOnce",
      PreTrafficHookName: "CodeDeployHook_acme-shop-pre-traffic",
      PostTrafficHookName: "CodeDeployHook_acme-shop-post-traffic",
      PermissionsBoundaryPolicyName: "acme-shop-application-boundary",
      LogRetentionDays: "14",
    });
    expect(configs.prod?.Parameters).toMatchObject({ Environment: "prod", DeploymentType: "Linear10PercentEvery1Minute" });
    expect(configs.pr?.Parameters).toMatchObject({ Environment: "pr", DeploymentType: "AllAtOnce" });
    for (const config of Object.values(configs)) {
      for (const [name, value] of Object.entries(config.Parameters as Record<string, string>)) {
        const parameter = template.Parameters[name];
        expect(parameter).toBeDefined();
        expect(typeof value).toBe("string");
        if (parameter.AllowedValues) expect(parameter.AllowedValues.map(String)).toContain(value);
        if (parameter.AllowedPattern) expect(value).toMatch(new RegExp(parameter.AllowedPattern));
      }
    }
  });

  it("refuse a project name pipewright would refuse", () => {
    const run = node([CONFIGS_SCRIPT, configsDir], { PROJECT_NAME: "Acme_Shop" });
    expect(run.status).toBe(1);
    expect(run.output).toMatch(/PROJECT_NAME "Acme_Shop" is not 3-20 characters/);
  });
});

describe("buildspecs", () => {
  const buildspec = () => readYaml(BUILDSPEC);
  const integration = () => readYaml(INTEGRATION_BUILDSPEC);
  const commands = (spec: Json) =>
    Object.values(spec.phases as Json)
      .flatMap((phase) => (phase.commands ?? []) as string[])
      .join("\n");

  it("the build runs the app's unit tests, packages with the artifact bucket and key, and outputs packaged.yaml and the configurations", () => {
    const spec = buildspec();
    expect(spec.version).toBe(0.2);
    const all = commands(spec);
    expect(all).toContain("node --test");
    expect(all).toContain('"$APP_DIR/test/index.test.mjs"');
    expect(all).toMatch(
      /aws cloudformation package[\s\S]*--s3-bucket "\$ARTIFACT_BUCKET"[\s\S]*--kms-key-id "\$ARTIFACT_KEY_ARN"[\s\S]*--output-template-file packaged\.yaml/,
    );
    expect(all).toContain("node templates/scripts/template-configs.mjs .");
    expect(spec.artifacts.files).toEqual(["packaged.yaml", "dev.json", "prod.json", "pr.json"]);
    expect(path.join(ROOT, spec.env.variables.APP_DIR, "template.yaml")).toBe(TEMPLATE);
  });

  it("the integration tests read the dev API URL from API_URL and run integration.mjs", () => {
    const spec = integration();
    const all = commands(spec);
    expect(all).toContain("API_URL");
    expect(all).toContain('"$APP_DIR/test/integration.mjs"');
    expect(existsSync(path.join(ROOT, spec.env.variables.APP_DIR, "test/integration.mjs"))).toBe(true);
  });
});

describe("the sample application", () => {
  it("passes its unit tests (node:test, as the build runs them)", () => {
    const run = node(["--test", "templates/app/test/index.test.mjs"]);
    if (run.status !== 0) throw new Error(run.output);
  });

  describe("integration tests against a local stand-in for the HTTP API", () => {
    let server: ChildProcess | undefined;
    let apiUrl = "";

    beforeAll(async () => {
      server = spawn(process.execPath, ["templates/app/test/local-server.mjs", "0"], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
      apiUrl = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("local-server.mjs did not start within 10 s")), 10_000);
        createInterface({ input: server!.stdout! }).on("line", (line) => {
          const match = /^LISTENING (\S+)$/.exec(line);
          if (match) {
            clearTimeout(timer);
            resolve(match[1] as string);
          }
        });
        server!.once("exit", (code) => reject(new Error(`local-server.mjs exited (${code})`)));
      });
    });

    afterAll(async () => {
      if (server && server.exitCode === null) {
        const exited = new Promise((resolve) => server!.once("exit", resolve));
        server.kill("SIGTERM");
        await exited;
      }
    });

    // Asynchronous: the server runs in a child, and this process must stay free to wait for it.
    const runIntegration = (env: NodeJS.ProcessEnv) => runNodeAsync(["--test", "templates/app/test/integration.mjs"], env);

    it("pass", async () => {
      const run = await runIntegration({ API_URL: apiUrl, EXPECTED_ENVIRONMENT: "local" });
      if (run.status !== 0) throw new Error(run.output);
    });

    it("fail with the fix when API_URL is missing", async () => {
      const run = await runIntegration({ API_URL: "" });
      expect(run.status).not.toBe(0);
      expect(run.output).toContain("API_URL is not set. Fix:");
    });
  });
});
