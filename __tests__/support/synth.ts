import { type App, Testing, type TerraformStack } from "cdktf";
import * as path from "node:path";
import { ConfigError, loadConfig, parseConfig, type PipewrightConfig } from "../../stacks/config";
import { addPlatformStacks, type PlatformOptions } from "../../stacks/platform";

export const ROOT = path.resolve(__dirname, "..", "..");
export const EXAMPLE_CONFIG_FILE = path.join(ROOT, "config", "example.json");

/** The committed example configuration, parsed. */
export function exampleConfig(): PipewrightConfig {
  return loadConfig(EXAMPLE_CONFIG_FILE);
}

/** The example configuration with some fields replaced, validated again. */
export function configWith(change: (raw: Record<string, any>) => void): PipewrightConfig {
  const raw = JSON.parse(JSON.stringify(exampleConfig()));
  change(raw);
  return parseConfig(raw, "test configuration");
}

/** The problems parseConfig reports for `raw`; fails the test when it is accepted. */
export function configProblems(raw: unknown): string[] {
  try {
    parseConfig(raw, "test.json");
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [...error.problems];
  }
  throw new Error("configuration was accepted");
}

export type SynthesizedStack = Record<string, any>;

/** Synthesizes one stack to its Terraform JSON. */
export function synthStack(stack: TerraformStack): SynthesizedStack {
  return JSON.parse(Testing.synth(stack));
}

/** Synthesizes all three stacks of a configuration. */
export function synthPlatform(config: PipewrightConfig = exampleConfig(), options: PlatformOptions = {}) {
  const app = Testing.app();
  const stacks = addPlatformStacks(app as App, config, options);
  return {
    build: synthStack(stacks.build),
    dev: synthStack(stacks.dev),
    prod: synthStack(stacks.prod),
  };
}

/** The resources of a given type in a synthesized stack, by their logical name. */
export function resourcesOf(stack: SynthesizedStack, type: string): Record<string, any>[] {
  return Object.values(stack.resource?.[type] ?? {});
}

/**
 * The resource of a type at a construct path below the stack, e.g.
 * `artifact-store/key` (cdktf names it `artifact-store_key_<hash>`). Construct
 * ids are part of the contract: renaming one replaces the resource.
 */
export function resourceAt(stack: SynthesizedStack, type: string, constructPath: string): Record<string, any> {
  // cdktf drops a path component that repeats its parent's (`a/a/b` becomes `a_b`).
  const parts = constructPath.split("/").filter((part, i, all) => i === 0 || part !== all[i - 1]);
  const logicalPrefix = parts.join("_");
  // Resources directly in the stack keep their id; deeper ones get a hash suffix.
  const pattern = new RegExp(parts.length === 1 ? `^${logicalPrefix}$` : `^${logicalPrefix}_[0-9A-F]{8}$`);
  const found = Object.entries(stack.resource?.[type] ?? {}).filter(([name]) => pattern.test(name));
  if (found.length !== 1) throw new Error(`expected one ${type} at ${constructPath}, found ${found.length}`);
  return found[0][1] as Record<string, any>;
}

/** Statements of a policy document string. */
export function statementsOf(policy: string): any[] {
  return JSON.parse(policy).Statement;
}

/** The statement with a given Sid. */
export function statement(policy: string, sid: string): any {
  const found = statementsOf(policy).find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid} in ${policy}`);
  return found;
}
