import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import type { EventBridgeEvent } from "aws-lambda";
import type { PushEvent } from "../../../functions/shared/events";
import type { PushRouterConfig } from "../../../functions/push-router/config";
import { RepositoryCatalog, type RepositoryEntry, type ServiceEntry } from "../../../functions/shared/repositories";
import { DynamoPushOrderStore } from "../../../functions/push-router/state";
import { FakeDynamoTable } from "../pr-pipelines/support/fake-dynamodb";

/** A 40-hex commit id made of one repeated character. */
export const sha = (char: string): string => char.repeat(40);
export const ZERO = sha("0");
export const BEFORE = sha("b");
export const AFTER = sha("a");
/** repository.pushed_at of the default push, epoch seconds. */
export const PUSHED_AT = 1_764_000_000;
export const PUSH_STATE_TABLE = "pw-push-state";

/** The monorepo most tests push to, and a second repository with another main branch whose globs overlap the monorepo's paths. */
export const MONO = "acme/mono";
export const SHOP = "acme/shop";

export const API: ServiceEntry = {
  name: "api",
  pipeline: "pw-api",
  include: ["services/api/**", "libs/shared/**"],
  exclude: ["**/*.md"],
  slackApprovers: [],
  kind: "lambda",
  preview: true,
};
export const WEB: ServiceEntry = {
  name: "web",
  pipeline: "pw-web",
  include: ["services/web/**", "libs/shared/**"],
  exclude: [],
  slackApprovers: [],
  kind: "lambda",
  preview: true,
};
export const INFRA: ServiceEntry = {
  name: "infra",
  pipeline: "pw-infra",
  include: ["infra/**", "package.json"],
  exclude: [],
  slackApprovers: [],
  kind: "lambda",
  preview: true,
};
export const CART: ServiceEntry = {
  name: "shop-cart",
  pipeline: "pw-shop-cart",
  include: ["services/**", "libs/shared/**"],
  exclude: [],
  slackApprovers: [],
  kind: "lambda",
  preview: true,
};
/** The monorepo's pipelines. */
export const ALL_PIPELINES = ["pw-api", "pw-web", "pw-infra"];

export const catalog = RepositoryCatalog.from({
  repositories: [
    { repository: MONO, mainBranch: "main", forkLabel: "ok-to-test", services: [API, WEB, INFRA] },
    { repository: SHOP, mainBranch: "release", forkLabel: "ok-to-test", services: [CART] },
  ],
});
export const MONO_ENTRY = catalog.get(MONO) as RepositoryEntry;

export const config: PushRouterConfig = { catalog, sourceActionName: "Source" };

export function push(overrides: Partial<PushEvent> = {}): PushEvent {
  return {
    deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    repository: "acme/mono",
    ref: "refs/heads/main",
    before: BEFORE,
    after: AFTER,
    forced: false,
    created: false,
    deleted: false,
    changedFiles: ["services/api/src/handler.ts"],
    truncated: false,
    pushedAt: PUSHED_AT,
    ...overrides,
  };
}

export function busEvent(detail: unknown, id = "evt-1"): EventBridgeEvent<"push", unknown> {
  return {
    version: "0",
    id,
    "detail-type": "push",
    source: "pipewright.github",
    account: "111111111111",
    time: "2025-01-01T00:00:00Z",
    region: "eu-west-1",
    resources: [],
    detail,
  };
}

/** A logger whose calls the tests read. */
export function recordingLogger() {
  return { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
}

/** Every message a recording logger received at one level, with its attributes as JSON. */
export function logged(fn: jest.Mock): string {
  return fn.mock.calls
    .map((call: unknown[]) => call.map((part) => (typeof part === "string" ? part : JSON.stringify(part, errorReplacer))).join(" "))
    .join("\n");
}

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}

/**
 * The push-state table in memory, behind a mocked DynamoDB client: the real
 * store's conditional writes are evaluated as DynamoDB would. Call `restore` after the test.
 */
export function fakePushState(now: () => number = () => 1_764_000_000_123) {
  const table = new FakeDynamoTable(PUSH_STATE_TABLE, "pipeline");
  const dynamodb = mockClient(DynamoDBClient);
  dynamodb.on(UpdateItemCommand).callsFake(async (input) => table.updateItem(input));
  const store = new DynamoPushOrderStore(new DynamoDBClient({ region: "eu-west-1" }), PUSH_STATE_TABLE, now);
  return { table, dynamodb, store, restore: () => dynamodb.restore() };
}
