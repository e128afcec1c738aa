import { emailBody, emailSubject, MAX_SUBJECT_LENGTH, toAsciiLine } from "../../../functions/notifier/email";
import { APPROVAL, BUILD_FAILURE, notification, PR_IDENTITY, SHA } from "./notifications";

describe("emailSubject", () => {
  test("names the state, the pipeline, the branch and where it failed", () => {
    expect(emailSubject(notification())).toBe("FAILED: pipewright-orders, main, at Build/BuildAndPackage");
  });

  test("names the pull request of a PR pipeline as owner/name#number", () => {
    expect(emailSubject(notification({ identity: PR_IDENTITY }))).toContain("pipewright-orders-pr-12, acme-corp/shop#12");
  });

  test("names a pull request without its repository when the pipeline belongs to no configured repository", () => {
    expect(emailSubject(notification({ identity: { ...PR_IDENTITY, repository: undefined } }))).toContain("pipewright-orders-pr-12, PR #12");
  });

  test.each([
    ["APPROVAL_WAITING", "APPROVAL", "APPROVAL WAITING: pipewright-orders, main, at Prod"],
    ["RECOVERED", "SUCCEEDED", "RECOVERED: pipewright-orders, main"],
    ["STOPPED", "CANCELED", "CANCELED: pipewright-orders, main"],
    ["SUPERSEDED", "SUPERSEDED", "SUPERSEDED: pipewright-orders, main"],
  ] as const)("%s (event %s)", (state, eventState, subject) => {
    expect(emailSubject(notification({ state, eventState, failures: [], approval: state === "APPROVAL_WAITING" ? APPROVAL : undefined }))).toBe(
      subject,
    );
  });

  test("stays within SNS's limit, in printable ASCII on one line", () => {
    const subject = emailSubject(
      notification({
        identity: { pipeline: `pipewright-${"x".repeat(90)}`, isMain: false, pullRequest: 3 },
        failures: [{ ...BUILD_FAILURE, stage: "Bühne\nzwei", action: "Aktion✓" }],
      }),
    );
    expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.endsWith("...")).toBe(true);
    expect(toAsciiLine("Bühne\nzwei ✓")).toBe("Buhne zwei ?");
  });
});

describe("emailBody of a failure", () => {
  const body = emailBody(notification());

  test("says which stage and action failed, and the error summary", () => {
    expect(body).toContain("failed at stage Build, action BuildAndPackage");
    expect(body).toContain("Failed action: Build / BuildAndPackage (CodeBuild)");
    expect(body).toContain("Error while executing command: npm test. Reason: exit status 1 [JobFailed]");
  });

  test("names service, branch, commit and says the author is not reported instead of inventing one", () => {
    expect(body).toMatch(/^Service: +orders$/m);
    expect(body).toMatch(/^Branch: +main$/m);
    expect(body).toMatch(/^Commit: +3f1c2a9 Fix the checkout rounding$/m);
    expect(body).toMatch(/^Author: +not reported by CodePipeline$/m);
  });

  test("links to the execution and the build logs in the event's Region, and to the commit", () => {
    expect(body).toContain(
      "https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/pipewright-orders/executions/7d8e9f00-1111-2222-3333-444455556666/timeline?region=eu-west-1",
    );
    expect(body).toMatch(/^Build logs: +https:\/\/eu-west-1\.console\.aws\.amazon\.com\/codebuild\//m);
    expect(body).toContain(`https://github.com/acme-corp/shop/commit/${SHA}`);
    expect(body).toMatch(/^Account: +111111111111, Region eu-west-1$/m);
  });

  test("is plain text: no markup", () => {
    expect(body).not.toMatch(/<[a-z]+[ >]|\*\*|```/i);
  });
});

describe("emailBody, other cases", () => {
  test("a pull request pipeline names the pull request and links it", () => {
    const body = emailBody(
      notification({ identity: PR_IDENTITY, commit: { sha: SHA, shortSha: "3f1c2a9", branch: "feature/login", from: "execution" } }),
    );
    expect(body).toMatch(/^Pull request: +#12 in acme-corp\/shop$/m);
    expect(body).toMatch(/^Branch: +feature\/login$/m);
    expect(body).toContain("https://github.com/acme-corp/shop/pull/12");
    expect(body).toContain("3f1c2a9 (message not reported)");
  });

  test("an approval waiting gives the reviewer's instructions and the approve link", () => {
    const body = emailBody(notification({ state: "APPROVAL_WAITING", eventState: "STARTED", failures: [], approval: APPROVAL }));
    expect(body).toContain("is waiting for a manual approval at stage Prod, action Approve");
    expect(body).toContain(APPROVAL.customData);
    expect(body).toMatch(
      /^Approve: +https:\/\/eu-west-1\.console\.aws\.amazon\.com\/codesuite\/codepipeline\/pipelines\/pipewright-orders\/view\?region=eu-west-1$/m,
    );
    expect(body).toMatch(/^Review: +https:\/\/eu-west-1\.console\.aws\.amazon\.com\/cloudformation\//m);
  });

  test("a recovery says what it recovers from", () => {
    const body = emailBody(notification({ state: "RECOVERED", eventState: "SUCCEEDED", failures: [], recoveredFrom: "the failed execution e-41" }));
    expect(body).toContain("succeeded again after a failed execution");
    expect(body).toMatch(/^Recovers: +the failed execution e-41$/m);
  });

  test("aws-cn links use the China console host", () => {
    const body = emailBody(notification({ location: { partition: "aws-cn", region: "cn-north-1" } }));
    expect(body).toContain("https://cn-north-1.console.amazonaws.cn/codesuite/codepipeline/pipelines/pipewright-orders/executions/");
  });

  test("details that could not be read are named, not silently left out", () => {
    const body = emailBody(
      notification({ failures: [], commit: undefined, missing: ["the action executions (ListActionExecutions): AccessDeniedException: no"] }),
    );
    expect(body).toContain("Failed action: not found");
    expect(body).toContain("Commit:        unknown");
    expect(body).toContain("  - the action executions (ListActionExecutions): AccessDeniedException: no");
  });

  test("a very long error summary is cut", () => {
    const body = emailBody(notification({ failures: [{ ...BUILD_FAILURE, summary: "x".repeat(10_000) }] }));
    expect(body.length).toBeLessThan(4000);
  });
});
