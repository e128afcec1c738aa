/** Notifications as the handler builds them, for the formatting tests, and the repository catalog the notifier tests share. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { FailedActionFacts } from "../../../functions/notifier/facts";
import { buildNotification, type Notification, type NotificationInput } from "../../../functions/notifier/notification";
import { RepositoryCatalog, type RepositoryEntry } from "../../../functions/shared/repositories";

/** Two repositories with their own main branches, as the stacks bundle them with the notifier. */
export const CATALOG = RepositoryCatalog.from({
  repositories: [
    {
      repository: "acme-corp/shop",
      mainBranch: "main",
      forkLabel: "safe-to-test",
      services: [
        { name: "orders", pipeline: "pipewright-orders", include: ["services/orders/**"] },
        { name: "payments", pipeline: "pipewright-payments", include: ["services/payments/**"] },
      ],
    },
    {
      repository: "acme-corp/billing",
      mainBranch: "release",
      forkLabel: "safe-to-test",
      services: [{ name: "invoices", pipeline: "pipewright-billing-invoices", include: ["invoices/**"] }],
    },
  ],
});
export const SHOP = CATALOG.get("acme-corp/shop") as RepositoryEntry;

/** CATALOG as the stacks bundle it, in a file of its own for REPOSITORIES_FILE; `remove` deletes it. */
export function catalogFile(): { file: string; remove: () => void } {
  const folder = mkdtempSync(path.join(tmpdir(), "notifier-catalog-"));
  const file = path.join(folder, "repositories.json");
  writeFileSync(file, JSON.stringify({ repositories: CATALOG.repositories }));
  return { file, remove: () => rmSync(folder, { recursive: true, force: true }) };
}
export const BILLING = CATALOG.get("acme-corp/billing") as RepositoryEntry;

export const SHA = "3f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a";

export const BUILD_FAILURE: FailedActionFacts = {
  stage: "Build",
  action: "BuildAndPackage",
  provider: "CodeBuild",
  summary: "Build terminated with state: FAILED | Error while executing command: npm test. Reason: exit status 1",
  errorCode: "JobFailed",
  url: "https://eu-west-1.console.aws.amazon.com/codebuild/home?region=eu-west-1#/builds/pipewright-orders-build:1f2e/view/new",
};

export function notification(overrides: Partial<NotificationInput> = {}): Notification {
  return buildNotification({
    state: "FAILED",
    eventState: "FAILED",
    identity: { pipeline: "pipewright-orders", repository: SHOP, service: "orders", isMain: true },
    githubWebOrigin: "https://github.com",
    commit: { sha: SHA, shortSha: SHA.slice(0, 7), message: "Fix the checkout rounding\n\nLonger explanation", from: "execution" },
    failures: [BUILD_FAILURE],
    executionId: "7d8e9f00-1111-2222-3333-444455556666",
    account: "111111111111",
    location: { partition: "aws", region: "eu-west-1" },
    time: "2024-03-26T13:59:12Z",
    missing: [],
    ...overrides,
  });
}

export const PR_IDENTITY = {
  pipeline: "pipewright-orders-pr-12",
  repository: SHOP,
  service: "orders",
  isMain: false,
  pullRequest: 12,
  basePipeline: "pipewright-orders",
};

export const APPROVAL = {
  stage: "Prod",
  action: "Approve",
  customData: "Review the change set pipewright-orders-prod-changeset before approving",
  reviewUrl: "https://eu-west-1.console.aws.amazon.com/cloudformation/home?region=eu-west-1#/stacks",
};
