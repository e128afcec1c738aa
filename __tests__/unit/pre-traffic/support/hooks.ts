/** Fixtures shared by the traffic hook tests (pre-traffic, post-traffic and the shared runner). */
import { type CodeDeployClient, GetApplicationRevisionCommand, GetDeploymentCommand } from "@aws-sdk/client-codedeploy";
import type { Context } from "aws-lambda";
import type { AwsClientStub } from "aws-sdk-client-mock";
import { createHash } from "node:crypto";
import { lambdaContext as fullLambdaContext } from "../../../support/lambda";

export const DEPLOYMENT_ID = "d-7Q2X9ABCD";
export const HOOK_EXECUTION_ID = "eyJlbmNyeXB0ZWREYXRhIjoiZXhhbXBsZSJ9";
export const FUNCTION_NAME = "pipewright-orders-dev-app";
export const STACK_NAME = "pipewright-orders-dev";
/** The CodeDeploy application SAM creates for the stack's functions. */
export const APPLICATION_NAME = `${STACK_NAME}-ServerlessDeploymentApplication-1A2B3C4D5E6F`;

export function hookEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { DeploymentId: DEPLOYMENT_ID, LifecycleEventHookExecutionId: HOOK_EXECUTION_ID, ...overrides };
}

/** The AppSpec as CloudFormation writes it for SAM's AutoPublishAlias + DeploymentPreference. */
export function appSpecJson(target: { name?: string; current?: string; target?: string } = {}): string {
  return JSON.stringify({
    version: "0.0",
    Resources: [
      {
        AppFunction: {
          Type: "AWS::Lambda::Function",
          Properties: {
            Name: target.name ?? FUNCTION_NAME,
            Alias: "live",
            CurrentVersion: target.current ?? "3",
            TargetVersion: target.target ?? "4",
          },
        },
      },
    ],
  });
}

/**
 * The deployment as CodeDeploy describes it: GetDeployment names the AppSpec by its SHA-256,
 * GetApplicationRevision of that revision gives its content (`content` here).
 */
export function mockDeployment(codedeploy: AwsClientStub<CodeDeployClient>, content: string = appSpecJson()): void {
  const sha256 = createHash("sha256").update(content).digest("hex");
  const revision = { revisionType: "AppSpecContent" as const, appSpecContent: { sha256 } };
  codedeploy.on(GetDeploymentCommand, { deploymentId: DEPLOYMENT_ID }).resolves({
    deploymentInfo: { deploymentId: DEPLOYMENT_ID, applicationName: APPLICATION_NAME, computePlatform: "Lambda", revision },
  });
  codedeploy.on(GetApplicationRevisionCommand, { applicationName: APPLICATION_NAME, revision }).resolves({
    applicationName: APPLICATION_NAME,
    revision: { revisionType: "AppSpecContent", appSpecContent: { content, sha256 } },
  });
}

/** A Lambda context whose remaining time runs down from `remainingMs` in real time. */
export function lambdaContext(remainingMs: number): Context {
  return fullLambdaContext({ functionName: "CodeDeployHook_pipewright-pre-traffic", remainingMs });
}

/** Short timings for tests: a small reserve and almost no delay between report attempts. */
export const FAST = { reportReserveMs: 100, reportRetryDelayMs: 1, reportAttemptTimeoutMs: 200 } as const;

export function recordingLogger() {
  return { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
}

/** Every message a recording logger received at one level, with its attributes as JSON. */
export function logged(fn: jest.Mock): string {
  return fn.mock.calls.map((call: unknown[]) => call.map((part) => (typeof part === "string" ? part : JSON.stringify(part))).join(" ")).join("\n");
}

/** The attributes of the last call at one level. */
export function lastFields(fn: jest.Mock): Record<string, unknown> {
  const call = fn.mock.calls.at(-1) as unknown[] | undefined;
  return (call?.[1] ?? {}) as Record<string, unknown>;
}

/** An AWS SDK service error as the clients throw it. */
export function awsError(name: string, message = `${name} from the test`): Error {
  return Object.assign(new Error(message), { name, $fault: "client", $metadata: { httpStatusCode: 400 } });
}
