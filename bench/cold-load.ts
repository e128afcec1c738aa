import { buildSync } from "esbuild";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { z } from "zod";
import { RUNTIME_PROVIDED_MODULES } from "../stacks/bundle";
import { FIRST_INVOCATION_CLIENTS } from "./cold-load-clients";
import { summarize, type Summary } from "./stats";

export interface ColdLoadFigures {
  /** Requiring the bundle, then building the clients the first invocation needs: the budgeted figure. */
  readonly load: Summary;
  /** Requiring the bundle alone. */
  readonly module: Summary;
  /** One call on each of those clients, answered in-process: what the SDK first loads and runs to send. */
  readonly firstCalls: Summary;
}

const probeOutputSchema = z.object({ moduleMs: z.number(), clientsMs: z.number(), firstCallsMs: z.number() });

/** The probe, bundled like the functions (SDK left to the runtime), inside the project so the SDK resolves from node_modules. */
function buildProbe(): string {
  const outfile = path.resolve(__dirname, "..", ".build", "bench", "cold-load-probe.js");
  buildSync({
    entryPoints: [path.join(__dirname, "cold-load-probe.ts")],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    logLevel: "silent",
    external: RUNTIME_PROVIDED_MODULES,
  });
  return outfile;
}

export class ColdLoadProbeError extends Error {
  constructor(functionName: string, stderr: string) {
    super(`Measuring the cold load of ${functionName} failed: ${stderr.trim()}`);
    this.name = "ColdLoadProbeError";
  }
}

/**
 * A cold start's load, each sample in a fresh Node.js process: the bundle
 * required, the SDK clients its first invocation needs built (its clients
 * listed in bench/cold-load-clients.ts), then one call on each answered
 * in-process, measured apart.
 */
export function benchColdLoad(functionName: string, bundleFile: string, runs = 15): ColdLoadFigures {
  const clients = FIRST_INVOCATION_CLIENTS[functionName];
  if (!clients)
    throw new ColdLoadProbeError(
      functionName,
      `no entry in FIRST_INVOCATION_CLIENTS. Fix: list its first invocation's SDK clients in bench/cold-load-clients.ts`,
    );
  const probe = buildProbe();
  const samples = Array.from({ length: runs }, () => {
    const result = spawnSync(process.execPath, [probe, bundleFile, JSON.stringify(clients)], {
      encoding: "utf8",
      // What the Lambda runtime sets; the handlers read their own variables lazily.
      env: {
        ...process.env,
        AWS_REGION: "eu-west-1",
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_ACCESS_KEY_ID: "ASIACOLDLOADPROBE",
        AWS_SECRET_ACCESS_KEY: "cold-load-probe",
        AWS_SESSION_TOKEN: "cold-load-probe",
      },
    });
    if (result.status !== 0) throw new ColdLoadProbeError(functionName, result.stderr);
    return probeOutputSchema.parse(JSON.parse(result.stdout) as unknown);
  });
  return {
    load: summarize(samples.map((s) => s.moduleMs + s.clientsMs)),
    module: summarize(samples.map((s) => s.moduleMs)),
    firstCalls: summarize(samples.map((s) => s.firstCallsMs)),
  };
}
