import {
  CodeDeployClient,
  GetApplicationRevisionCommand,
  GetDeploymentCommand,
  PutLifecycleEventHookExecutionStatusCommand,
} from "@aws-sdk/client-codedeploy";
import { type HookIds, type HookLogger, type HookStatus, type LifecycleStatusReporter, makeTrafficHookHandler } from "./traffic-hook";
import { appSpecSource, type LambdaDeploymentTarget, lookedUpContent, parseAppSpec } from "./traffic-hook-appspec";

/**
 * CodeDeploy adapters of the traffic hooks. Clients are injected.
 * IAM: codedeploy:GetDeployment and codedeploy:PutLifecycleEventHookExecutionStatus on the
 * deployment group (arn:<p>:codedeploy:<region>:<account>:deploymentgroup:<application>/<group>),
 * codedeploy:GetApplicationRevision on the application (...:application:<application>).
 */

/** Reports a hook's verdict. The runner (traffic-hook.ts) retries; give this client maxAttempts 1. */
export class CodeDeployStatusReporter implements LifecycleStatusReporter {
  constructor(private readonly client: CodeDeployClient) {}

  async report(ids: HookIds, status: HookStatus, signal: AbortSignal): Promise<void> {
    await this.client.send(
      new PutLifecycleEventHookExecutionStatusCommand({
        deploymentId: ids.deploymentId,
        lifecycleEventHookExecutionId: ids.lifecycleEventHookExecutionId,
        status,
      }),
      { abortSignal: signal },
    );
  }
}

/** Finds the Lambda function and versions a deployment shifts traffic between. */
export interface DeploymentTargets {
  lambdaTarget(deploymentId: string, signal: AbortSignal): Promise<LambdaDeploymentTarget>;
}

export class CodeDeployTargets implements DeploymentTargets {
  constructor(private readonly client: CodeDeployClient) {}

  async lambdaTarget(deploymentId: string, signal: AbortSignal): Promise<LambdaDeploymentTarget> {
    const { deploymentInfo } = await this.client.send(new GetDeploymentCommand({ deploymentId }), { abortSignal: signal });
    const source = appSpecSource(deploymentId, deploymentInfo);
    if ("content" in source) return parseAppSpec(deploymentId, source.content);
    const { revision } = await this.client.send(new GetApplicationRevisionCommand(source.lookUp), { abortSignal: signal });
    return parseAppSpec(deploymentId, lookedUpContent(deploymentId, revision));
  }
}

/**
 * A hook whose configuration could not be read still owes CodeDeploy a verdict:
 * this handler reports Failed with the configuration error as the reason,
 * instead of leaving the deployment waiting for an hour.
 */
export function misconfiguredHookHandler(hook: string, configError: unknown, logger: HookLogger) {
  return makeTrafficHookHandler({
    hook,
    logger,
    reporter: new CodeDeployStatusReporter(new CodeDeployClient({ maxAttempts: 1 })),
    check: async () => {
      throw configError;
    },
  });
}
