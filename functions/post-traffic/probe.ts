import type { ProbeSample } from "./verdict";

/**
 * Requests the live endpoint N times, one after another (the hook measures
 * the service, it does not load-test it), each with its own timeout, and
 * stops at the deadline. fetch and the clock are injected.
 */

export interface ProbeOptions {
  url: string;
  requests: number;
  requestTimeoutMs: number;
  /** Epoch ms; no request starts after it. */
  deadline: number;
  /** The hook's signal, aborted at the deadline: it, not a timer of the probe's own, ends a request that runs past it. */
  signal: AbortSignal;
  fetch?: typeof fetch;
  /** Epoch ms, for the deadline. Latency is measured with performance.now(). */
  now?: () => number;
}

function describeFailure(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === "TimeoutError") return `timed out after ${timeoutMs} ms`;
  if (name === "AbortError") return "aborted: the hook's time is up";
  // undici reports network failures as "TypeError: fetch failed" with the reason as cause.
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const detail = typeof cause?.code === "string" ? cause.code : typeof cause?.message === "string" ? cause.message : undefined;
  // Not instanceof Error: errors from another realm (undici's, in some runtimes) fail that test.
  const raw = (error as { message?: unknown } | undefined)?.message;
  const message = typeof raw === "string" ? raw : String(error);
  return detail ? `${message} (${detail})` : message;
}

export async function probe(options: ProbeOptions): Promise<ProbeSample[]> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const samples: ProbeSample[] = [];
  for (let i = 0; i < options.requests && !options.signal.aborted; i++) {
    if (options.deadline - now() <= 0) break;
    // Not capped at the deadline: a second timer there would race the hook's own and could
    // turn "time ran out" into "the endpoint failed". AbortSignal.timeout wants whole ms.
    const timeoutMs = Math.max(1, Math.floor(options.requestTimeoutMs));
    const started = performance.now();
    try {
      const response = await doFetch(options.url, {
        headers: { accept: "application/json", "user-agent": "pipewright-post-traffic" },
        signal: AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)]),
        // A redirect would measure another endpoint.
        redirect: "manual",
      });
      // The body is part of the latency a client sees.
      await response.arrayBuffer();
      samples.push({ status: response.status, latencyMs: performance.now() - started });
    } catch (error) {
      samples.push({ error: describeFailure(error, timeoutMs), latencyMs: performance.now() - started });
    }
  }
  return samples;
}
