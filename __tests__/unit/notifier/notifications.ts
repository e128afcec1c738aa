/** Notifications as the handler builds them, for the formatting tests. */
import type { FailedActionFacts } from "../../../functions/notifier/facts";
import { buildNotification, type Notification, type NotificationInput } from "../../../functions/notifier/notification";

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
    identity: { pipeline: "pipewright-orders", service: "orders", isMain: true },
    mainBranch: "main",
    repository: "acme-corp/shop",
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
