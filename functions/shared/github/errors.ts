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

/** What to do about a failed call, by GitHub's answer; `permission` is what the call needs. */
export interface GitHubFixes {
  readonly permission: string;
  /** For a 404, when it means more than a repository out of sight. */
  readonly notFound?: string;
  /** For a 422, which means something different for each call. */
  readonly unprocessable?: string;
}

function fixFor(status: number | undefined, fixes: GitHubFixes): string {
  if (status === 401) return "the credentials in the GitHub token secret are invalid or expired; replace them";
  if (status === 403 || status === 429) return `give the token (or the GitHub App) ${fixes.permission}, or wait if this is a rate limit`;
  if (status === 404 && fixes.notFound !== undefined) return fixes.notFound;
  if (status === 404) return "check the repository's owner/name in the configuration and that the token (or the App's installation) can see it";
  if (status === 422 && fixes.unprocessable !== undefined) return fixes.unprocessable;
  if (status === undefined)
    return "check the GitHub credentials in the token secret (a GitHub App's privateKey must be its PEM key) and that GitHub is reachable";
  return "GitHub may be unavailable; the next attempt of this work tries again";
}

/**
 * A GitHub call failed after the client's retries. `status` is GitHub's
 * answer (500 for a timeout or a network error), undefined when there was
 * none: the job's budget ran out (whatever failed then is put down to it),
 * or the credentials could not be used.
 */
export class GitHubCallError extends Error {
  readonly status: number | undefined;

  constructor(
    readonly operation: string,
    cause: unknown,
    fixes: GitHubFixes,
    budget?: { readonly budgetMs: number; readonly signal: AbortSignal },
  ) {
    const spent = budget?.signal.aborted;
    const status = spent ? undefined : gitHubStatusOf(cause);
    // Octokit reports a timeout or a network error as status 500 without a response.
    const answered = status !== undefined && (cause as { response?: unknown }).response !== undefined;
    const message = cause instanceof Error ? cause.message : String(cause);
    const detail = spent ? `the ${budget.budgetMs} ms allowed for GitHub were spent` : answered ? `GitHub answered ${status}: ${message}` : message;
    super(
      `${operation} failed: ${detail}. Fix: ${spent ? "GitHub is slow or unavailable; the next attempt of this work tries again" : fixFor(status, fixes)}`,
      {
        cause,
      },
    );
    this.name = "GitHubCallError";
    this.status = status;
  }
}
