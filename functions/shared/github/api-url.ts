import { isLoopbackHost } from "../loopback";

/** GitHub's REST API on github.com; GitHub Enterprise Server serves it at https://<host>/api/v3. */
export const DEFAULT_GITHUB_API_URL = "https://api.github.com";

/** GITHUB_API_URL cannot be used; the message names the variable, the problem and the fix. */
export class InvalidGitHubApiUrlError extends Error {
  constructor(
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Environment variable GITHUB_API_URL is invalid: ${problem}. ` +
        `Fix: leave it unset for ${DEFAULT_GITHUB_API_URL}, or set the https URL of your GitHub Enterprise Server's API (https://<host>/api/v3)`,
      options,
    );
    this.name = "InvalidGitHubApiUrlError";
  }
}

/**
 * The GitHub API base URL, without a trailing slash. The token travels to
 * it, so it must be https; plain http is accepted only for a loopback host
 * (a local fake in tests and the sandbox).
 */
export function parseGitHubApiUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new InvalidGitHubApiUrlError(`${JSON.stringify(value)} is not a URL`, { cause: error });
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
    throw new InvalidGitHubApiUrlError(`${JSON.stringify(value)} is not https; the GitHub token would travel in clear text`);
  }
  return value.replace(/\/+$/, "");
}
