/**
 * The emulator keeps HTTP connections alive (sandbox/emulator/keep_alive.py):
 * consecutive requests share one connection, each request's body is read in
 * full (the next request is never swallowed), a client that asks for
 * `Connection: close` gets it, and each answer leaves in one write.
 */
import * as http from "node:http";
import type { Socket } from "node:net";
import { runEmulatorPython, useEmulator } from "../support/emulator";

const emulator = useEmulator();

interface Answer {
  status: number;
  body: string;
  connection: string | undefined;
  socket: Socket;
}

function post(agent: http.Agent, target: string, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(emulator().endpoint);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: "POST",
        path: "/",
        agent,
        headers: {
          "content-type": "application/x-amz-json-1.0",
          "x-amz-target": target,
          // moto routes by the credential scope; IAM checks are off, so the signature is not checked.
          authorization: "AWS4-HMAC-SHA256 Credential=test/20261130/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
          "content-length": String(Buffer.byteLength(body)),
          ...headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            connection: response.headers.connection,
            socket: request.socket as Socket,
          }),
        );
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

describe("AWS emulator: HTTP keep-alive", () => {
  let agent: http.Agent;
  beforeEach(() => {
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  });
  afterEach(() => agent.destroy());

  it("answers consecutive requests on one connection, each with its own body", async () => {
    const create = JSON.stringify({
      TableName: "keep-alive",
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
    });
    const answers = [];
    answers.push(await post(agent, "DynamoDB_20120810.CreateTable", create));
    answers.push(
      await post(
        agent,
        "DynamoDB_20120810.PutItem",
        JSON.stringify({ TableName: "keep-alive", Item: { pk: { S: "a" }, data: { S: "x".repeat(20_000) } } }),
      ),
    );
    answers.push(await post(agent, "DynamoDB_20120810.DescribeTable", JSON.stringify({ TableName: "keep-alive" })));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(JSON.parse(answers[2]?.body ?? "{}")).toMatchObject({ Table: { TableName: "keep-alive", ItemCount: 1 } });
    expect(new Set(answers.map((answer) => answer.socket)).size).toBe(1);
    expect(answers.map((answer) => answer.connection)).not.toContain("close");
  });

  it("keeps the connection usable after an error answer", async () => {
    const bad = await post(agent, "DynamoDB_20120810.DescribeTable", JSON.stringify({ TableName: "no-such-table" }));
    const good = await post(agent, "DynamoDB_20120810.ListTables", "{}");
    expect([bad.status, good.status]).toEqual([400, 200]);
    expect(good.socket).toBe(bad.socket);
  });

  it("closes when the client asks", async () => {
    const answer = await post(agent, "DynamoDB_20120810.ListTables", "{}", { connection: "close" });
    expect(answer.status).toBe(200);
    expect(answer.connection).toBe("close");
  });

  it("sends each answer, headers and body, in one write", () => {
    // Terraform's provider (Go) sometimes dropped a connection between an answer's headers and its
    // body, then retried a create that had succeeded. Counted on the handler's socket, two requests in.
    const output = runEmulatorPython([
      "import socket",
      "import keep_alive",
      "keep_alive.install()",
      "from werkzeug.serving import make_server",
      "def app(environ, start_response):",
      "    body = environ['wsgi.input'].read() * 2",
      "    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])",
      "    return [body]",
      "writes = []",
      "class Recorded:",
      "    def __init__(self, sock): self._sock = sock",
      "    def sendall(self, data): writes.append(len(data)); return self._sock.sendall(data)",
      "    def send(self, data): writes.append(len(data)); return self._sock.send(data)",
      "    def __getattr__(self, name): return getattr(self._sock, name)",
      "server = make_server('127.0.0.1', 0, app, request_handler=keep_alive.KeepAliveRequestHandler)",
      "listener = socket.create_server(('127.0.0.1', 0))",
      "client = socket.create_connection(listener.getsockname())",
      "handler_side, _ = listener.accept()",
      "for body in (b'first', b'second!'):",
      "    client.sendall(b'POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: %d\\r\\n\\r\\n%s' % (len(body), body))",
      "client.shutdown(socket.SHUT_WR)",
      "keep_alive.KeepAliveRequestHandler(Recorded(handler_side), ('127.0.0.1', 1), server)",
      "answers = client.recv(65536).decode()",
      "server.server_close(); listener.close()",
      "print(len(writes), answers.count('HTTP/1.1 200'), 'firstfirst' in answers and 'second!second!' in answers)",
    ]);
    expect(output.trim()).toBe("2 2 True");
  });
});
