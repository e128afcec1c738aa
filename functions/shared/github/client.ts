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

/** What a client authenticates with: a token, or one installation of a GitHub App. */
export type GitHubClientCredentials =
  | Extract<GitHubCredentials, { kind: "token" }>
  | (Extract<GitHubCredentials, { kind: "app" }> & { readonly installationId: string });

/** How the clients of a function talk to GitHub, whatever they authenticate with. */
export interface GitHubClientSettings {
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

export interface GitHubClientOptions extends GitHubClientSettings {
  readonly credentials: GitHubClientCredentials;
}

/** The client for a repository, undefined while no credentials are configured. */
export type GitHubClientForRepository = (repository: string) => Promise<GitHubClient | undefined>;

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

function octokitOptions(options: GitHubClientSettings) {
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

/** A client with a token, or as an installation of a GitHub App (its tokens minted and renewed by @octokit/auth-app). */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const { credentials, ...settings } = options;
  const base = octokitOptions(settings);
  if (credentials.kind === "token") return new PipewrightOctokit({ ...base, auth: credentials.token });
  const { appId, privateKey, installationId } = credentials;
  return new PipewrightOctokit({ ...base, authStrategy: createAppAuth, auth: { appId, privateKey, installationId } });
}

/**
 * The installation of the App `asApp` (a client authenticated with the App's
 * JWT) that covers `repository`. Throws GitHubCallError; a 404 means the App
 * is not installed on the repository.
 */
async function findInstallation(asApp: GitHubClient, repository: string): Promise<string> {
  try {
    const { data } = await asApp.request("GET /repos/{owner}/{repo}/installation", splitRepository(repository));
    return String(data.id);
  } catch (error) {
    throw new GitHubCallError(`Looking up the GitHub App's installation on ${repository}`, error, {
      permission: "access to the repository",
      notFound: `install the GitHub App on ${repository} (or add the repository to its installation), or name the installation in the secret's "installationId"`,
    });
  }
}

/**
 * The clients of one set of credentials. A token, or an App whose
 * installation the credentials name, gives one client for every repository.
 * Otherwise a repository's installation is looked up once (a failed lookup
 * is not kept) and each installation gets one client, so the repositories of
 * one organization share its installation token.
 */
class ClientsOfCredentials {
  private readonly byInstallation = new Map<string, GitHubClient>();
  private readonly installations = new Map<string, Promise<string>>();
  private asApp: GitHubClient | undefined;

  constructor(
    readonly credentials: GitHubCredentials,
    private readonly settings: GitHubClientSettings,
  ) {}

  async forRepository(repository: string): Promise<GitHubClient> {
    const { credentials } = this;
    // A token has no installation: its one client is kept under the empty id.
    if (credentials.kind === "token") return this.forInstallation("", credentials);
    const installationId = credentials.installationId ?? (await this.installationOf(credentials, repository));
    return this.forInstallation(installationId, { ...credentials, installationId });
  }

  private forInstallation(installationId: string, credentials: GitHubClientCredentials): GitHubClient {
    let client = this.byInstallation.get(installationId);
    if (client === undefined) {
      client = createGitHubClient({ ...this.settings, credentials });
      this.byInstallation.set(installationId, client);
    }
    return client;
  }

  private installationOf(app: Extract<GitHubCredentials, { kind: "app" }>, repository: string): Promise<string> {
    // GitHub treats owner/name case-insensitively.
    const key = repository.toLowerCase();
    let lookup = this.installations.get(key);
    if (lookup === undefined) {
      this.asApp ??= new PipewrightOctokit({
        ...octokitOptions(this.settings),
        authStrategy: createAppAuth,
        auth: { appId: app.appId, privateKey: app.privateKey },
      });
      const pending = findInstallation(this.asApp, repository);
      pending.catch(() => {
        if (this.installations.get(key) === pending) this.installations.delete(key);
      });
      this.installations.set(key, pending);
      lookup = pending;
    }
    return lookup;
  }
}

function sameCredentials(a: GitHubCredentials, b: GitHubCredentials): boolean {
  if (a.kind === "token") return b.kind === "token" && a.token === b.token;
  return b.kind === "app" && a.appId === b.appId && a.privateKey === b.privateKey && a.installationId === b.installationId;
}

/**
 * The client of a repository for whatever credentials `readCredentials`
 * currently gives, undefined when none are configured. Clients are kept
 * while the credentials stay the same, so installation tokens are reused
 * across invocations; new credentials start afresh.
 */
export function gitHubClientSource(
  readCredentials: () => Promise<GitHubCredentials | undefined>,
  settings: GitHubClientSettings,
): GitHubClientForRepository {
  let current: ClientsOfCredentials | undefined;
  return async (repository) => {
    const credentials = await readCredentials();
    if (credentials === undefined) return undefined;
    if (current === undefined || !sameCredentials(current.credentials, credentials)) current = new ClientsOfCredentials(credentials, settings);
    return current.forRepository(repository);
  };
}
