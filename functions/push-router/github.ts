// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import type { GitHubClient, GitHubClientForRepository } from "../shared/github/client";
import { GitHubBudget } from "../shared/github/budget";
import { GitHubCallError } from "../shared/github/errors";
import { splitRepository } from "../shared/github/repository";
import type { ChangedFiles } from "./route";

/**
 * GitHub's compare API, for pushes whose event cannot list every changed
 * file, through the shared GitHub client (injected).
 */

/** GitHub lists at most this many files in a comparison; reaching it means the list may be cut. */
export const COMPARE_FILE_LIMIT = 300;
const PER_PAGE = 100;

/** Time for all GitHub calls of one push, so the router still starts its pipelines within its Lambda timeout. */
export const COMPARE_BUDGET_MS = 20_000;

export interface GitHubChangedFilesOptions {
  /**
   * The GitHub client of a repository; absent when no token secret is
   * configured, resolving to undefined while the secret holds no value: then
   * no call is made.
   */
  readonly client?: GitHubClientForRepository;
  /** @default COMPARE_BUDGET_MS */
  readonly budgetMs?: number;
}

const comparisonSchema = z.object({
  status: z.string(),
  files: z.array(z.object({ filename: z.string(), previous_filename: z.string().optional() })).optional(),
});

/** GitHub answered the compare API with something that is not a comparison. */
export class UnexpectedComparisonError extends Error {
  constructor(
    readonly basehead: string,
    problem: string,
  ) {
    super(
      `GitHub answered the comparison ${basehead} with an unexpected body (${problem}). Fix: check that GITHUB_API_URL points at GitHub's REST API`,
    );
    this.name = "UnexpectedComparisonError";
  }
}

/** The files of base...head: changes from their merge base to head. */
export interface Comparison {
  /** GitHub's status of head relative to base: ahead, behind, diverged or identical. */
  readonly status: string;
  /** Changed paths; renames contribute their previous path too. */
  readonly files: string[];
  /** False when GitHub's file limit was reached, so files may be missing. */
  readonly complete: boolean;
}

const FIXES = {
  permission: '"Contents: read" on the repository',
  unprocessable: "nothing to do for this push; GitHub cannot compare these commits",
};

export class GitHubChangedFiles {
  constructor(private readonly options: GitHubChangedFilesOptions) {}

  /**
   * The files that differ between before and after. A fast-forward push is
   * one comparison. After a force push, before...after lists only the new
   * side, so the files of the replaced commits (after...before) are added:
   * a service whose change was removed must deploy again too.
   * Throws GitHubCallError when GitHub fails.
   */
  async changedFiles(repository: string, before: string, after: string): Promise<ChangedFiles> {
    if (!this.options.client) return { complete: false, reason: "no GitHub token is configured (GITHUB_TOKEN_SECRET_ARN is not set)" };
    const client = await this.options.client(repository);
    if (client === undefined) return { complete: false, reason: "the GitHub token secret holds no value yet" };
    const budget = new GitHubBudget(this.options.budgetMs ?? COMPARE_BUDGET_MS);
    const forward = await this.compare(client, repository, before, after, budget);
    if (!forward.complete) return this.tooMany(before, after);
    if (forward.status === "ahead" || forward.status === "identical") return { complete: true, files: forward.files };
    const replaced = await this.compare(client, repository, after, before, budget);
    if (!replaced.complete) return this.tooMany(after, before);
    return { complete: true, files: [...new Set([...forward.files, ...replaced.files])] };
  }

  private tooMany(base: string, head: string): ChangedFiles {
    return {
      complete: false,
      reason: `GitHub lists at most ${COMPARE_FILE_LIMIT} changed files and ${base}...${head} reached that limit`,
    };
  }

  /**
   * GET /repos/{owner}/{repo}/compare/{base}...{head}. GitHub pages through
   * the commits and lists the files on the first page; the pages are
   * followed until one brings no new file.
   */
  private async compare(client: GitHubClient, repository: string, base: string, head: string, budget: GitHubBudget): Promise<Comparison> {
    const basehead = `${base}...${head}`;
    const files = new Set<string>();
    const listed = new Set<string>();
    let status: string | undefined;
    try {
      const pages = budget.pages(client, "GET /repos/{owner}/{repo}/compare/{basehead}", {
        ...splitRepository(repository),
        basehead,
        per_page: PER_PAGE,
      });
      for await (const page of pages) {
        const parsed = comparisonSchema.safeParse(page.data);
        if (!parsed.success) throw new UnexpectedComparisonError(basehead, parsed.error.issues[0]?.message ?? "invalid");
        status ??= parsed.data.status;
        const known = listed.size;
        for (const file of parsed.data.files ?? []) {
          listed.add(file.filename);
          files.add(file.filename);
          if (file.previous_filename) files.add(file.previous_filename);
        }
        if (listed.size >= COMPARE_FILE_LIMIT) return { status, files: [...files], complete: false };
        if (listed.size === known) break;
      }
    } catch (error) {
      if (error instanceof UnexpectedComparisonError) throw error;
      throw new GitHubCallError(`Comparing ${basehead} in ${repository}`, error, FIXES, budget);
    }
    return { status: status ?? "unknown", files: [...files], complete: true };
  }
}
