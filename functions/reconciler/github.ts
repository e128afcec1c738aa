// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import type { PullRequestEvent } from "../shared/events";
import { GitHubApiError } from "../push-router/github";
import { normalizePullRequest, pullRequestPayloadSchema } from "../webhook/normalize";

export { GitHubApiError };

/**
 * What the reconciler asks GitHub: one pull request, the open pull requests,
 * and (to tell a deleted pull request from a token that cannot see the
 * repository) the repository. Modelled on the push router's compare client:
 * fetch, base URL and token injected; every request has a timeout; 5xx,
 * timeouts and network errors are retried a bounded number of times within
 * a deadline for the whole run; other 4xx are not retried.
 */

/** A pull request as GitHub reports it now, in the bus contract's terms. */
export type GitHubPullRequest = Omit<PullRequestEvent, "deliveryId" | "action" | "label"> & {
  readonly state: "open" | "closed";
};

export type PullRequestLookup = { readonly kind: "found"; readonly pullRequest: GitHubPullRequest } | { readonly kind: "not-found" };

/** The questions the reconciler asks GitHub; GitHubPullRequests answers them over HTTP. */
export interface PullRequestSource {
  /** GET /repos/{owner}/{repo}/pulls/{number}; "not-found" on 404. Throws GitHubApiError. */
  pullRequest(number: number): Promise<PullRequestLookup>;
  /** Every open pull request (GET .../pulls?state=open, paged). Throws GitHubApiError. */
  openPullRequests(): Promise<GitHubPullRequest[]>;
  /** Whether the token can see the repository (200) or not (404). Throws GitHubApiError otherwise. */
  repositoryVisible(): Promise<boolean>;
}

export interface GitHubPullRequestsOptions {
  /** owner/name. */
  readonly repository: string;
  readonly token: string;
  /** @default "https://api.github.com" */
  readonly baseUrl?: string;
  readonly fetch?: typeof fetch;
  /** Per request, including reading the body. @default 5000 */
  readonly timeoutMs?: number;
  /** Attempts per request on 5xx, timeouts and network errors. @default 3 */
  readonly maxAttempts?: number;
  /** First delay between attempts, doubled each time. @default 250 */
  readonly retryDelayMs?: number;
  /**
   * Budget for every call of this client, retries included, counted from its
   * construction (one client per run), so a slow GitHub cannot use up the
   * Lambda timeout before the reconciler applies what it learned. @default 120000
   */
  readonly deadlineMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const PER_PAGE = 100;
/** At most this many pages of open pull requests (10,000): a guard against a server that never ends. */
export const MAX_OPEN_PAGES = 100;

/** GitHub's REST pull request (single and list): the webhook's fields plus number and state. */
const restPullRequestSchema = pullRequestPayloadSchema.shape.pull_request.extend({
  number: z.number().int().positive(),
  state: z.enum(["open", "closed"]),
});

function hint(status: number): string {
  if (status === 401) return "Fix: the token in the GitHub token secret is invalid or expired; replace it";
  if (status === 403 || status === 429) {
    return "Fix: give the token read access to the repository's pull requests (fine-grained: Pull requests: read), or wait if this is a rate limit";
  }
  if (status === 404) return "Fix: check GITHUB_REPOSITORY and that the token can read the repository";
  return "GitHub may be unavailable";
}

function isRetryable(error: unknown): boolean {
  // AbortSignal.timeout aborts with a TimeoutError DOMException (not always an
  // `instanceof Error` across realms); undici reports network failures as TypeError.
  const name = (error as { name?: unknown } | undefined)?.name;
  return name === "TimeoutError" || name === "TypeError";
}

/** True when a Link header announces a next page. */
export function hasNextPage(link: string | null): boolean {
  return link !== null && link.split(",").some((part) => /;\s*rel="?next"?/.test(part));
}

interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
  readonly link: string | null;
}

export class GitHubPullRequests implements PullRequestSource {
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly deadlineMs: number;
  private readonly deadline: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly repoPath: string;

  constructor(private readonly options: GitHubPullRequestsOptions) {
    this.baseUrl = (options.baseUrl ?? "https://api.github.com").replace(/\/+$/, "");
    this.fetch = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.deadlineMs = options.deadlineMs ?? 120_000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.deadline = this.now() + this.deadlineMs;
    const [owner = "", repo = ""] = options.repository.split("/");
    this.repoPath = `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
  }

  async pullRequest(number: number): Promise<PullRequestLookup> {
    const url = `${this.baseUrl}${this.repoPath}/pulls/${number}`;
    const response = await this.getJson(url, { notFoundIsAnswer: true });
    if (response.status === 404) return { kind: "not-found" };
    return { kind: "found", pullRequest: this.parse(url, response.body) };
  }

  async openPullRequests(): Promise<GitHubPullRequest[]> {
    const found = new Map<number, GitHubPullRequest>();
    for (let page = 1; page <= MAX_OPEN_PAGES; page++) {
      const url = `${this.baseUrl}${this.repoPath}/pulls?state=open&per_page=${PER_PAGE}&page=${page}`;
      const response = await this.getJson(url, { notFoundIsAnswer: false });
      if (!Array.isArray(response.body)) throw new GitHubApiError(url, response.status, `GitHub answered GET ${url} with a body that is not a list`);
      const known = found.size;
      for (const item of response.body) {
        const pullRequest = this.parse(url, item);
        if (pullRequest.state === "open") found.set(pullRequest.number, pullRequest);
      }
      // Link says whether there is a next page; without a Link header (a proxy
      // may drop it) a full page means there may be one. A page of pull
      // requests already seen means the server repeats itself.
      const more = response.link !== null ? hasNextPage(response.link) : response.body.length >= PER_PAGE;
      if (!more || response.body.length === 0 || found.size === known) return [...found.values()];
    }
    throw new GitHubApiError(
      `${this.baseUrl}${this.repoPath}/pulls`,
      undefined,
      `GitHub listed more than ${MAX_OPEN_PAGES} pages of open pull requests; the list was not used`,
    );
  }

  async repositoryVisible(): Promise<boolean> {
    const response = await this.getJson(`${this.baseUrl}${this.repoPath}`, { notFoundIsAnswer: true });
    return response.status !== 404;
  }

  private parse(url: string, body: unknown): GitHubPullRequest {
    const parsed = restPullRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? issue.path.join(".") : "(root)";
      throw new GitHubApiError(url, 200, `GitHub answered GET ${url} with a pull request that is not valid at ${where}: ${issue?.message ?? "invalid"}`);
    }
    const pr = parsed.data;
    // The webhook's normalization, so the reconciler's events are the webhook's
    // (fork detection, deleted forks, draft and merged defaults). The repository
    // is the configured one: GitHub follows renames, pr-pipelines serves this name.
    let event: PullRequestEvent;
    try {
      event = normalizePullRequest({ action: "reconcile", number: pr.number, repository: { full_name: this.options.repository }, pull_request: pr }, "reconciler");
    } catch (error) {
      throw new GitHubApiError(url, 200, `GitHub answered GET ${url} with a pull request outside the bus contract: ${(error as Error).message}`, { cause: error });
    }
    return {
      repository: event.repository,
      number: event.number,
      headRef: event.headRef,
      headSha: event.headSha,
      headRepository: event.headRepository,
      baseRef: event.baseRef,
      updatedAt: event.updatedAt,
      fromFork: event.fromFork,
      draft: event.draft,
      merged: event.merged,
      labels: event.labels,
      state: pr.state,
    };
  }

  private async getJson(url: string, options: { notFoundIsAnswer: boolean }): Promise<JsonResponse> {
    let lastError: GitHubApiError | undefined;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await this.sleep(this.retryDelayMs * 2 ** (attempt - 2));
      const remaining = this.deadline - this.now();
      if (remaining <= 0) {
        throw new GitHubApiError(url, lastError?.status, `Gave up on GitHub: the run's budget of ${this.deadlineMs} ms is spent${lastError ? ` (${lastError.message})` : ""}`, {
          cause: lastError,
        });
      }
      const timeoutMs = Math.min(this.timeoutMs, remaining);
      let response: Response;
      let text: string;
      try {
        response = await this.fetch(url, {
          headers: {
            Accept: "application/vnd.github+json",
            Authorization: `Bearer ${this.options.token}`,
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "pipewright-reconciler",
          },
          signal: AbortSignal.timeout(timeoutMs),
        });
        text = await response.text();
      } catch (error) {
        const what = (error as Error).name === "TimeoutError" ? `timed out after ${timeoutMs} ms` : `failed: ${(error as Error).message}`;
        lastError = new GitHubApiError(url, undefined, `GET ${url} ${what} (attempt ${attempt} of ${this.maxAttempts})`, { cause: error });
        if (isRetryable(error)) continue;
        throw lastError;
      }
      if (response.status === 404 && options.notFoundIsAnswer) return { status: 404, body: undefined, link: null };
      if (response.ok) {
        try {
          return { status: response.status, body: JSON.parse(text), link: response.headers.get("link") };
        } catch (error) {
          throw new GitHubApiError(url, response.status, `GitHub answered GET ${url} with a body that is not JSON`, { cause: error });
        }
      }
      lastError = new GitHubApiError(
        url,
        response.status,
        `GitHub answered ${response.status} to GET ${url} (attempt ${attempt} of ${this.maxAttempts}): ${text.slice(0, 200)}. ${hint(response.status)}`,
      );
      if (response.status < 500) throw lastError;
    }
    throw lastError!;
  }
}
