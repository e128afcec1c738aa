import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { startHttpFront, type HttpFront, type RouteTarget } from "../../../sandbox/runtime/http-front";
import type { InvokeOutcome } from "../../../sandbox/runtime/function-pool";
import type { HttpApiSpec, HttpRouteSpec, ResourcePermission } from "../../../sandbox/runtime/manifest";

const webhookRoute: HttpRouteSpec = {
  routeKey: "POST /webhook",
  method: "POST",
  path: "/webhook",
  functionName: "pipewright-webhook",
  payloadFormatVersion: "2.0",
  timeoutMs: 500,
  throttling: { rateLimit: 1000, burstLimit: 1000 },
};
const slackRoute = (path: string): HttpRouteSpec => ({ ...webhookRoute, routeKey: `POST ${path}`, path, functionName: "pipewright-slack" });
const api: HttpApiSpec = {
  apiId: "a1b2c3d4e5",
  accountId: "100000000001",
  executionArn: "arn:aws:execute-api:eu-west-1:100000000001:a1b2c3d4e5",
  stage: "$default",
  routes: [webhookRoute],
};
const allowed: ResourcePermission[] = [{ principal: "apigateway.amazonaws.com", sourceArn: `${api.executionArn}/*/POST/webhook` }];

describe("the sandbox's HTTP API front (API Gateway HTTP API, payload format 2.0)", () => {
  let front: HttpFront | undefined;
  const accessLog: string[] = [];
  afterEach(async () => {
    await front?.close();
    front = undefined;
    accessLog.length = 0;
  });

  async function start(
    invoke: (event: unknown) => Promise<InvokeOutcome>,
    overrides: { route?: Partial<HttpRouteSpec>; permissions?: ResourcePermission[] } = {},
  ) {
    front = await startHttpFront({
      api: { ...api, routes: [{ ...webhookRoute, ...overrides.route }] },
      region: "eu-west-1",
      targets: new Map([["pipewright-webhook", { permissions: overrides.permissions ?? allowed, invoke }]]),
      accessLog: (line) => accessLog.push(line),
    });
    return { url: `${front.url}/webhook`, close: () => front!.close() };
  }
  const answered = (value: unknown): InvokeOutcome => ({ ok: true, requestId: "r", value, durationMs: 1 });

  it("hands the function a 2.0 event with the raw body and answers with its statusCode, headers and body", async () => {
    const invoke = jest.fn(async (_event: unknown) =>
      answered({ statusCode: 202, headers: { "Content-Type": "application/json" }, body: '{"status":"accepted"}' }),
    );
    const { url } = await start(invoke);
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "X-GitHub-Event": "ping" },
      body: '{"zen":"x"}',
    });
    expect({ status: response.status, type: response.headers.get("content-type"), body: await response.text() }).toEqual({
      status: 202,
      type: "application/json",
      body: '{"status":"accepted"}',
    });
    const event = invoke.mock.calls[0]?.[0] as APIGatewayProxyEventV2;
    expect(event).toMatchObject({ version: "2.0", routeKey: "POST /webhook", rawPath: "/webhook", body: '{"zen":"x"}', isBase64Encoded: false });
    expect(event.headers["x-github-event"]).toBe("ping");
    expect(event.requestContext).toMatchObject({
      apiId: api.apiId,
      accountId: api.accountId,
      stage: "$default",
      http: { method: "POST", path: "/webhook" },
    });
    expect(JSON.parse(accessLog[0] as string)).toMatchObject({ status: 202, routeKey: "POST /webhook" });
  });

  it("hands a form body (as Slack posts) base64-encoded, as API Gateway does; JSON stays text", async () => {
    const invoke = jest.fn(async (_event: unknown) => answered({ statusCode: 200 }));
    const { url } = await start(invoke);
    const form = "command=%2Fpipewright&text=status+orders";
    await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form });
    await fetch(url, { method: "POST", headers: { "content-type": "application/json; charset=utf-8" }, body: "{}" });
    const [formEvent, jsonEvent] = invoke.mock.calls.map(([event]) => event as APIGatewayProxyEventV2);
    expect(formEvent).toMatchObject({ isBase64Encoded: true, body: Buffer.from(form).toString("base64") });
    expect(jsonEvent).toMatchObject({ isBase64Encoded: false, body: "{}" });
  });

  it("answers 413 above 10 MB without invoking the function", async () => {
    const invoke = jest.fn(async () => answered({ statusCode: 200 }));
    const { url } = await start(invoke);
    const response = await fetch(url, { method: "POST", body: "x".repeat(10 * 1024 * 1024 + 1) });
    expect({ status: response.status, body: await response.json() }).toEqual({ status: 413, body: { message: "Request Entity Too Large" } });
    expect(invoke).not.toHaveBeenCalled();
  });

  it("answers 404 for any other route", async () => {
    const invoke = jest.fn(async () => answered({ statusCode: 200 }));
    const { url } = await start(invoke);
    expect((await fetch(url, { method: "GET" })).status).toBe(404);
    expect((await fetch(url.replace("/webhook", "/other"), { method: "POST", body: "{}" })).status).toBe(404);
    expect(invoke).not.toHaveBeenCalled();
  });

  it("answers 429 beyond the route's burst limit", async () => {
    const { url } = await start(async () => answered({ statusCode: 200 }), { route: { throttling: { rateLimit: 0.001, burstLimit: 2 } } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(url, { method: "POST", body: "{}" })).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it("answers 500 without invoking when the function's resource policy does not allow this API", async () => {
    const invoke = jest.fn(async () => answered({ statusCode: 200 }));
    const { url } = await start(invoke, {
      permissions: [{ principal: "apigateway.amazonaws.com", sourceArn: "arn:aws:execute-api:eu-west-1:100000000001:other/*/POST/webhook" }],
    });
    expect((await fetch(url, { method: "POST", body: "{}" })).status).toBe(500);
    expect(invoke).not.toHaveBeenCalled();
    expect(JSON.parse(accessLog[0] as string).integrationErrorMessage).toMatch(/no lambda permission/);
  });

  it("answers 500 when the function fails and 503 when it outlives the integration timeout", async () => {
    const failing = await start(async () => ({
      ok: false,
      requestId: "r",
      kind: "Unhandled",
      error: { errorType: "Error", errorMessage: "boom", trace: [] },
      durationMs: 1,
    }));
    expect((await fetch(failing.url, { method: "POST", body: "{}" })).status).toBe(500);
    await failing.close();

    let timer: NodeJS.Timeout | undefined;
    const slow = await start(() => new Promise((resolve) => (timer = setTimeout(() => resolve(answered({ statusCode: 200 })), 2_000))), {
      route: { timeoutMs: 50 },
    });
    expect((await fetch(slow.url, { method: "POST", body: "{}" })).status).toBe(503);
    clearTimeout(timer);
  });

  describe("with several routes (the webhook and the Slack app's)", () => {
    const slackPermission: ResourcePermission = {
      principal: "apigateway.amazonaws.com",
      sourceArn: `${api.executionArn}/*/POST/slack/commands`,
    };
    async function startRoutes(
      targets: Record<string, RouteTarget>,
      routes = [webhookRoute, slackRoute("/slack/commands"), slackRoute("/slack/interactions")],
    ) {
      front = await startHttpFront({
        api: { ...api, routes },
        region: "eu-west-1",
        targets: new Map(Object.entries(targets)),
        accessLog: (line) => accessLog.push(line),
      });
      return front.url;
    }
    const post = (url: string, body = "{}") => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });

    it("hands each route's requests to its own function, with that route's key", async () => {
      const webhook = jest.fn(async (_event: unknown) => answered({ statusCode: 202, body: "webhook" }));
      const slack = jest.fn(async (_event: unknown) => answered({ statusCode: 200, body: "slack" }));
      const url = await startRoutes({
        "pipewright-webhook": { permissions: allowed, invoke: webhook },
        "pipewright-slack": {
          permissions: [slackPermission, { ...slackPermission, sourceArn: `${api.executionArn}/*/POST/slack/interactions` }],
          invoke: slack,
        },
      });
      const answers = [];
      for (const path of ["/webhook", "/slack/commands", "/slack/interactions"]) {
        const response = await post(`${url}${path}`);
        answers.push([path, response.status, await response.text()]);
      }
      expect(answers).toEqual([
        ["/webhook", 202, "webhook"],
        ["/slack/commands", 200, "slack"],
        ["/slack/interactions", 200, "slack"],
      ]);
      expect(webhook).toHaveBeenCalledTimes(1);
      expect(slack.mock.calls.map(([event]) => [(event as APIGatewayProxyEventV2).routeKey, (event as APIGatewayProxyEventV2).rawPath])).toEqual([
        ["POST /slack/commands", "/slack/commands"],
        ["POST /slack/interactions", "/slack/interactions"],
      ]);
      expect(accessLog.map((line) => JSON.parse(line).routeKey)).toEqual(["POST /webhook", "POST /slack/commands", "POST /slack/interactions"]);
    });

    it("checks the resource policy against the source ARN of the route that was called", async () => {
      const slack = jest.fn(async () => answered({ statusCode: 200 }));
      // The Slack function allows only its commands route.
      const url = await startRoutes({
        "pipewright-webhook": { permissions: allowed, invoke: async () => answered({ statusCode: 202 }) },
        "pipewright-slack": { permissions: [slackPermission], invoke: slack },
      });
      expect((await post(`${url}/slack/commands`)).status).toBe(200);
      expect((await post(`${url}/slack/interactions`)).status).toBe(500);
      expect(slack).toHaveBeenCalledTimes(1);
      expect(JSON.parse(accessLog[1] as string).integrationErrorMessage).toBe(
        `API Gateway may not invoke pipewright-slack: no lambda permission for ${api.executionArn}/$default/POST/slack/interactions`,
      );
    });

    it("throttles each route on its own", async () => {
      const throttled = { rateLimit: 0.001, burstLimit: 1 };
      const url = await startRoutes(
        {
          "pipewright-webhook": { permissions: allowed, invoke: async () => answered({ statusCode: 202 }) },
          "pipewright-slack": { permissions: [slackPermission], invoke: async () => answered({ statusCode: 200 }) },
        },
        [
          { ...webhookRoute, throttling: throttled },
          { ...slackRoute("/slack/commands"), throttling: throttled },
        ],
      );
      const statuses = [];
      for (const path of ["/webhook", "/webhook", "/slack/commands", "/slack/commands"]) statuses.push((await post(`${url}${path}`)).status);
      expect(statuses).toEqual([202, 429, 200, 429]);
    });

    it("answers 404 for another method or path, and a route's prefix is not the route", async () => {
      const slack = jest.fn(async () => answered({ statusCode: 200 }));
      const url = await startRoutes({
        "pipewright-webhook": { permissions: allowed, invoke: slack },
        "pipewright-slack": { permissions: [slackPermission], invoke: slack },
      });
      const statuses = [
        (await fetch(`${url}/slack/commands`, { method: "GET" })).status,
        (await post(`${url}/slack`)).status,
        (await post(`${url}/slack/commands/extra`)).status,
        (await post(`${url}/`)).status,
      ];
      expect(statuses).toEqual([404, 404, 404, 404]);
      expect(slack).not.toHaveBeenCalled();
      expect(accessLog.map((line) => JSON.parse(line).routeKey)).toEqual(["-", "-", "-", "-"]);
    });

    it("refuses to start when a route's function is not running", async () => {
      await expect(startRoutes({ "pipewright-webhook": { permissions: allowed, invoke: async () => answered({}) } })).rejects.toThrow(
        "Route POST /slack/commands integrates pipewright-slack, which the runtime does not run",
      );
    });
  });
});
