import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A request the fake GitHub received. */
export interface ReceivedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

export interface FakeReply {
  status: number;
  body?: unknown;
  /** Wait this long before answering (to provoke client timeouts). */
  delayMs?: number;
}

/** Answers a request; `count` is how many requests with the same path and query came before it. */
export type Responder = (request: ReceivedRequest, count: number) => FakeReply;

/** A GitHub REST API stand-in on 127.0.0.1, started and stopped by each test. */
export class FakeGitHub {
  readonly requests: ReceivedRequest[] = [];
  private readonly seen = new Map<string, number>();
  private readonly delayed = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    private responder: Responder,
  ) {}

  static async start(responder: Responder = () => ({ status: 404, body: { message: "Not Found" } })): Promise<FakeGitHub> {
    let fake: FakeGitHub | undefined;
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const request: ReceivedRequest = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, headers: req.headers };
      fake!.requests.push(request);
      const key = `${url.pathname}?${url.searchParams.toString()}`;
      const count = fake!.seen.get(key) ?? 0;
      fake!.seen.set(key, count + 1);
      const reply = fake!.responder(request, count);
      const answer = () => {
        if (res.destroyed) return;
        res.writeHead(reply.status, { "content-type": "application/json" });
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
    fake = new FakeGitHub(server, responder);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  respond(responder: Responder): void {
    this.responder = responder;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Requests to the compare API, as "base...head page=N". */
  compareCalls(): string[] {
    return this.requests
      .filter((r) => r.path.includes("/compare/"))
      .map((r) => `${r.path.split("/compare/")[1]} page=${r.query.get("page")}`);
  }

  async stop(): Promise<void> {
    for (const timer of this.delayed) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }
}

/** A compare API body; a name "old->new" is a rename. */
export function comparison(status: string, names: readonly string[]): unknown {
  return {
    status,
    ahead_by: 1,
    behind_by: status === "ahead" ? 0 : 1,
    total_commits: 1,
    commits: [],
    files: names.map((name) => {
      const [from, to] = name.includes("->") ? name.split("->") : [undefined, name];
      return from
        ? { filename: to, previous_filename: from, status: "renamed" }
        : { filename: to, status: "modified" };
    }),
  };
}

/** n distinct paths under a folder. */
export function manyFiles(folder: string, n: number, offset = 0): string[] {
  return Array.from({ length: n }, (_, i) => `${folder}/file-${i + offset}.ts`);
}
