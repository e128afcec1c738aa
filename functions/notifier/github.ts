import { createSign } from "node:crypto";
import type { ChannelOutcome, CommitStatusSender } from "./channels";
import type { CommitStatus } from "./commit-status";
import { HttpDeliveryError } from "./errors";
import { sendWithRetries, type HttpRetryOptions } from "./http";
import type { GitHubCredentials } from "./secrets";

/**
 * GitHub commit statuses (POST /repos/{owner}/{repo}/statuses/{sha}), with a
 * token or as a GitHub App (a JWT signed with the App's key buys an
 * installation token, cached until shortly before it expires). The
 * credentials are read on each send; fetch and the clock are injected.
 */

export interface GitHubCommitStatusesOptions {
  /** owner/name. */
  repository: string;
  /** @default "https://api.github.com" */
  baseUrl?: string;
  /** Resolves the credentials; undefined when none are configured. */
  credentials: () => Promise<GitHubCredentials | undefined>;
  http?: HttpRetryOptions;
  /**
   * Budget of one send, all its requests and retries included (an App may
   * need three requests: installation, token, status). @default 20000
   */
  budgetMs?: number;
  /** Milliseconds since the epoch. @default Date.now */
  now?: () => number;
}

/** An installation token is reused until this long before it expires. */
const TOKEN_RENEWAL_MARGIN_MS = 5 * 60_000;

function githubHint(status: number): string {
  if (status === 401) return "Fix: the GitHub credentials in the GitHub token secret are invalid or expired; replace them";
  if (status === 403) return 'Fix: give the token (or the App) "Commit statuses: write" on the repository, or wait if this is a rate limit';
  if (status === 404) return "Fix: check GITHUB_REPOSITORY and that the token (or the App installation) can see the repository";
  if (status === 422) return "GitHub refused the status: the commit may not be in the repository";
  return "GitHub may be unavailable";
}

function base64url(input: string | Buffer): string {
  return Buffer.from(input).toString("base64url");
}

/** The JWT a GitHub App authenticates with: RS256, issued a minute in the past (clock drift), valid 9 minutes. */
export function gitHubAppJwt(appId: string, privateKeyPem: string, nowMs: number): string {
  const issuedAt = Math.floor(nowMs / 1000) - 60;
  const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT" }));
  const payload = base64url(JSON.stringify({ iat: issuedAt, exp: issuedAt + 600, iss: appId }));
  const signer = createSign("RSA-SHA256");
  signer.update(`${header}.${payload}`);
  return `${header}.${payload}.${base64url(signer.sign(privateKeyPem))}`;
}

export class GitHubCommitStatuses implements CommitStatusSender {
  private readonly baseUrl: string;
  private readonly now: () => number;
  private appToken?: { key: string; token: string; expiresAt: number };

  constructor(private readonly options: GitHubCommitStatusesOptions) {
    this.baseUrl = (options.baseUrl ?? "https://api.github.com").replace(/\/+$/, "");
    this.now = options.now ?? Date.now;
  }

  async send(status: CommitStatus): Promise<ChannelOutcome> {
    const credentials = await this.options.credentials();
    if (credentials === undefined) {
      return { status: "skipped", reason: "no GitHub credentials are configured (the GitHub token secret holds no value)" };
    }
    const deadline = this.now() + (this.options.budgetMs ?? 20_000);
    const token = await this.tokenFor(credentials, deadline);
    const [owner = "", repo = ""] = this.options.repository.split("/");
    const path = `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/statuses/${encodeURIComponent(status.sha)}`;
    try {
      await this.request(deadline, "POST", path, token, {
        state: status.state,
        context: status.context,
        description: status.description,
        ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
      });
    } catch (error) {
      // A revoked installation token must not be reused by the next invocation.
      if (error instanceof HttpDeliveryError && error.status === 401) this.appToken = undefined;
      throw error;
    }
    return { status: "delivered", detail: `${status.state} on ${status.sha.slice(0, 12)}` };
  }

  private async tokenFor(credentials: GitHubCredentials, deadline: number): Promise<string> {
    if (credentials.kind === "token") return credentials.token;
    const key = `${credentials.appId}/${credentials.installationId ?? ""}`;
    if (this.appToken?.key === key && this.appToken.expiresAt - TOKEN_RENEWAL_MARGIN_MS > this.now()) return this.appToken.token;
    const jwt = gitHubAppJwt(credentials.appId, credentials.privateKey, this.now());
    const installationId = credentials.installationId ?? (await this.installationOf(jwt, deadline));
    const body = await this.request(deadline, "POST", `/app/installations/${encodeURIComponent(installationId)}/access_tokens`, jwt);
    const { token, expires_at: expiresAt } = body as { token?: unknown; expires_at?: unknown };
    if (typeof token !== "string" || token === "") {
      throw new HttpDeliveryError("GitHub /app/installations/{id}/access_tokens", 201, 1, "GitHub answered without an installation token");
    }
    const expires = typeof expiresAt === "string" ? Date.parse(expiresAt) : Number.NaN;
    this.appToken = { key, token, expiresAt: Number.isNaN(expires) ? this.now() + 50 * 60_000 : expires };
    return token;
  }

  /** The App's installation on the repository. */
  private async installationOf(jwt: string, deadline: number): Promise<string> {
    const [owner = "", repo = ""] = this.options.repository.split("/");
    const body = await this.request(deadline, "GET", `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/installation`, jwt);
    const id = (body as { id?: unknown }).id;
    if (typeof id !== "number") {
      throw new HttpDeliveryError("GitHub /repos/{owner}/{repo}/installation", 200, 1, `GitHub did not name the App's installation on ${this.options.repository}`);
    }
    return String(id);
  }

  private async request(deadline: number, method: "GET" | "POST", path: string, token: string, body?: unknown): Promise<unknown> {
    const response = await sendWithRetries(
      {
        method,
        url: `${this.baseUrl}${path}`,
        headers: {
          Accept: "application/vnd.github+json",
          Authorization: `Bearer ${token}`,
          "X-GitHub-Api-Version": "2022-11-28",
          "User-Agent": "pipewright-notifier",
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        target: `GitHub ${path}`,
        hint: githubHint,
      },
      { now: this.now, ...this.options.http, deadlineMs: Math.max(0, deadline - this.now()) },
    );
    if (response.text.trim() === "") return {};
    try {
      return JSON.parse(response.text);
    } catch {
      return {};
    }
  }
}
