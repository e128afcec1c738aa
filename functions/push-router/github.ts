// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import type { ChangedFiles } from "./route";

/**
 * GitHub's compare API, for pushes whose event cannot list every changed
 * file. fetch, the base URL and the token are injected.
 */

/** GitHub lists at most this many files in a comparison; reaching it means the list may be cut. */
export const COMPARE_FILE_LIMIT = 300;
const PER_PAGE = 100;
/** 3 full pages reach the limit; the rest guards against a server that keeps answering full pages. */
const MAX_PAGES = 5;

/** A GitHub API call failed; `status` is the HTTP status when GitHub answered. */
export class GitHubApiError extends Error {
  constructor(
    readonly url: string,
    readonly status: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "GitHubApiError";
  }
}

export interface GitHubCompareOptions {
  /** owner/name. */
  repository: string;
  /** @default "https://api.github.com" */
  baseUrl?: string;
  /**
   * Reads the token. Absent when none is configured, resolving to undefined
   * when the configured secret holds no value: then no call is made.
   */
  token?: () => Promise<string | undefined>;
  fetch?: typeof fetch;
  /** Per request, including reading the body. @default 5000 */
  timeoutMs?: number;
  /** Attempts per request on 5xx, timeouts and network errors. @default 3 */
  maxAttempts?: number;
  /** First delay between attempts, doubled each time. @default 250 */
  retryDelayMs?: number;
  /**
   * Budget for all calls of one changedFiles, retries included, so the
   * function still has time to start pipelines within its Lambda timeout. @default 20000
   */
  deadlineMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const comparisonSchema = z.object({
  status: z.string(),
  files: z
    .array(z.object({ filename: z.string(), previous_filename: z.string().optional() }))
    .optional(),
});

/** The files of base...head: changes from their merge base to head. */
export interface Comparison {
  /** GitHub's status of head relative to base: ahead, behind, diverged or identical. */
  status: string;
  /** Changed paths; renames contribute their previous path too. */
  files: string[];
  /** False when GitHub's file limit was reached, so files may be missing. */
  complete: boolean;
}

function hint(status: number): string {
  if (status === 401) return "Fix: the token in the GitHub token secret is invalid or expired; replace it";
  if (status === 403 || status === 404) {
    return "Fix: give the token read access to the repository's contents (or wait if this is a rate limit)";
  }
  if (status === 422) return "Fix: nothing to do for this push; GitHub cannot compare these commits";
  return "GitHub may be unavailable";
}

function isRetryable(error: unknown): boolean {
  // AbortSignal.timeout aborts with a TimeoutError DOMException (not always an
  // `instanceof Error` across realms); undici reports network failures as TypeError.
  const name = (error as { name?: unknown } | undefined)?.name;
  return name === "TimeoutError" || name === "TypeError";
}

export class GitHubChangedFiles {
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly deadlineMs: number;
  private readonly now: () => number;

  constructor(private readonly options: GitHubCompareOptions) {
    this.baseUrl = (options.baseUrl ?? "https://api.github.com").replace(/\/+$/, "");
    this.fetch = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.deadlineMs = options.deadlineMs ?? 20_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The files that differ between before and after. A fast-forward push is
   * one comparison. After a force push, before...after lists only the new
   * side, so the files of the replaced commits (after...before) are added:
   * a service whose change was removed must deploy again too.
   * Throws GitHubApiError when GitHub fails.
   */
  async changedFiles(before: string, after: string): Promise<ChangedFiles> {
    if (!this.options.token) return { complete: false, reason: "no GitHub token is configured (GITHUB_TOKEN_SECRET_ARN is not set)" };
    const token = await this.options.token();
    if (token === undefined) return { complete: false, reason: "the GitHub token secret holds no value yet" };
    const deadline = this.now() + this.deadlineMs;
    const forward = await this.compare(before, after, token, deadline);
    if (!forward.complete) return this.tooMany(before, after);
    if (forward.status === "ahead" || forward.status === "identical") return { complete: true, files: forward.files };
    const replaced = await this.compare(after, before, token, deadline);
    if (!replaced.complete) return this.tooMany(after, before);
    return { complete: true, files: [...new Set([...forward.files, ...replaced.files])] };
  }

  private tooMany(base: string, head: string): ChangedFiles {
    return {
      complete: false,
      reason: `GitHub lists at most ${COMPARE_FILE_LIMIT} changed files and ${base}...${head} reached that limit`,
    };
  }

  /** GET /repos/{owner}/{repo}/compare/{base}...{head}, paging while pages come back full. */
  async compare(base: string, head: string, token: string, deadline = this.now() + this.deadlineMs): Promise<Comparison> {
    const [owner = "", repo = ""] = this.options.repository.split("/");
    const path = `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/compare/${encodeURIComponent(base)}...${encodeURIComponent(head)}`;
    const entries = new Set<string>();
    const files = new Set<string>();
    let status: string | undefined;
    for (let page = 1; page <= MAX_PAGES; page++) {
      const url = `${this.baseUrl}${path}?per_page=${PER_PAGE}&page=${page}`;
      const body = await this.getJson(url, token, deadline);
      const parsed = comparisonSchema.safeParse(body);
      if (!parsed.success) {
        throw new GitHubApiError(url, 200, `GitHub answered GET ${url} with an unexpected body: ${parsed.error.issues[0]?.message}`);
      }
      status ??= parsed.data.status;
      const pageFiles = parsed.data.files ?? [];
      const known = entries.size;
      for (const file of pageFiles) {
        entries.add(file.filename);
        files.add(file.filename);
        if (file.previous_filename) files.add(file.previous_filename);
      }
      if (entries.size >= COMPARE_FILE_LIMIT) return { status, files: [...files], complete: false };
      // A short page is the last; a page of files already seen means GitHub repeats page 1's list.
      if (pageFiles.length < PER_PAGE || entries.size === known) return { status, files: [...files], complete: true };
    }
    return { status: status ?? "unknown", files: [...files], complete: false };
  }

  private async getJson(url: string, token: string, deadline: number): Promise<unknown> {
    let lastError: GitHubApiError | undefined;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await this.sleep(this.retryDelayMs * 2 ** (attempt - 2));
      const remaining = deadline - this.now();
      if (remaining <= 0) {
        throw new GitHubApiError(url, lastError?.status, `Gave up on GitHub after ${this.deadlineMs} ms${lastError ? `: ${lastError.message}` : ""}`, { cause: lastError });
      }
      const timeoutMs = Math.min(this.timeoutMs, remaining);
      let response: Response;
      let text: string;
      try {
        response = await this.fetch(url, {
          headers: {
            Accept: "application/vnd.github+json",
            Authorization: `Bearer ${token}`,
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "pipewright-push-router",
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
      if (response.ok) {
        try {
          return JSON.parse(text);
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
