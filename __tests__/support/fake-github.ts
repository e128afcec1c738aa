import { createVerify, generateKeyPairSync } from "node:crypto";
import { gitHubClientSource, type GitHubClient, type GitHubClientForRepository } from "../../functions/shared/github/client";
import type { GitHubCredentials } from "../../functions/shared/github/credentials";
import type { RequestPolicy } from "../../functions/shared/retry-policy";
import { FakeHttpServer, type FakeReply, type ReceivedRequest } from "./fake-http";

export type { FakeReply, ReceivedRequest };

/**
 * Answers a request, or returns undefined to let the model answer; `count`
 * is how many requests with the same method, path and query came before it.
 */
export type Interceptor = (request: ReceivedRequest, count: number) => FakeReply | undefined;

/** A GitHub App as the tests give it to the functions: its id, its key, and the public half the fake checks JWTs with. */
export interface FakeApp {
  readonly appId: string;
  readonly privateKey: string;
  readonly publicKey: string;
  /** The installation GitHub reports for the repository. */
  readonly installationId: number;
  /** The installation token the fake mints. */
  readonly token: string;
}

/** A GitHub App with a fresh RSA key, in the PKCS#1 PEM form GitHub hands App keys out in. */
export function fakeApp(overrides: Partial<Pick<FakeApp, "appId" | "installationId" | "token">> = {}): FakeApp {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  return { appId: "42", installationId: 99, token: "ghs_installation_token", privateKey, publicKey, ...overrides };
}

/** The `<project>/github-token` secret's value for an App, as an operator stores it. */
export function appSecretString(app: FakeApp, options: { installationId?: boolean } = {}): string {
  return JSON.stringify({
    appId: Number(app.appId),
    privateKey: app.privateKey,
    ...(options.installationId ? { installationId: String(app.installationId) } : {}),
  });
}

/** A compare API file list entry; "old->new" is a rename. */
function compareFile(name: string): Record<string, unknown> {
  const [from, to] = name.includes("->") ? name.split("->") : [undefined, name];
  return from ? { filename: to, previous_filename: from, status: "renamed" } : { filename: to, status: "modified" };
}

export interface Comparison {
  /** ahead, behind, diverged or identical. */
  readonly status: string;
  /** Changed paths; "old->new" is a rename. */
  readonly files: readonly string[];
  /** Commits in the comparison: the compare API pages through these, listing the files on the first page only. */
  readonly commits?: number;
}

function notFound(): FakeReply {
  return { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" } };
}

function badCredentials(): FakeReply {
  return { status: 401, body: { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" } };
}

/**
 * A GitHub REST API stand-in on 127.0.0.1 for one repository (or a few,
 * which share its pull requests and comparisons), started and stopped by
 * each test. It holds pull requests, comparisons and commit statuses, pages
 * lists with Link headers as GitHub does, and checks credentials: a token in
 * `tokens`, or a GitHub App whose JWT verifies with the App's public key and
 * whose installation token it minted, accepted only on the repositories of
 * that installation. `intercept` answers first, to inject failures.
 */
export class FakeGitHub {
  /** REST pull request objects by number. */
  readonly pulls = new Map<number, Record<string, unknown>>();
  /** Comparisons by "base...head". */
  readonly comparisons = new Map<string, Comparison>();
  /** Whether GET /repos/{o}/{r} answers 200 (else 404). */
  repositoryVisible = true;
  /** Tokens accepted on the repository's endpoints (an App's minted token is added). */
  readonly tokens = new Set<string>();
  private app: FakeApp | undefined;
  /** The App's installation by repository it covers. */
  private installations = new Map<string, number>();
  /** The installation each minted token belongs to. */
  private readonly installationOfToken = new Map<string, number>();
  private interceptors: Interceptor[] = [];

  private constructor(
    private readonly server: FakeHttpServer,
    readonly repository: string,
    /** Every repository served: `repository` first. */
    readonly repositories: readonly string[],
  ) {}

  static async start(repository: string, options: { tokens?: readonly string[]; moreRepositories?: readonly string[] } = {}): Promise<FakeGitHub> {
    let fake: FakeGitHub | undefined;
    const server = await FakeHttpServer.start((request, count) => fake!.reply(request, count));
    fake = new FakeGitHub(server, repository, [repository, ...(options.moreRepositories ?? [])]);
    for (const token of options.tokens ?? []) fake.tokens.add(token);
    return fake;
  }

  get url(): string {
    return this.server.url;
  }

  get requests(): ReceivedRequest[] {
    return this.server.requests;
  }

  /**
   * Serves `app`: its installations (by repository; by default the app's
   * installation on the first repository), and installation tokens for JWTs
   * it signed. A repository left out has no installation of the App.
   */
  installApp(app: FakeApp, installations: Readonly<Record<string, number>> = { [this.repository]: app.installationId }): void {
    this.app = app;
    this.installations = new Map(Object.entries(installations));
  }

  /** The token the fake mints for an installation: the App's own `token` for its `installationId`. */
  installationToken(installationId: number): string {
    if (this.app === undefined) throw new Error("installApp first");
    return installationId === this.app.installationId ? this.app.token : `${this.app.token}_${installationId}`;
  }

  /** Answers before the model does; the latest interceptor first. */
  intercept(interceptor: Interceptor): void {
    this.interceptors = [interceptor, ...this.interceptors];
  }

  addPull(pull: Record<string, unknown>): void {
    this.pulls.set(pull.number as number, pull);
  }

  compare(base: string, head: string, comparison: Comparison): void {
    this.comparisons.set(`${base}...${head}`, comparison);
  }

  /** Requests to one path of the repository, e.g. "/pulls/7"; "" for the repository itself. */
  requestsTo(path: string, repository = this.repository): ReceivedRequest[] {
    const full = `/repos/${repository}${path}`;
    return this.requests.filter((request) => request.path === full);
  }

  /** "METHOD path" of every request, in order. */
  calls(): string[] {
    return this.requests.map((request) => `${request.method} ${request.path}`);
  }

  /** The bodies of the commit statuses posted to a repository, with their commit. */
  statuses(repository = this.repository): Array<Record<string, unknown> & { sha: string }> {
    return this.requests
      .filter((request) => request.method === "POST" && request.path.startsWith(`/repos/${repository}/statuses/`))
      .map((request) => ({ sha: request.path.split("/").pop() as string, ...(request.json() as Record<string, unknown>) }));
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  private reply(request: ReceivedRequest, count: number): FakeReply {
    for (const interceptor of this.interceptors) {
      const reply = interceptor(request, count);
      if (reply !== undefined) return reply;
    }
    if (request.path.startsWith("/app/")) return this.appEndpoint(request);
    const repository = this.repositories.find((name) => request.path === `/repos/${name}` || request.path.startsWith(`/repos/${name}/`));
    if (repository === undefined) return notFound();
    const base = `/repos/${repository}`;
    if (this.app !== undefined && request.method === "GET" && request.path === `${base}/installation`) {
      if (!this.verifiesAsApp(request)) return badCredentials();
      const installation = this.installations.get(repository);
      return installation === undefined ? notFound() : { status: 200, body: { id: installation } };
    }
    if (!this.authorized(request, repository)) return badCredentials();
    if (request.path === base) return this.repositoryVisible ? { status: 200, body: { full_name: repository } } : notFound();
    if (request.path === `${base}/pulls`) return this.pullsPage(request);
    const single = new RegExp(`^${base}/pulls/(\\d+)$`).exec(request.path);
    if (single !== null) {
      const pull = this.pulls.get(Number(single[1]));
      return pull === undefined ? notFound() : { status: 200, body: pull };
    }
    const compare = new RegExp(`^${base}/compare/(.+)$`).exec(request.path);
    if (compare !== null) return this.comparePage(request, decodeURIComponent(compare[1] as string));
    if (request.method === "POST" && request.path.startsWith(`${base}/statuses/`)) return { status: 201, body: { id: 1, ...request.json() } };
    return notFound();
  }

  private authorized(request: ReceivedRequest, repository: string): boolean {
    if (this.tokens.size === 0) return true;
    const [, token = ""] = String(request.headers.authorization ?? "").split(" ");
    const installation = this.installationOfToken.get(token);
    if (installation !== undefined) return this.installations.get(repository) === installation;
    return this.tokens.has(token);
  }

  /** Whether the request carries a JWT of the installed App, signed with its key (RS256) and not expired. */
  private verifiesAsApp(request: ReceivedRequest): boolean {
    if (this.app === undefined) return false;
    const [scheme, jwt = ""] = String(request.headers.authorization ?? "").split(" ");
    if (scheme?.toLowerCase() !== "bearer") return false;
    const [header = "", payload = "", signature = ""] = jwt.split(".");
    const verifier = createVerify("RSA-SHA256");
    verifier.update(`${header}.${payload}`);
    if (!verifier.verify(this.app.publicKey, signature, "base64url")) return false;
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as { iss?: unknown; exp?: unknown };
    return String(claims.iss) === this.app.appId && Number(claims.exp) > Date.now() / 1000;
  }

  private appEndpoint(request: ReceivedRequest): FakeReply {
    const mint = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(request.path);
    if (this.app === undefined || request.method !== "POST" || mint === null) return notFound();
    if (!this.verifiesAsApp(request)) return badCredentials();
    const installation = Number(mint[1]);
    if (![...this.installations.values()].includes(installation)) return notFound();
    const token = this.installationToken(installation);
    this.tokens.add(token);
    this.installationOfToken.set(token, installation);
    return { status: 201, body: { token, expires_at: new Date(Date.now() + 3_600_000).toISOString() } };
  }

  /** Link headers as GitHub sends them: next and last on every page but the last. */
  private links(request: ReceivedRequest, page: number, last: number): Record<string, string> {
    if (page >= last) return {};
    const at = (n: number) => {
      const query = new URLSearchParams(request.query);
      query.set("page", String(n));
      return `<${this.url}${request.path}?${query.toString()}>`;
    };
    return { link: `${at(page + 1)}; rel="next", ${at(last)}; rel="last"` };
  }

  private pullsPage(request: ReceivedRequest): FakeReply {
    const perPage = Number(request.query.get("per_page") ?? "30");
    const page = Number(request.query.get("page") ?? "1");
    const state = request.query.get("state") ?? "open";
    const all = [...this.pulls.values()]
      .filter((pull) => state === "all" || pull.state === state)
      .sort((a, b) => (b.number as number) - (a.number as number));
    const last = Math.max(1, Math.ceil(all.length / perPage));
    return { status: 200, body: all.slice((page - 1) * perPage, page * perPage), headers: this.links(request, page, last) };
  }

  private comparePage(request: ReceivedRequest, basehead: string): FakeReply {
    const comparison = this.comparisons.get(basehead);
    if (comparison === undefined) return notFound();
    const perPage = Number(request.query.get("per_page") ?? "250");
    const page = Number(request.query.get("page") ?? "1");
    const commits = comparison.commits ?? 1;
    const last = Math.max(1, Math.ceil(commits / perPage));
    const onPage = Math.max(0, Math.min(perPage, commits - (page - 1) * perPage));
    return {
      status: 200,
      body: {
        url: `${this.url}${request.path}`,
        status: comparison.status,
        ahead_by: commits,
        behind_by: comparison.status === "ahead" ? 0 : 1,
        total_commits: commits,
        commits: Array.from({ length: onPage }, (_, index) => ({ sha: String((page - 1) * perPage + index).padStart(40, "0") })),
        // GitHub lists at most 300 files, all on the first page.
        files: page === 1 ? comparison.files.slice(0, 300).map(compareFile) : [],
      },
      headers: this.links(request, page, last),
    };
  }
}

/** Short timeouts and retries without waiting: the request policy of tests. */
export const FAST_POLICY: Partial<RequestPolicy> = { timeoutMs: 1_000, retryBaseDelayMs: 1 };

/** The shared GitHub clients as the functions build them, for `credentials`, against the fake: one per repository's installation. */
export function clientSourceFor(
  fake: FakeGitHub,
  credentials: GitHubCredentials,
  policy: Partial<RequestPolicy> = FAST_POLICY,
): GitHubClientForRepository {
  return gitHubClientSource(async () => credentials, { baseUrl: fake.url, userAgent: "pipewright-test", policy, throttling: false });
}

/** The shared GitHub client of the fake's first repository, for `credentials`. */
export function clientFor(
  fake: FakeGitHub,
  credentials: GitHubCredentials,
  policy: Partial<RequestPolicy> = FAST_POLICY,
): () => Promise<GitHubClient | undefined> {
  const source = clientSourceFor(fake, credentials, policy);
  return () => source(fake.repository);
}
