import { App } from "cdktf";
import type { PipewrightConfig } from "../stacks/config";
import { addPlatformStacks } from "../stacks/platform";
import { withSlackApiUrl } from "./config";
import { emulatorProviderOverrides } from "./provider";
import { addSandboxDeliveryTargets } from "./sandbox-resources";

/** The stacks, in the order the sandbox applies them (dev and prod first, as in AWS). */
export const STACKS = ["dev", "prod", "build"] as const;
export type StackName = (typeof STACKS)[number];

export interface SandboxSynthOptions {
  /** The Slack stand-in's Web API: replaces notifications.slack.apiUrl in bot mode. */
  readonly slackApiUrl?: string;
}

/**
 * Synthesizes the platform for the emulator: the platform's own stacks
 * (providers pointed at `endpoint`, the Slack app's Web API at the
 * stand-in) plus the sandbox-only delivery targets. The stacks' local
 * backends put each state file next to `outdir`.
 */
export function synthesizeSandbox(config: PipewrightConfig, endpoint: string, outdir: string, options: SandboxSynthOptions = {}): void {
  const app = new App({ outdir, skipValidation: false });
  const platform = options.slackApiUrl === undefined ? config : withSlackApiUrl(config, options.slackApiUrl);
  const { build } = addPlatformStacks(app, platform, { providerOverrides: emulatorProviderOverrides(endpoint) });
  addSandboxDeliveryTargets(build);
  app.synth();
}
