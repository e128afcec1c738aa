// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import { parseVariable } from "./env";
import { DEFAULT_GITHUB_API_URL, parseGitHubApiUrl } from "./github/api-url";
import { repositorySchema } from "./github/repository";

/** The configuration fields more than one function reads, and their parsers. Pure. */

/** A CodePipeline pipeline name, as CodePipeline accepts it. */
export const pipelineNameSchema = z.string().regex(/^[A-Za-z0-9.@_-]{1,100}$/, "is not a CodePipeline name (1-100 of A-Z a-z 0-9 . @ _ -)");

/**
 * A refinement for lists in which no pipeline may repeat: each repeat is an
 * issue at its own index (and `field`, when the pipeline is a field of the item).
 */
export function uniquePipelines<T>(pipelineOf: (item: T) => string, field?: string) {
  return (items: readonly T[], ctx: z.RefinementCtx): void => {
    const seen = new Set<string>();
    items.forEach((item, index) => {
      const pipeline = pipelineOf(item);
      if (seen.has(pipeline)) {
        ctx.addIssue({
          code: "custom",
          path: field === undefined ? [index] : [index, field],
          message: `"${pipeline}" is already listed earlier; each pipeline must be unique`,
        });
      }
      seen.add(pipeline);
    });
  };
}

/** The branch whose pushes deploy, given as "main" or "refs/heads/main"; the name without refs/heads/. */
export const mainBranchSchema = z
  .string()
  .transform((value) => (value.startsWith("refs/heads/") ? value.slice("refs/heads/".length) : value))
  .refine((branch) => branch !== "" && !branch.startsWith("refs/"), 'is not a branch name such as "main"');

/** MAIN_BRANCH: "main" or "refs/heads/main"; returns the branch name. */
export function parseMainBranch(value: string): string {
  return parseVariable("MAIN_BRANCH", mainBranchSchema, value);
}

/** GITHUB_REPOSITORY: owner/name. */
export function parseRepository(value: string): string {
  return parseVariable("GITHUB_REPOSITORY", repositorySchema, value);
}

/** GITHUB_API_URL, optional: github.com's API when unset; throws InvalidGitHubApiUrlError. */
export function parseApiUrl(value: string | undefined): string {
  return parseGitHubApiUrl(value?.trim() || DEFAULT_GITHUB_API_URL);
}
