// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import { DEFAULT_GITHUB_API_URL, parseGitHubApiUrl } from "./github/api-url";

/** The configuration fields more than one function reads, and their parsers. Pure. */

/** A CodePipeline pipeline name, as CodePipeline accepts it. */
export const pipelineNameSchema = z.string().regex(/^[A-Za-z0-9.@_-]{1,100}$/, "is not a CodePipeline name (1-100 of A-Z a-z 0-9 . @ _ -)");

/** The branch whose pushes deploy, given as "main" or "refs/heads/main"; the name without refs/heads/. */
export const mainBranchSchema = z
  .string()
  .transform((value) => (value.startsWith("refs/heads/") ? value.slice("refs/heads/".length) : value))
  .refine((branch) => branch !== "" && !branch.startsWith("refs/"), 'is not a branch name such as "main"');

/** GITHUB_API_URL, optional: github.com's API when unset; throws InvalidGitHubApiUrlError. */
export function parseApiUrl(value: string | undefined): string {
  return parseGitHubApiUrl(value?.trim() || DEFAULT_GITHUB_API_URL);
}
