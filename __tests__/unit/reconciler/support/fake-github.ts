import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A request the fake GitHub received. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
}

export interface FakeReply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Wait this long before answering (to provoke client timeouts). */
  readonly delayMs?: number;
}

/**
 * Answers a request, or returns undefined to let the next responder answer;
 * `count` is how many requests with the same path and query came before it.
 */
export type Responder = (request: ReceivedRequest, count: number) => FakeReply | undefined;

/**
 * A GitHub REST API stand-in on 127.0.0.1, started and stopped by each test.
 * Holds pull requests and answers GET /repos/{o}/{r}, .../pulls/{n} and
 * .../pulls?state=open (paged, with Link headers like GitHub); `intercept`
 * answers first, to inject failures.
 */
export class FakeGitHub {
  readonly requests: ReceivedRequest[] = [];
  /** REST pull request objects by number. */
  readonly pulls = new Map<number, Record<string, unknown>>();
  /** Whether GET /repos/{o}/{r} answers 200 (else 404). */
  repositoryVisible = true;
  /** Send Link headers on list pages (GitHub does). */
  linkHeaders = true;
  private interceptors: Responder[] = [];
  private readonly seen = new Map<string, number>();
  private readonly delayed = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    readonly repository: string,
  ) {}

  static async start(repository: string): Promise<FakeGitHub> {
    let fake: FakeGitHub | undefined;
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const request: ReceivedRequest = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, headers: req.headers };
      fake!.requests.push(request);
      const key = `${url.pathname}?${url.searchParams.toString()}`;
      const count = fake!.seen.get(key) ?? 0;
      fake!.seen.set(key, count + 1);
      const reply = fake!.reply(request, count);
      const answer = () => {
        if (res.destroyed) return;
        res.writeHead(reply.status, { "content-type": "application/json", ...(reply.headers ?? {}) });
        res.end(reply.body === undefined ? "" : JSON.stringify(reply.body));
      };
      if (reply.delayMs) {
        const timer = setTimeout(() => {
          fake!.delayed.delete(timer);
          answer();
        }, reply.delayMs);
        fake!.delayed.add(timer);
      } else {
        answer();
      }
    });
    fake = new FakeGitHub(server, repository);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Answers before the model does; the latest interceptor first. */
  intercept(responder: Responder): void {
    this.interceptors = [responder, ...this.interceptors];
  }

  addPull(pull: Record<string, unknown>): void {
    this.pulls.set(pull.number as number, pull);
  }

  /** Requests to one path, e.g. "/pulls/7" (relative to the repository). */
  requestsTo(path: string): ReceivedRequest[] {
    const full = `/repos/${this.repository}${path}`;
    return this.requests.filter((request) => request.path === full);
  }

  private reply(request: ReceivedRequest, count: number): FakeReply {
    for (const interceptor of this.interceptors) {
      const reply = interceptor(request, count);
      if (reply !== undefined) return reply;
    }
    const base = `/repos/${this.repository}`;
    if (request.path === base) return this.repositoryVisible ? { status: 200, body: { full_name: this.repository } } : notFound();
    if (request.path === `${base}/pulls`) return this.listPage(request);
    const single = new RegExp(`^${base}/pulls/(\\d+)$`).exec(request.path);
    if (single !== null) {
      const pull = this.pulls.get(Number(single[1]));
      return pull === undefined ? notFound() : { status: 200, body: pull };
    }
    return notFound();
  }

  private listPage(request: ReceivedRequest): FakeReply {
    const perPage = Number(request.query.get("per_page") ?? "30");
    const page = Number(request.query.get("page") ?? "1");
    const state = request.query.get("state") ?? "open";
    const all = [...this.pulls.values()].filter((pull) => state === "all" || pull.state === state).sort((a, b) => (b.number as number) - (a.number as number));
    const items = all.slice((page - 1) * perPage, page * perPage);
    const last = Math.max(1, Math.ceil(all.length / perPage));
    const link = (n: number, rel: string) => `<${this.url}${request.path}?state=${state}&per_page=${perPage}&page=${n}>; rel="${rel}"`;
    const links = page < last ? [link(page + 1, "next"), link(last, "last")] : page > 1 ? [link(1, "first"), link(page - 1, "prev")] : [];
    return { status: 200, body: items, ...(this.linkHeaders && links.length > 0 ? { headers: { link: links.join(", ") } } : {}) };
  }

  async stop(): Promise<void> {
    for (const timer of this.delayed) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }
}

function notFound(): FakeReply {
  return { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" } };
}
