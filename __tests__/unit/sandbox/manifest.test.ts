import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ManifestError } from "../../../sandbox/errors";
import { manifestFromState, routeUrl } from "../../../sandbox/runtime/manifest";
import { TerraformState } from "../../../sandbox/tfstate";

const ACCOUNT = "100000000001";
const API_ID = "a1b2c3d4e5";
const EXECUTION_ARN = `arn:aws:execute-api:eu-west-1:${ACCOUNT}:${API_ID}`;
const functionArn = (name: string) => `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:${name}`;
const invokeUri = (name: string) => `arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/${functionArn(name)}/invocations`;

function lambda(name: string) {
  return {
    function_name: name,
    arn: functionArn(name),
    role: `arn:aws:iam::${ACCOUNT}:role/${name}`,
    handler: "index.handler",
    runtime: "nodejs22.x",
    filename: `assets/${name}.zip`,
    timeout: 10,
    memory_size: 256,
    reserved_concurrent_executions: -1,
    environment: [{ variables: {} }],
    logging_config: [],
  };
}

type Resource = { type: string; attributes: Record<string, unknown> };

/** A build stack's state with the webhook's HTTP API and the Slack routes of contract 15. */
function httpApiResources(overrides: { routes?: Resource[]; stage?: Record<string, unknown> } = {}): Resource[] {
  return [
    { type: "aws_lambda_function", attributes: lambda("pipewright-webhook") },
    { type: "aws_lambda_function", attributes: lambda("pipewright-slack") },
    { type: "aws_apigatewayv2_api", attributes: { id: API_ID, execution_arn: EXECUTION_ARN } },
    {
      type: "aws_apigatewayv2_integration",
      attributes: { id: "webhook1", integration_uri: invokeUri("pipewright-webhook"), payload_format_version: "2.0", timeout_milliseconds: 9000 },
    },
    {
      type: "aws_apigatewayv2_integration",
      attributes: { id: "slack1", integration_uri: invokeUri("pipewright-slack"), payload_format_version: "2.0", timeout_milliseconds: 3000 },
    },
    ...(overrides.routes ?? [
      { type: "aws_apigatewayv2_route", attributes: { api_id: API_ID, route_key: "POST /webhook", target: "integrations/webhook1" } },
      { type: "aws_apigatewayv2_route", attributes: { api_id: API_ID, route_key: "POST /slack/commands", target: "integrations/slack1" } },
      { type: "aws_apigatewayv2_route", attributes: { api_id: API_ID, route_key: "POST /slack/interactions", target: "integrations/slack1" } },
    ]),
    {
      type: "aws_apigatewayv2_stage",
      attributes: {
        name: "$default",
        default_route_settings: [{ throttling_rate_limit: 50, throttling_burst_limit: 100 }],
        route_settings: [{ route_key: "POST /slack/commands", throttling_rate_limit: 5, throttling_burst_limit: 10 }],
        access_log_settings: [{ format: '{"requestId":"$context.requestId"}' }],
        ...overrides.stage,
      },
    },
  ];
}

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function stateOf(resources: Resource[]): TerraformState {
  const folder = mkdtempSync(path.join(tmpdir(), "pipewright-manifest-"));
  folders.push(folder);
  const file = path.join(folder, "terraform.build.tfstate");
  writeFileSync(
    file,
    JSON.stringify({
      version: 4,
      resources: resources.map((r, index) => ({ mode: "managed", type: r.type, name: `r${index}`, instances: [{ attributes: r.attributes }] })),
    }),
  );
  return TerraformState.read(file);
}

const manifestOf = (resources: Resource[]) => manifestFromState(stateOf(resources), "/stack", "eu-west-1", "sandbox-delivery");

describe("the HTTP API in the runtime manifest", () => {
  it("has every route with its own function, integration timeout and the stage's throttling (its own route settings first)", () => {
    const { httpApi } = manifestOf(httpApiResources());
    expect(httpApi).toMatchObject({ apiId: API_ID, accountId: ACCOUNT, executionArn: EXECUTION_ARN, stage: "$default" });
    expect(httpApi.accessLogFormat).toBe('{"requestId":"$context.requestId"}');
    expect(httpApi.routes.map((r) => [r.routeKey, r.method, r.path, r.functionName, r.timeoutMs, r.throttling])).toEqual([
      ["POST /webhook", "POST", "/webhook", "pipewright-webhook", 9000, { rateLimit: 50, burstLimit: 100 }],
      ["POST /slack/commands", "POST", "/slack/commands", "pipewright-slack", 3000, { rateLimit: 5, burstLimit: 10 }],
      ["POST /slack/interactions", "POST", "/slack/interactions", "pipewright-slack", 3000, { rateLimit: 50, burstLimit: 100 }],
    ]);
  });

  it("gives each route's URL on the served stage, and names the routes there are when one is missing", () => {
    const { httpApi } = manifestOf(httpApiResources());
    expect(routeUrl(httpApi, "http://127.0.0.1:4000", "POST /slack/interactions")).toBe("http://127.0.0.1:4000/slack/interactions");
    expect(() => routeUrl(httpApi, "http://127.0.0.1:4000", "POST /slack/events")).toThrow(
      "The HTTP API has no route POST /slack/events (it has POST /webhook, POST /slack/commands, POST /slack/interactions)",
    );
  });

  it.each(["ANY /webhook", "$default", "POST /items/{id}"])(
    "refuses route %p, which the sandbox's front cannot match, naming the fix",
    (routeKey) => {
      const routes = [{ type: "aws_apigatewayv2_route", attributes: { api_id: API_ID, route_key: routeKey, target: "integrations/webhook1" } }];
      const build = () => manifestOf(httpApiResources({ routes }));
      expect(build).toThrow(ManifestError);
      expect(build).toThrow(`The HTTP API has route "${routeKey}"; the sandbox's HTTP front serves only routes of one method and a literal path`);
    },
  );

  it("refuses an integration of payload format 1.0", () => {
    const resources = httpApiResources().map((r) =>
      r.attributes.id === "slack1" ? { ...r, attributes: { ...r.attributes, payload_format_version: "1.0" } } : r,
    );
    expect(() => manifestOf(resources)).toThrow(
      'Route POST /slack/commands uses payload format 1.0; the sandbox\'s HTTP front speaks 2.0 only. Fix: use "2.0"',
    );
  });

  it("refuses an API without routes", () => {
    expect(() => manifestOf(httpApiResources({ routes: [] }))).toThrow(`The HTTP API ${API_ID} has no routes`);
  });
});
