import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A request the fake received, body included. */
export interface ReceivedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  json(): any;
}

export interface FakeReply {
  status: number;
  body?: string | object;
  headers?: Record<string, string>;
  /** Wait this long before answering (to provoke client timeouts). */
  delayMs?: number;
}

/** Answers a request; `count` is how many requests with the same method, path and query came before it. */
export type Responder = (request: ReceivedRequest, count: number) => FakeReply;

/** An HTTP stand-in (a Slack webhook, GitHub's API) on 127.0.0.1, started and stopped by each test. */
export class FakeHttpServer {
  readonly requests: ReceivedRequest[] = [];
  private readonly seen = new Map<string, number>();
  private readonly delayed = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    private responder: Responder,
  ) {}

  static async start(responder: Responder = () => ({ status: 200, body: "ok" })): Promise<FakeHttpServer> {
    let fake: FakeHttpServer | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const request: ReceivedRequest = {
          method: req.method ?? "GET",
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body,
          json: () => JSON.parse(body),
        };
        fake!.requests.push(request);
        const key = `${request.method} ${url.pathname}?${url.searchParams.toString()}`;
        const count = fake!.seen.get(key) ?? 0;
        fake!.seen.set(key, count + 1);
        const reply = fake!.responder(request, count);
        const answer = () => {
          if (res.destroyed) return;
          const text = reply.body === undefined ? "" : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
          res.writeHead(reply.status, { "content-type": typeof reply.body === "object" ? "application/json" : "text/plain", ...reply.headers });
          res.end(text);
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
    });
    fake = new FakeHttpServer(server, responder);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  respond(responder: Responder): void {
    this.responder = responder;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const timer of this.delayed) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }
}
