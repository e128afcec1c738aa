import { buildSync } from "esbuild";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import type { Summary } from "./stats";

export type WebhookFigures = Summary & { accepted: number };

/**
 * Runs bench/webhook-measure.ts in a fresh process from an esbuild bundle, as
 * the function runs in Lambda (and because @octokit/webhooks-methods is ESM-only).
 */
export function benchWebhook(): WebhookFigures {
  // Inside the project, so the SDK left external resolves from node_modules.
  const outfile = path.resolve(__dirname, "..", ".build", "bench", "webhook.js");
  buildSync({
    entryPoints: [path.join(__dirname, "webhook-measure.ts")],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    logLevel: "silent",
    external: ["@aws-sdk/*", "@smithy/*"],
  });
  const result = spawnSync(process.execPath, [outfile], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`webhook benchmark failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as WebhookFigures;
}
