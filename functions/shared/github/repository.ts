// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";

/**
 * A repository's full name, "owner/name", within GitHub's limits on login
 * and repository names, both of letters, digits, "_", "." and "-". The one
 * rule for the configuration, the stacks and the webhook's payloads.
 */
export const REPOSITORY_PATTERN = /^[\w.-]{1,39}\/[\w.-]{1,100}$/;

export const repositorySchema = z.string().regex(REPOSITORY_PATTERN, "expected owner/name, such as octo-org/monorepo");

/** "owner/name" as Octokit's route parameters. */
export function splitRepository(repository: string): { owner: string; repo: string } {
  const [owner = "", repo = ""] = repository.split("/");
  return { owner, repo };
}
