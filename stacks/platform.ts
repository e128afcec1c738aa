import type { App } from "cdktf";
import type { PipewrightConfig } from "./config";
import { BuildStack } from "./build-stack";
import { TargetStack, TARGET_ACCOUNTS } from "./target-stack";
import type { AccountStackProps } from "./account-stack";

export interface PlatformOptions {
  /** See BuildStackProps.bootstrap. @default false */
  readonly bootstrap?: boolean;
  /** Provider settings for every stack (the sandbox points them at the emulator). @default none */
  readonly providerOverrides?: AccountStackProps["providerOverrides"];
}

/** The three stacks of one platform, in one app. */
export function addPlatformStacks(app: App, config: PipewrightConfig, options: PlatformOptions = {}) {
  const common = { config, providerOverrides: options.providerOverrides };
  const targets = TARGET_ACCOUNTS.map((environment) => new TargetStack(app, { ...common, environment }));
  const build = new BuildStack(app, { ...common, bootstrap: options.bootstrap });
  return { build, dev: targets[0], prod: targets[1] };
}
