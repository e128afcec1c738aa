/**
 * What the functions ask AWS for, read from the emulator's request history
 * (`--request-history`; its columns are in sandbox/emulator/README.md).
 * Pure: the sandbox part of the benchmark (bench/sandbox.ts) feeds it the file.
 */

/** One request the emulator answered. */
export interface RecordedCall {
  /** Epoch milliseconds, fractional, when the emulator started on it. */
  readonly startMs: number;
  /** Until the emulator had its answer. */
  readonly durationMs: number;
  readonly method: string;
  /** The API operation, e.g. PutEvents or ListObjectVersions. */
  readonly operation: string;
  /** The signing name from the credential scope, e.g. `events`. */
  readonly service: string;
  /** `<account>:assumed-role/<role>/<session>`, `<account>:user/<name>`, or what the emulator could not resolve. */
  readonly caller: string;
  /** The SDK's `amz-sdk-request`, e.g. `attempt=1;max=3`. */
  readonly attempt: string;
  readonly status: string;
}

export class RequestHistoryFormatError extends Error {
  constructor(line: number, problem: string) {
    super(
      `Line ${line} of the emulator's request history ${problem}. Fix: read it with the emulator of this commit (sandbox/emulator/request_history.py writes the columns bench/calls.ts reads)`,
    );
    this.name = "RequestHistoryFormatError";
  }
}

const COLUMNS = 11;
/** `2026-12-02T17:01:00.123456Z`: microseconds, which Date.parse drops. */
const START = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})Z$/;

function startMs(text: string, line: number): number {
  const match = START.exec(text);
  if (!match) throw new RequestHistoryFormatError(line, `starts with "${text}", not an ISO time with microseconds`);
  return Date.parse(`${match[1]}Z`) + Number(match[2]) / 1000;
}

/** S3 is a REST API: its operation is in the method, the path and the query's keys. */
function s3Operation(method: string, target: string): string {
  const [pathPart = "", query = ""] = target.split("?");
  const keys = new Set(query.split("&").map((pair) => pair.split("=")[0]));
  const onObject = pathPart.split("/").filter(Boolean).length > 1;
  if (keys.has("versions")) return "ListObjectVersions";
  if (keys.has("delete") && method === "POST") return "DeleteObjects";
  if (keys.has("list-type")) return "ListObjectsV2";
  const verb = { GET: "Get", PUT: "Put", DELETE: "Delete", HEAD: "Head" }[method];
  if (verb && onObject) return `${verb}Object`;
  return `${method} ${pathPart}${query ? "?" : ""}${[...keys].join("&")}`;
}

/**
 * The operation's name: JSON services name it in X-Amz-Target (`AWSEvents.PutEvents`),
 * query services in `Action`, REST ones (S3) by method and path.
 */
export function operationName(method: string, recorded: string, service: string): string {
  if (!recorded.startsWith("/")) return recorded.slice(recorded.lastIndexOf(".") + 1);
  return service === "s3" ? s3Operation(method, recorded) : `${method} ${recorded}`;
}

export function parseRequestHistory(text: string): RecordedCall[] {
  const calls: RecordedCall[] = [];
  for (const [index, line] of text.split("\n").entries()) {
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split("\t");
    if (fields.length !== COLUMNS) throw new RequestHistoryFormatError(index + 1, `has ${fields.length} columns, not ${COLUMNS}`);
    const [start = "", ms = "", , method = "", operation = "", service = "", caller = "", , attempt = "", status = ""] = fields;
    calls.push({
      startMs: startMs(start, index + 1),
      durationMs: Number(ms),
      method,
      operation: operationName(method, operation, service),
      service,
      caller,
      attempt,
      status,
    });
  }
  return calls;
}

/** The session name of an assumed-role caller (the sandbox names a function's session after the function). */
export function sessionOf(caller: string): string | undefined {
  return /:assumed-role\/[^/]+\/(.+)$/.exec(caller)?.[1];
}

/**
 * The calls each of `functions` (every function of the sandbox) made from
 * `fromMs` to `toMs`, by function name, oldest first. A function's own calls are those of its role's session
 * (named after it). Calls of any other role session in the window were made
 * with credentials a function obtained there (pr-pipelines assumes dev's
 * cleanup role to delete preview stacks): they count for the last function
 * that called AssumeRole before them. Users (the sandbox's administrators:
 * the runtime's queue polling, the benchmark's own reads) and requests without
 * credentials (health checks) are nobody's.
 */
export function callsByFunction(
  history: readonly RecordedCall[],
  functions: readonly string[],
  fromMs: number,
  toMs: number,
): Map<string, RecordedCall[]> {
  const byFunction = new Map<string, RecordedCall[]>(functions.map((name) => [name, []]));
  let lastToAssumeRole: string | undefined;
  const inWindow = history.filter((call) => call.startMs >= fromMs && call.startMs <= toMs).sort((a, b) => a.startMs - b.startMs);
  for (const call of inWindow) {
    const session = sessionOf(call.caller);
    if (session === undefined) continue;
    const own = byFunction.get(session);
    if (own) {
      own.push(call);
      if (call.operation === "AssumeRole") lastToAssumeRole = session;
    } else if (lastToAssumeRole !== undefined) {
      byFunction.get(lastToAssumeRole)?.push(call);
    }
  }
  return byFunction;
}

/**
 * The longest chain of calls that wait on each other: the longest sequence
 * of calls in which each started after the emulator had answered the one
 * before. Read from a history taken with the emulator's latency on
 * (bench/sandbox.ts asks for 200 ms): a function prepares the calls it sends
 * side by side one after the other, in a few milliseconds each, so without
 * the latency the emulator would answer each before the next arrived and
 * they would look sequential; with it, they overlap and no chain holds two
 * of them. Side-by-side branches that drift apart do not lengthen the chain
 * as long as the drift stays under the latency.
 */
export function longestChain(calls: readonly RecordedCall[]): number {
  const byEnd = [...calls].sort((a, b) => a.startMs + a.durationMs - (b.startMs + b.durationMs));
  const chainEndingAt: number[] = [];
  for (const [j, call] of byEnd.entries()) {
    let longest = 0;
    for (let i = 0; i < j; i++) {
      const before = byEnd[i] as RecordedCall;
      if (before.startMs + before.durationMs <= call.startMs) longest = Math.max(longest, chainEndingAt[i] as number);
    }
    chainEndingAt.push(longest + 1);
  }
  return Math.max(0, ...chainEndingAt);
}

export type OperationCounts = Readonly<Record<string, number>>;

export function countOperations(calls: readonly RecordedCall[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) counts[call.operation] = (counts[call.operation] ?? 0) + 1;
  return counts;
}

export interface CallDifference {
  readonly operation: string;
  readonly expected: number;
  readonly actual: number;
}

/** Operations made more often than expected (unexpected ones included), and those made less often. */
export function compareCalls(expected: OperationCounts, actual: OperationCounts): { more: CallDifference[]; fewer: CallDifference[] } {
  const operations = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  const differences = operations.map((operation) => ({ operation, expected: expected[operation] ?? 0, actual: actual[operation] ?? 0 }));
  return { more: differences.filter((d) => d.actual > d.expected), fewer: differences.filter((d) => d.actual < d.expected) };
}

export function formatCounts(counts: OperationCounts): string {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([operation, count]) => (count === 1 ? operation : `${operation} x${count}`))
    .join(", ");
}
