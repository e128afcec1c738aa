import { App } from "cdktf";
import type { PipewrightConfig } from "../stacks/config";
import { addPlatformStacks } from "../stacks/platform";
import { emulatorProviderOverrides } from "./provider";
import { addSandboxDeliveryTargets } from "./sandbox-resources";

/** The stacks, in the order the sandbox applies them (dev and prod first, as in AWS). */
export const STACKS = ["dev", "prod", "build"] as const;
export type StackName = (typeof STACKS)[number];

/**
 * Synthesizes the platform for the emulator: the platform's own stacks
 * (providers pointed at `endpoint`) plus the sandbox-only delivery targets.
 * The stacks' local backends put each state file next to `outdir`.
 */
export function synthesizeSandbox(config: PipewrightConfig, endpoint: string, outdir: string): void {
  const app = new App({ outdir, skipValidation: false });
  const { build } = addPlatformStacks(app, config, { providerOverrides: emulatorProviderOverrides(endpoint) });
  addSandboxDeliveryTargets(build);
  app.synth();
}
