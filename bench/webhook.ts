import { buildSync } from "esbuild";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { z } from "zod";
import { ms } from "./stats";

const summarySchema = z.object({ runs: z.number(), p50: z.number(), p99: z.number(), max: z.number() });
const benchOutputSchema = z.object({
  /** Each delivery's first handling, one configured repository. */
  oneRepository: summarySchema.extend({ accepted: z.number() }),
  /** Side by side: the same kind of deliveries with one repository and spread over a catalog of `repositories`. */
  catalogs: z.object({
    repositories: z.number(),
    /** Deliveries of the catalog put on the bus. */
    accepted: z.number(),
    /** Each delivery's best handling (webhook-measure.ts says why). */
    oneRepositoryBest: summarySchema,
    manyRepositoriesBest: summarySchema,
    /** Each delivery's first handling, for the record. */
    manyRepositoriesFirst: summarySchema,
  }),
});

export type WebhookBenchFigures = z.infer<typeof benchOutputSchema>;

/**
 * Runs bench/webhook-measure.ts in a fresh process from an esbuild bundle, as
 * the function runs in Lambda (and because @octokit/webhooks-methods is ESM-only).
 */
export function benchWebhook(repositories: number): WebhookBenchFigures {
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
  const result = spawnSync(process.execPath, [outfile, String(repositories)], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`webhook benchmark failed: ${result.stderr}`);
  return benchOutputSchema.parse(JSON.parse(result.stdout));
}

export interface WebhookBudgets {
  /** p99 per delivery with one repository (each delivery's first handling). */
  readonly p99Ms: number;
  /**
   * Routing does not grow with the number of repositories: the p99 with a
   * catalog of `repositories` (each delivery's best handling) is at most that
   * with one, times `factor` or plus `slackMs`, whichever is larger. The
   * machine's pauses only add time, so best handlings measured side by side
   * agree closely even on a loaded shared machine; the tolerance is several
   * times their difference, and still well under what reading or validating
   * the catalog again for each delivery would cost. It cannot see a scan of
   * the catalog (cheap next to the signature check): the unit tests do.
   */
  readonly catalog: { readonly repositories: number; readonly factor: number; readonly slackMs: number };
}

/** The p99 a catalog of many repositories may reach, given the p99 with one. */
export function catalogP99BudgetMs(oneRepositoryP99Ms: number, budget: WebhookBudgets["catalog"]): number {
  return Math.max(oneRepositoryP99Ms * budget.factor, oneRepositoryP99Ms + budget.slackMs);
}

/** One line per figure and whether it is within its budget (run.ts prints them with OK/OVER). */
export function reportWebhook(figures: WebhookBenchFigures, budgets: WebhookBudgets): Array<{ line: string; ok: boolean }> {
  const { oneRepository: one, catalogs } = figures;
  const { oneRepositoryBest: oneBest, manyRepositoriesBest: manyBest, manyRepositoriesFirst: manyFirst } = catalogs;
  const catalogBudget = catalogP99BudgetMs(oneBest.p99, budgets.catalog);
  return [
    {
      line: `webhook handling of ${one.runs} signed deliveries, one repository: p50 ${ms(one.p50)}, p99 ${ms(one.p99)}, max ${ms(one.max)}, ${one.accepted} accepted; budget p99 ${ms(budgets.p99Ms)}`,
      ok: one.p99 <= budgets.p99Ms && one.accepted === one.runs,
    },
    {
      line:
        `webhook handling with ${catalogs.repositories} repositories, deliveries spread over all, side by side with one repository, best of each delivery's handlings: ` +
        `p50 ${ms2(manyBest.p50)} (one repository ${ms2(oneBest.p50)}), p99 ${ms2(manyBest.p99)} (one repository ${ms2(oneBest.p99)}), ${catalogs.accepted} accepted ` +
        `(first handlings p99 ${ms(manyFirst.p99)}, max ${ms(manyFirst.max)}); ` +
        `budget p99 ${ms2(catalogBudget)}: one repository's x${budgets.catalog.factor} or +${ms2(budgets.catalog.slackMs)}, whichever is larger`,
      ok: manyBest.p99 <= catalogBudget && catalogs.accepted === manyBest.runs,
    },
  ];
}

/** Milliseconds to the hundredth: these figures are tenths of a millisecond. */
const ms2 = (n: number) => `${n.toFixed(2)} ms`;
