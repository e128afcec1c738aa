/**
 * What GitHub failures look like to the functions, without loading Octokit:
 * its errors carry the HTTP status as `status`.
 */

/** GitHub did not answer one request in time; Octokit reports it with status 500 and retries it like a 5xx. */
export class GitHubTimeoutError extends Error {
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(`GitHub did not answer ${url} within ${timeoutMs} ms`);
    this.name = "GitHubTimeoutError";
  }
}

/** The HTTP status of a failed GitHub call (500 for a timeout or network error), undefined for other failures. */
export function gitHubStatusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | undefined)?.status;
  return typeof status === "number" ? status : undefined;
}
