import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/core";
import { paginateRest } from "@octokit/plugin-paginate-rest";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { DEFAULT_REQUEST_POLICY, NOT_RETRIED_STATUSES, type RequestPolicy } from "../retry-policy";
import { DEFAULT_GITHUB_API_URL } from "./api-url";
import { GitHubCallError, GitHubTimeoutError } from "./errors";
import { splitRepository } from "./repository";
import type { GitHubCredentials } from "./credentials";

/**
 * The one GitHub client of the functions: Octokit with bounded retries,
 * bounded rate-limit waits, a timeout on every request, authenticated with
 * a token or as a GitHub App installation. Built from the credentials the
 * `<project>/github-token` secret holds (credentials.ts, secret.ts).
 */

const PipewrightOctokit = Octokit.plugin(retry, throttling, paginateRest);
export type GitHubClient = InstanceType<typeof PipewrightOctokit>;

/** Where the client's own warnings go (rate limits, deprecations); Powertools' Logger fits it. */
export interface GitHubLog {
  warn(message: string, details: Record<string, unknown>): void;
}

export interface GitHubClientOptions {
  readonly credentials: GitHubCredentials;
  /** owner/name: a GitHub App's installation is looked up on it when the credentials name none. */
  readonly repository: string;
  /** @default DEFAULT_GITHUB_API_URL; check it with parseGitHubApiUrl. */
  readonly baseUrl?: string;
  /** Names the calling function in GitHub's logs, e.g. "pipewright-pr-pipelines". */
  readonly userAgent: string;
  /** @default DEFAULT_REQUEST_POLICY */
  readonly policy?: Partial<RequestPolicy>;
  readonly log?: GitHubLog;
  readonly fetch?: typeof fetch;
  /**
   * Octokit's throttling: one write a second across the process, as GitHub
   * advises, and the policy's rate-limit waits. A test against a local fake
   * that checks neither turns it off, so its writes do not wait a second each.
   * @default true
   */
  readonly throttling?: boolean;
}

/**
 * fetch with a fresh timeout per call, so each retry gets its own. A call
 * aborted by the caller's signal (a GitHubBudget) fails with an AbortError,
 * which Octokit does not retry.
 */
function fetchWithTimeout(fetchImpl: typeof fetch, timeoutMs: number): typeof fetch {
  return async (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    try {
      return await fetchImpl(input, { ...init, signal });
    } catch (error) {
      if (init?.signal?.aborted) throw Object.assign(new Error("The request was cut: the time allowed for GitHub is spent"), { name: "AbortError" });
      if (timeout.aborted) throw new GitHubTimeoutError(String(input instanceof Request ? input.url : input), timeoutMs);
      throw error;
    }
  };
}

function octokitOptions(options: GitHubClientOptions) {
  const policy = { ...DEFAULT_REQUEST_POLICY, ...options.policy };
  const log = options.log;
  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number): boolean => {
      const waiting = retryCount === 0 && retryAfter <= policy.maxRateLimitWaitSeconds;
      log?.warn(`GitHub ${kind} rate limit on ${request.method} ${request.url}: ${waiting ? "waiting once" : "giving up"}`, {
        retryAfterSeconds: retryAfter,
        maxWaitSeconds: policy.maxRateLimitWaitSeconds,
      });
      return waiting;
    };
  return {
    baseUrl: options.baseUrl ?? DEFAULT_GITHUB_API_URL,
    userAgent: options.userAgent,
    request: { fetch: fetchWithTimeout(options.fetch ?? globalThis.fetch, policy.timeoutMs) },
    retry: { retries: policy.retries, retryAfterBaseValue: policy.retryBaseDelayMs, doNotRetry: [...NOT_RETRIED_STATUSES] },
    throttle: { enabled: options.throttling ?? true, onRateLimit: onLimit("primary"), onSecondaryRateLimit: onLimit("secondary") },
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (message: string) => log?.warn(message, { source: "octokit" }),
      error: (message: string) => log?.warn(message, { source: "octokit" }),
    },
  };
}

/**
 * A client for the credentials. A GitHub App without an installation id
 * first asks GitHub for its installation on the repository (with the App's
 * JWT); installation tokens are then minted and renewed by @octokit/auth-app.
 */
export async function createGitHubClient(options: GitHubClientOptions): Promise<GitHubClient> {
  const base = octokitOptions(options);
  const { credentials } = options;
  if (credentials.kind === "token") return new PipewrightOctokit({ ...base, auth: credentials.token });
  const app = { appId: credentials.appId, privateKey: credentials.privateKey };
  let installationId = credentials.installationId;
  if (installationId === undefined) {
    const asApp = new PipewrightOctokit({ ...base, authStrategy: createAppAuth, auth: app });
    try {
      const { data } = await asApp.request("GET /repos/{owner}/{repo}/installation", splitRepository(options.repository));
      installationId = String(data.id);
    } catch (error) {
      throw new GitHubCallError(`Looking up the GitHub App's installation on ${options.repository}`, error, {
        permission: "access to the repository",
        notFound: `install the GitHub App on ${options.repository}, or name its installation in the secret's "installationId"`,
      });
    }
  }
  return new PipewrightOctokit({ ...base, authStrategy: createAppAuth, auth: { ...app, installationId } });
}

function sameCredentials(a: GitHubCredentials, b: GitHubCredentials): boolean {
  if (a.kind === "token") return b.kind === "token" && a.token === b.token;
  return b.kind === "app" && a.appId === b.appId && a.privateKey === b.privateKey && a.installationId === b.installationId;
}

/**
 * The client for whatever credentials `readCredentials` currently gives,
 * undefined when none are configured. One client is kept while the
 * credentials stay the same, so an App's installation token is reused across
 * invocations; a client whose installation lookup failed is not kept.
 */
export function gitHubClientSource(
  readCredentials: () => Promise<GitHubCredentials | undefined>,
  options: Omit<GitHubClientOptions, "credentials">,
): () => Promise<GitHubClient | undefined> {
  let cached: { credentials: GitHubCredentials; client: Promise<GitHubClient> } | undefined;
  return async () => {
    const credentials = await readCredentials();
    if (credentials === undefined) return undefined;
    if (cached === undefined || !sameCredentials(cached.credentials, credentials)) {
      const client = createGitHubClient({ ...options, credentials });
      cached = { credentials, client };
      client.catch(() => {
        if (cached?.client === client) cached = undefined;
      });
    }
    return cached.client;
  };
}
