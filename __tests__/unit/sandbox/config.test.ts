import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { loadSandboxConfig, SANDBOX_CONFIG_FILE, SandboxConfigError, slackBotSettings, withSlackApiUrl } from "../../../sandbox/config";
import { PlatformNames } from "../../../stacks/names";
import { platformRepositories, platformServices } from "../../../stacks/repositories";

const committed = () => JSON.parse(readFileSync(SANDBOX_CONFIG_FILE, "utf8"));

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function written(raw: unknown): string {
  const folder = mkdtempSync(path.join(tmpdir(), "pipewright-sandbox-config-"));
  folders.push(folder);
  const file = path.join(folder, "sandbox.json");
  writeFileSync(file, JSON.stringify(raw));
  return file;
}

function problemOf(raw: unknown): string {
  try {
    loadSandboxConfig(written(raw));
  } catch (error) {
    expect(error).toBeInstanceOf(SandboxConfigError);
    return (error as Error).message;
  }
  throw new Error("the sandbox accepted the configuration");
}

describe("the sandbox's configuration (config/sandbox.json)", () => {
  it("serves three repositories: the shop with its two services, one with a long name and a service of its own, and one with a container service", () => {
    const config = loadSandboxConfig();
    const names = new PlatformNames(config);
    expect(platformRepositories(config).map((r) => [r.repository, r.key, r.services.length])).toEqual([
      ["pipewright-sandbox/shop", "shop", 2],
      ["pipewright-sandbox/customer-preferences-and-notification-settings", "customer-preferences", 1],
      ["pipewright-sandbox/storefront", "storefront", 1],
    ]);
    expect(platformServices(config).map((service) => names.pipeline(service))).toEqual([
      "pipewright-shop-orders",
      "pipewright-shop-payments",
      "pipewright-customer-preferences-api",
      "pipewright-storefront-web",
    ]);
    expect(platformServices(config).map((service) => [service.kind, service.preview])).toEqual([
      ["lambda", true],
      ["lambda", true],
      ["lambda", true],
      ["container", false],
    ]);
  });

  it("refuses a connection the emulator would have to create, naming the field, its repositories and the fix", () => {
    const raw = committed();
    raw.github.connection = { create: { name: "sandbox" } };
    expect(problemOf(raw)).toContain(
      'github.connection (used by pipewright-sandbox/shop, pipewright-sandbox/customer-preferences-and-notification-settings, pipewright-sandbox/storefront): the emulator cannot create CodeConnections connections. Fix: use {"arn": ',
    );

    const own = committed();
    own.repositories[1].connection = { create: { name: "preferences" } };
    const problem = problemOf(own);
    expect(problem).toContain("repositories[1].connection (used by pipewright-sandbox/customer-preferences-and-notification-settings): ");
    expect(problem).not.toContain("github.connection");
  });

  it("refuses a first repository with one service: a push routed to one of two must be visible", () => {
    const raw = committed();
    raw.repositories[0].services.pop();
    expect(problemOf(raw)).toMatch(
      /repositories\[0\]\.services: the sandbox needs at least two services in its first repository \(pipewright-sandbox\/shop\), .* Fix: add a second service/,
    );
  });

  it("still runs the single-repository form", () => {
    const raw = committed();
    const [shop] = raw.repositories;
    delete raw.repositories;
    raw.github.repository = shop.repository;
    raw.services = shop.services;
    const config = loadSandboxConfig(written(raw));
    expect(platformServices(config).map((service) => new PlatformNames(config).pipeline(service))).toEqual([
      "pipewright-orders",
      "pipewright-payments",
    ]);
  });

  it("runs Slack in bot mode: the sandbox's channel and approver, Slack's Web API until up points it at the stand-in", () => {
    const config = loadSandboxConfig();
    expect(slackBotSettings(config)).toEqual({ channel: "C0SANDBOX01", apiUrl: "https://slack.com/api/", approvers: ["U0APPROVER1"] });
    const pointed = withSlackApiUrl(config, "http://127.0.0.1:4100/api/");
    expect(slackBotSettings(pointed)).toEqual({ channel: "C0SANDBOX01", apiUrl: "http://127.0.0.1:4100/api/", approvers: ["U0APPROVER1"] });
    expect(slackBotSettings(config)?.apiUrl).toBe("https://slack.com/api/");
  });

  it("takes a bot mode with an apiUrl of its own, which up replaces", () => {
    const raw = committed();
    raw.notifications.slack.apiUrl = "https://slack.example.com/api/";
    const config = loadSandboxConfig(written(raw));
    expect(slackBotSettings(withSlackApiUrl(config, "http://127.0.0.1:4100/api/"))?.apiUrl).toBe("http://127.0.0.1:4100/api/");
  });

  it("runs without Slack, and leaves such a configuration as it is", () => {
    const raw = committed();
    raw.notifications.slack = false;
    delete raw.approvers.slackUserIds;
    const config = loadSandboxConfig(written(raw));
    expect(slackBotSettings(config)).toBeUndefined();
    expect(withSlackApiUrl(config, "http://127.0.0.1:4100/api/")).toBe(config);
  });

  it.each([true, { mode: "webhook" }])("refuses Slack's incoming webhook (%p), which has nothing to post to here", (slack) => {
    const raw = committed();
    raw.notifications.slack = slack;
    delete raw.approvers.slackUserIds;
    expect(problemOf(raw)).toContain(
      'notifications.slack: the sandbox has no incoming webhook to post to. Fix: use {"mode": "bot", "channel": "C0SANDBOX01"} (the sandbox\'s Slack stand-in) or false',
    );
  });
});
