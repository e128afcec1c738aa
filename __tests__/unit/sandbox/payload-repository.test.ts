import { readFileSync } from "node:fs";
import * as path from "node:path";
import { UsageError } from "../../../sandbox/errors";
import { REPO_ROOT } from "../../../sandbox/paths";
import { moveToRepository } from "../../../sandbox/payload-repository";
import { pullRequestPayload } from "../../e2e/support/payloads";

const sample = (name: string) => readFileSync(path.join(REPO_ROOT, "sandbox", "samples", name));
const OTHER = "pipewright-sandbox/customer-preferences-and-notification-settings";

describe("send --repository: a payload moved to another repository", () => {
  it("moves a pull request's repository, base and head, and keeps the rest", () => {
    const original = JSON.parse(sample("pull-request-opened.json").toString());
    const moved = JSON.parse(moveToRepository(sample("pull-request-opened.json"), OTHER, "opened.json"));
    for (const fields of [moved.repository, moved.pull_request.base.repo, moved.pull_request.head.repo]) {
      expect(fields).toMatchObject({
        full_name: OTHER,
        name: "customer-preferences-and-notification-settings",
        owner: { login: "pipewright-sandbox" },
      });
    }
    expect(moved.pull_request.head.sha).toBe(original.pull_request.head.sha);
    expect({ ...moved, repository: undefined, pull_request: undefined }).toEqual({ ...original, repository: undefined, pull_request: undefined });
  });

  it("leaves a fork's head repository where it is", () => {
    const fork = pullRequestPayload({
      repository: "pipewright-sandbox/shop",
      number: 3,
      action: "opened",
      headSha: "a".repeat(40),
      updatedAt: new Date(),
      fork: "stranger/shop",
    });
    const moved = JSON.parse(moveToRepository(JSON.stringify(fork), OTHER, "fork.json"));
    expect(moved.pull_request.base.repo.full_name).toBe(OTHER);
    expect(moved.pull_request.head.repo.full_name).toBe("stranger/shop");
  });

  it("moves a push", () => {
    const moved = JSON.parse(moveToRepository(sample("push-orders.json"), OTHER, "push.json"));
    expect(moved.repository.full_name).toBe(OTHER);
    expect(moved.head_commit.modified).toEqual(["services/orders/src/handler.ts"]);
  });

  it.each([
    ["a repository that is not owner/name", "shop", "{}", /^--repository "shop" is not a GitHub repository\. Fix: write it as owner\/name/],
    ["a file that is not JSON", OTHER, "{", /^The payload file bad\.json is not JSON \(.+\), so it cannot be moved to .+\. Fix: /],
    [
      "a payload without a repository",
      OTHER,
      '{"action": "opened"}',
      /^The payload file bad\.json lacks repository, so it cannot be moved to .+\. Fix: /,
    ],
  ])("refuses %s, naming it and the fix", (_what, repository, body, message) => {
    const attempt = () => moveToRepository(body, repository, "bad.json");
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(message);
  });
});
