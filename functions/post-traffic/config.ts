import { parseHealthPath, parseIntegerSetting } from "../shared/traffic-hook-config";

/**
 * The post-traffic hook's settings, as the stacks pass them in environment
 * variables (all optional). Pure: handler.ts reads the variables.
 */
export interface PostTrafficConfig {
  /** Requests made to the live endpoint, one after another. */
  requests: number;
  /** The 95th percentile of their latencies may not exceed this. */
  maxLatencyMs: number;
  /** Per request; a request that takes longer counts as failed. */
  requestTimeoutMs: number;
  /** Path requested on the API, e.g. "/health". */
  healthPath: string;
}

export interface PostTrafficEnvironment {
  POST_TRAFFIC_REQUESTS?: string;
  MAX_LATENCY_MS?: string;
  REQUEST_TIMEOUT_MS?: string;
  HEALTH_PATH?: string;
}

export function parsePostTrafficConfig(env: PostTrafficEnvironment): PostTrafficConfig {
  const maxLatencyMs = parseIntegerSetting("MAX_LATENCY_MS", env.MAX_LATENCY_MS, { min: 1, max: 60_000, default: 1000 });
  return {
    requests: parseIntegerSetting("POST_TRAFFIC_REQUESTS", env.POST_TRAFFIC_REQUESTS, { min: 1, max: 100, default: 10 }),
    maxLatencyMs,
    // By default a request may take a few times the latency limit before it is cut off.
    requestTimeoutMs: parseIntegerSetting("REQUEST_TIMEOUT_MS", env.REQUEST_TIMEOUT_MS, {
      min: 100,
      max: 60_000,
      default: Math.min(60_000, Math.max(3000, maxLatencyMs * 3)),
    }),
    healthPath: parseHealthPath(env.HEALTH_PATH),
  };
}
