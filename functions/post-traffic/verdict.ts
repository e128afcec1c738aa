import type { CheckOutcome } from "../shared/traffic-hook";

/** The post-traffic judgement of the requests made to the live endpoint, pure. */

/** One request to the live endpoint. */
export interface ProbeSample {
  /** HTTP status, absent when no answer came (timeout, network error). */
  status?: number;
  /** Why no answer came. */
  error?: string;
  /** Until the whole body was read, or until the request failed. */
  latencyMs: number;
}

/** Nearest-rank percentile (p in (0, 100]) of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError("percentile of an empty list");
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p} is not in (0, 100]`);
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1] as number;
}

export interface VerdictLimits {
  /** How many requests were planned: fewer samples (deadline reached) is a failure. */
  requests: number;
  maxLatencyMs: number;
}

function summarise(samples: readonly ProbeSample[]): string {
  const counts = new Map<string, number>();
  for (const sample of samples) {
    const key = sample.status === undefined ? `no answer (${sample.error ?? "unknown error"})` : `HTTP ${sample.status}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, count]) => `${count}x ${key}`).join(", ");
}

/**
 * Passes when every planned request answered 200 and the 95th percentile of
 * their latencies is within the limit. Latency counts only answered requests:
 * the others already fail the check.
 */
export function judgeProbes(url: string, samples: readonly ProbeSample[], limits: VerdictLimits): CheckOutcome {
  const problems: string[] = [];
  const bad = samples.filter((sample) => sample.status !== 200);
  if (samples.length < limits.requests) problems.push(`only ${samples.length} of ${limits.requests} requests could be made before the deadline`);
  if (bad.length > 0) problems.push(`${bad.length} of ${samples.length} requests did not answer 200 (${summarise(bad)})`);
  const answered = samples.filter((sample) => sample.status !== undefined).map((sample) => sample.latencyMs);
  const p95 = answered.length > 0 ? Math.round(percentile(answered, 95)) : undefined;
  if (p95 !== undefined && p95 > limits.maxLatencyMs) problems.push(`p95 latency ${p95} ms exceeds the limit of ${limits.maxLatencyMs} ms`);
  const details = {
    url,
    requests: samples.length,
    statuses: summarise(samples),
    p95LatencyMs: p95,
    maxLatencyMs: limits.maxLatencyMs,
    latenciesMs: samples.map((sample) => Math.round(sample.latencyMs)),
  };
  if (samples.length === 0 && problems.length === 0) problems.push("no request was made");
  if (problems.length > 0) return { passed: false, reason: `GET ${url}: ${problems.join("; ")}`, details };
  return {
    passed: true,
    summary: `GET ${url}: ${samples.length} of ${samples.length} requests answered 200, p95 latency ${p95} ms (limit ${limits.maxLatencyMs} ms)`,
    details,
  };
}
