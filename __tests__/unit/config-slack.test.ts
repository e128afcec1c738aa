import * as path from "node:path";
import { RepositoryCatalog } from "../../functions/shared/repositories";
import { loadConfig, parseConfig } from "../../stacks/config";
import { PlatformNames } from "../../stacks/names";
import { repositoryCatalog } from "../../stacks/repositories";
import { configProblems, EXAMPLE_CONFIG_FILE, ROOT } from "../support/synth";

const single = () => JSON.parse(JSON.stringify(loadConfig(EXAMPLE_CONFIG_FILE)));
const many = () => JSON.parse(JSON.stringify(loadConfig(path.join(ROOT, "config", "example-repositories.json"))));

const CHANNEL = "C0SANDBOX01";
const APPROVER = "U0APPROVER1";

/** The example in bot mode, with `change` applied. */
const bot = (change: (c: any) => void = () => {}, raw = single()) => {
  raw.notifications.slack = { mode: "bot", channel: CHANNEL };
  change(raw);
  return raw;
};

describe("notifications.slack", () => {
  it.each<[string, unknown, unknown]>([
    ["absent", undefined, { mode: "off" }],
    ["false", false, { mode: "off" }],
    ["true (an incoming webhook, as before the Slack app)", true, { mode: "webhook" }],
    ["webhook mode", { mode: "webhook" }, { mode: "webhook" }],
    ["bot mode, Slack's API by default", { mode: "bot", channel: CHANNEL }, { mode: "bot", channel: CHANNEL, apiUrl: "https://slack.com/api/" }],
    [
      "bot mode on a local stand-in",
      { mode: "bot", channel: "G0PRIVATE99", apiUrl: "http://127.0.0.1:4567/api/" },
      { mode: "bot", channel: "G0PRIVATE99", apiUrl: "http://127.0.0.1:4567/api/" },
    ],
    [
      "bot mode on another https base",
      { mode: "bot", channel: CHANNEL, apiUrl: "https://slack.example.com/api/" },
      { mode: "bot", channel: CHANNEL, apiUrl: "https://slack.example.com/api/" },
    ],
  ])("parses %s", (_name, slack, expected) => {
    const raw = single();
    if (slack === undefined) delete raw.notifications.slack;
    else raw.notifications.slack = slack;
    expect(parseConfig(raw).notifications.slack).toEqual(expected);
  });

  it("parses a parsed configuration to itself, in every mode", () => {
    for (const slack of [false, true, { mode: "bot", channel: CHANNEL }]) {
      const raw = single();
      raw.notifications.slack = slack;
      const once = parseConfig(raw);
      expect(parseConfig(JSON.parse(JSON.stringify(once)))).toEqual(once);
    }
  });

  it("defaults to off when notifications are left out", () => {
    const raw = single();
    delete raw.notifications;
    expect(parseConfig(raw).notifications.slack).toEqual({ mode: "off" });
  });
});

describe("Slack approvers", () => {
  it("default to nobody, platform-wide", () => {
    const raw = single();
    delete raw.approvers.slackUserIds;
    expect(parseConfig(raw).approvers.slackUserIds).toEqual([]);
  });

  it("give every service the platform's list unless it lists its own, which replaces it (even when empty)", () => {
    const raw = bot((c) => {
      c.approvers.slackUserIds = [APPROVER, "W0GRID00001"];
      c.repositories[0].services[1].approvers = { slackUserIds: ["U0PAYMENTS1"] };
      c.repositories[2].services[0].approvers = { slackUserIds: [] };
    }, many());
    const config = parseConfig(raw);
    const catalog = RepositoryCatalog.from(repositoryCatalog(config, new PlatformNames(config)));
    const approvers = (pipeline: string) => catalog.ownerOfPipeline(pipeline)?.service.slackApprovers;
    expect(approvers("pipewright-shop-orders")).toEqual([APPROVER, "W0GRID00001"]);
    expect(approvers("pipewright-shop-payments")).toEqual(["U0PAYMENTS1"]);
    expect(approvers("pipewright-customer-preferences-preferences")).toEqual([APPROVER, "W0GRID00001"]);
    expect(approvers("pipewright-partner-shop-catalog")).toEqual([]);
  });

  it("are read from services of the single-repository form too", () => {
    const config = parseConfig(bot((c) => (c.services[0].approvers = { slackUserIds: [APPROVER] })));
    const catalog = RepositoryCatalog.from(repositoryCatalog(config, new PlatformNames(config)));
    expect(catalog.ownerOfPipeline("pipewright-orders")?.service.slackApprovers).toEqual([APPROVER]);
    expect(catalog.ownerOfPipeline("pipewright-payments")?.service.slackApprovers).toEqual([]);
  });

  it("still need IAM approvers: Slack users are not a way around the console's approvers", () => {
    const raw = bot((c) => (c.approvers = { slackUserIds: [APPROVER] }));
    expect(configProblems(raw)).toEqual([expect.stringMatching(/^approvers: names nobody\. Fix:/)]);
  });
});

describe("Slack settings that cannot be used", () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    [
      "a channel name instead of its ID",
      () => bot((c) => (c.notifications.slack.channel = "#deployments")),
      /^notifications\.slack\.channel: "#deployments" is not a Slack channel ID\. Fix: copy the channel ID from the channel's details .*, not its name$/,
    ],
    [
      "a lowercase channel ID",
      () => bot((c) => (c.notifications.slack.channel = "c0sandbox01")),
      /^notifications\.slack\.channel: "c0sandbox01" is not a Slack channel ID\. Fix:/,
    ],
    [
      "bot mode without a channel",
      () => bot((c) => delete c.notifications.slack.channel),
      /^notifications\.slack\.channel: is missing\. Fix: give the ID of the channel to post in/,
    ],
    [
      "a mode that does not exist",
      () => bot((c) => (c.notifications.slack = { mode: "app", channel: CHANNEL })),
      /^notifications\.slack\.mode: must be false, true \(an incoming webhook\), \{"mode": "webhook"\} or \{"mode": "bot", "channel": "C0123456789"\}\. Fix:/,
    ],
    ["a string", () => bot((c) => (c.notifications.slack = "yes")), /^notifications\.slack: must be false, true .*\. Fix: use one of these forms$/],
    [
      "a channel in webhook mode",
      () => bot((c) => (c.notifications.slack = { mode: "webhook", channel: CHANNEL })),
      /^"channel" is not a known setting in notifications\.slack\. Fix:/,
    ],
    [
      "an http API URL that is not local",
      () => bot((c) => (c.notifications.slack.apiUrl = "http://slack.example.com/api/")),
      /^notifications\.slack\.apiUrl: "http:\/\/slack\.example\.com\/api\/" is not an https URL; the bot token travels with every call\. Fix: use https \(plain http only for a local stand-in on 127\.0\.0\.1 or localhost\)$/,
    ],
    [
      "an API URL without its final /",
      () => bot((c) => (c.notifications.slack.apiUrl = "https://slack.com/api")),
      /^notifications\.slack\.apiUrl: "https:\/\/slack\.com\/api" is not the base of Slack's Web API: method names are appended to it\. Fix: a URL ending in "\/"/,
    ],
    [
      "an API URL with a query",
      () => bot((c) => (c.notifications.slack.apiUrl = "https://slack.com/api/?team=T1")),
      /^notifications\.slack\.apiUrl: .* is not the base of Slack's Web API/,
    ],
    [
      "an API URL that is not a URL",
      () => bot((c) => (c.notifications.slack.apiUrl = "slack.com/api/")),
      /^notifications\.slack\.apiUrl: "slack\.com\/api\/" is not a URL\. Fix: use "https:\/\/slack\.com\/api\/", or remove apiUrl for it$/,
    ],
    [
      "a user name instead of a user ID",
      () => bot((c) => (c.approvers.slackUserIds = ["@alice"])),
      /^approvers\.slackUserIds\[0\]: "@alice" is not a Slack user ID\. Fix: copy the member ID from the person's Slack profile/,
    ],
    [
      "a channel ID among the users",
      () => bot((c) => (c.approvers.slackUserIds = [APPROVER, CHANNEL])),
      /^approvers\.slackUserIds\[1\]: "C0SANDBOX01" is not a Slack user ID\. Fix:/,
    ],
    [
      "a single user ID instead of a list",
      () => bot((c) => (c.approvers.slackUserIds = APPROVER)),
      /^approvers\.slackUserIds: must be a list of Slack user IDs\. Fix: write it as \["U0123ABCD"\]$/,
    ],
    [
      "a bad user ID of one service",
      () => bot((c) => (c.services[1].approvers = { slackUserIds: ["alice@example.com"] })),
      /^services\[1\]\.approvers\.slackUserIds\[0\]: "alice@example\.com" is not a Slack user ID\. Fix:/,
    ],
    [
      "a bad user ID of a service of repositories[]",
      () => bot((c) => (c.repositories[1].services[0].approvers = { slackUserIds: ["U1"] }), many()),
      /^repositories\[1\]\.services\[0\]\.approvers\.slackUserIds\[0\]: "U1" is not a Slack user ID\. Fix:/,
    ],
    [
      "service approvers without their list",
      () => bot((c) => (c.services[0].approvers = {})),
      /^services\[0\]\.approvers\.slackUserIds: is missing\. Fix: list the Slack user IDs, e\.g\. \["U0123ABCD"\], or remove the field$/,
    ],
    [
      "service approvers that are IAM principals",
      () => bot((c) => (c.services[0].approvers = { slackUserIds: [], principalArns: [] })),
      /^"principalArns" is not a known setting in services\[0\]\.approvers\. Fix:/,
    ],
    [
      "Slack approvers with Slack off",
      () => bot((c) => ((c.notifications.slack = false), (c.approvers.slackUserIds = [APPROVER]))),
      /^approvers\.slackUserIds: lists Slack users, but notifications\.slack is off, so nobody could approve from Slack\. Fix: set notifications\.slack to \{"mode": "bot", "channel": "C0123456789"\}/,
    ],
    [
      "Slack approvers with an incoming webhook",
      () => bot((c) => ((c.notifications.slack = true), (c.approvers.slackUserIds = [APPROVER]))),
      /^approvers\.slackUserIds: lists Slack users, but notifications\.slack is an incoming webhook, which cannot take button clicks, so nobody could approve from Slack\. Fix:/,
    ],
    [
      "a service's Slack approvers with Slack off",
      () => bot((c) => ((c.notifications.slack = false), (c.services[1].approvers = { slackUserIds: [APPROVER] }))),
      /^services\[1\]\.approvers: names Slack approvers, but notifications\.slack is off.* Fix: set notifications\.slack to \{"mode": "bot"/,
    ],
    [
      "a service's Slack approvers of repositories[] with an incoming webhook",
      () => bot((c) => ((c.notifications.slack = { mode: "webhook" }), (c.repositories[2].services[0].approvers = { slackUserIds: [] })), many()),
      /^repositories\[2\]\.services\[0\]\.approvers: names Slack approvers, but notifications\.slack is an incoming webhook/,
    ],
    [
      "a service named like the Slack app's functions",
      () => bot((c) => (c.services[0].name = "slack")),
      /^services\[0\]\.name: "slack" would name resources like pipewright's own "pipewright-slack".* Fix: choose another service name/,
    ],
  ];

  it.each(cases)("rejects %s, naming the field and the fix", (_name, raw, expected) => {
    const problems = configProblems(raw());
    expect(problems).toContainEqual(expect.stringMatching(expected));
  });
});

describe("the Slack app's names", () => {
  it("are the contract's, and service names may not lead into them", () => {
    const names = new PlatformNames(loadConfig(EXAMPLE_CONFIG_FILE));
    expect([names.slackFunction, names.slackActionsFunction, names.slackThreadsTable]).toEqual([
      "pipewright-slack",
      "pipewright-slack-actions",
      "pipewright-slack-threads",
    ]);
    expect([names.slackSigningSecret, names.slackBotTokenSecret]).toEqual(["pipewright/slack-signing-secret", "pipewright/slack-bot-token"]);
    expect(names.platformResourceNames).toEqual(expect.arrayContaining(["pipewright-slack", "pipewright-slack-actions", "pipewright-slack-threads"]));
  });
});
