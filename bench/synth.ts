import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DEFAULT_CONFIG_FILE, loadConfig, parseConfig } from "../stacks/config";
import { summarize, type Summary } from "./stats";

const ROOT = path.resolve(__dirname, "..");

/** The stacks `npm run synth` writes, each to `<outdir>/stacks/<stack>/cdk.tf.json`. */
const STACKS = ["build", "dev", "prod"] as const;

/** Names of a generated repository's services: what a team's monorepo typically splits into, then numbered. */
const GENERATED_SERVICES = ["api", "worker", "web"];

/** Synth did not finish, or left out a stack. */
export class SynthBenchError extends Error {
  constructor(configFile: string, problem: string) {
    super(`npm run synth of ${configFile} ${problem}. Fix: run npm run synth -- --config ${configFile} and read its output`);
    this.name = "SynthBenchError";
  }
}

/**
 * Wall time of `npm run synth`'s command (all three stacks), fresh process
 * each run, of the example configuration or of `configFile` (passed as
 * --config). Every run must write all three stacks.
 */
export function benchSynth(runs = 5, configFile: string = path.join(ROOT, DEFAULT_CONFIG_FILE)): Summary {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const outdir = mkdtempSync(path.join(tmpdir(), "pipewright-bench-"));
    try {
      const started = process.hrtime.bigint();
      const result = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "main.ts", "--config", configFile], {
        cwd: ROOT,
        env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" },
        encoding: "utf8",
      });
      samples.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (result.status !== 0) throw new SynthBenchError(configFile, `failed (exit ${result.status}): ${result.stderr}`);
      const missing = STACKS.filter((stack) => !existsSync(path.join(outdir, "stacks", stack, "cdk.tf.json")));
      if (missing.length > 0) throw new SynthBenchError(configFile, `wrote no ${missing.join(", ")} stack`);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }
  return summarize(samples);
}

/** `example-org/shop-<n>`, or a long name that its short name cuts to 20 characters. */
function generatedRepository(index: number): string {
  const number = String(index + 1).padStart(2, "0");
  return index % 2 === 0 ? `example-org/shop-${number}` : `example-org/team${number}-customer-facing-services-monorepo`;
}

/**
 * The example configuration with `repositories` instead of its one
 * repository: `repositories` × `servicesEach` services, each with its
 * integration tests, like the example's. Validated before it is returned.
 */
export function manyRepositoriesConfig(repositories: number, servicesEach: number): Record<string, unknown> {
  const { github, services: _single, ...example } = loadConfig(path.join(ROOT, DEFAULT_CONFIG_FILE));
  const raw = {
    ...example,
    github: { connection: github.connection, forkPullRequestLabel: github.forkPullRequestLabel },
    repositories: Array.from({ length: repositories }, (_, index) => ({
      repository: generatedRepository(index),
      mainBranch: "main",
      services: Array.from({ length: servicesEach }, (_, service) => GENERATED_SERVICES[service] ?? `service${service + 1}`).map((name) => ({
        name,
        include: [`services/${name}/**`, "libs/shared/**"],
        exclude: ["**/*.md"],
        buildspec: `services/${name}/buildspec.yml`,
        integrationTestsBuildspec: `services/${name}/buildspec-integration.yml`,
        template: `services/${name}/template.yaml`,
      })),
    })),
  };
  parseConfig(raw, `the generated configuration of ${repositories} repositories`);
  return raw;
}

/** benchSynth of a generated configuration of `repositories` × `servicesEach` services (written to a temporary file). */
export function benchSynthManyRepositories(runs: number, repositories: number, servicesEach: number): Summary {
  const dir = mkdtempSync(path.join(tmpdir(), "pipewright-bench-config-"));
  try {
    const file = path.join(dir, `repositories-${repositories}x${servicesEach}.json`);
    writeFileSync(file, JSON.stringify(manyRepositoriesConfig(repositories, servicesEach), null, 2));
    return benchSynth(runs, file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
