import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { send } from "../../../sandbox/commands/send";
import { SandboxNotRunningError } from "../../../sandbox/errors";
import { REPO_ROOT, SandboxPaths } from "../../../sandbox/paths";
import { type SandboxState, writeState } from "../../../sandbox/state";
import { signature } from "../../../sandbox/webhook-client";
import { FakeHttpServer } from "../../support/fake-http";

const SECRET = "0".repeat(64);
const SHOP = "pipewright-sandbox/shop";
const PREFERENCES = "pipewright-sandbox/customer-preferences-and-notification-settings";
const OPENED = path.join(REPO_ROOT, "sandbox", "samples", "pull-request-opened.json");

let webhook: FakeHttpServer;
let paths: SandboxPaths;
let lines: string[];

beforeEach(async () => {
  webhook = await FakeHttpServer.start(() => ({ status: 202, body: { status: "accepted" } }));
  paths = new SandboxPaths(mkdtempSync(path.join(tmpdir(), "pipewright-send-")));
  lines = [];
  // Only what send reads of a running sandbox's state.
  const state: Pick<SandboxState, "webhookUrl" | "webhookSecret" | "repositories"> = {
    webhookUrl: `${webhook.url}/webhook`,
    webhookSecret: SECRET,
    repositories: [
      { repository: SHOP, mainBranch: "main", pipelines: [] },
      { repository: PREFERENCES, mainBranch: "main", pipelines: [] },
    ],
  };
  writeState(paths.stateFile, state as SandboxState);
});

afterEach(async () => {
  await webhook.stop();
  rmSync(paths.dir, { recursive: true, force: true });
});

const sendOpened = (repository?: string) =>
  send(paths, { event: "pull_request", payloadFile: OPENED, ...(repository ? { repository } : {}) }, (line) => lines.push(line));

describe("npm run sandbox -- send", () => {
  it("without --repository signs and posts the file's bytes as they are", async () => {
    expect(await sendOpened()).toBe(true);
    const [request] = webhook.requests;
    expect(request?.body).toBe(readFileSync(OPENED, "utf8"));
    expect(request?.headers["x-hub-signature-256"]).toBe(signature(SECRET, readFileSync(OPENED)));
    expect(lines[0]).toMatch(/^HTTP 202 \(delivery [0-9a-f-]{36}\)$/);
  });

  it("with --repository posts the payload moved to that repository, signed anew", async () => {
    expect(await sendOpened(PREFERENCES)).toBe(true);
    const [request] = webhook.requests;
    expect(request?.json().repository.full_name).toBe(PREFERENCES);
    expect(request?.headers["x-hub-signature-256"]).toBe(signature(SECRET, request?.body ?? ""));
    expect(lines.join("\n")).not.toContain("Note:");
  });

  it("sends to a repository the sandbox does not serve, saying that the webhook will ignore it", async () => {
    await sendOpened("someone/else");
    expect(webhook.requests[0]?.json().repository.full_name).toBe("someone/else");
    expect(lines[0]).toBe(
      `Note: someone/else is not a repository of this sandbox (it serves ${SHOP}, ${PREFERENCES}); the webhook will ignore the delivery.`,
    );
  });

  it("without a running sandbox fails naming the fix", async () => {
    rmSync(paths.stateFile);
    await expect(sendOpened()).rejects.toThrow(SandboxNotRunningError);
    await expect(sendOpened()).rejects.toThrow(/Fix: npm run sandbox -- up/);
    expect(webhook.requests).toEqual([]);
  });
});
