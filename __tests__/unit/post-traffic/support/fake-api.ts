/** A local stand-in for the application's HTTP API, with faults chosen per request. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Behaviour = { status: number; delayMs?: number; body?: string } | "hang";

export class FakeApi {
  readonly requests: Array<{ method: string; url: string; userAgent?: string }> = [];
  /** Answer of the n-th request (0-based); later requests get `fallback`. */
  behaviours: Behaviour[] = [];
  fallback: Behaviour = { status: 200, body: '{"status":"ok"}' };
  private readonly hanging = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeApi> {
    let api: FakeApi | undefined;
    const server = createServer((request, response) => api?.answer(request, response));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    api = new FakeApi(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return api;
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    const behaviour = this.behaviours[this.requests.length] ?? this.fallback;
    this.requests.push({ method: request.method ?? "", url: request.url ?? "", userAgent: request.headers["user-agent"] });
    if (behaviour === "hang") {
      this.hanging.add(response);
      return;
    }
    const send = () => response.writeHead(behaviour.status, { "content-type": "application/json" }).end(behaviour.body ?? "{}");
    if (behaviour.delayMs) setTimeout(send, behaviour.delayMs);
    else send();
  }

  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
