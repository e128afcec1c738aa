/**
 * How the functions' HTTP clients (GitHub's and Slack's) try, in one place.
 * The rule: a server error (5xx), a timeout or a network error is retried a
 * bounded number of times; a 4xx never is, since another attempt gets the
 * same answer; a rate limit is waited out once, and only when the wait is
 * short. Bounded, so a Lambda never sleeps until a rate limit resets.
 * (AWS calls retry through the SDK's own classification of throttling and
 * transient errors, configured per client.)
 */

export interface RequestPolicy {
  /** One HTTP request, reading the answer included. */
  readonly timeoutMs: number;
  /** Further attempts after a 5xx, a timeout or a network error. */
  readonly retries: number;
  /** Retry n waits n² times this. */
  readonly retryBaseDelayMs: number;
  /** A rate limit is waited out once, and only when the server asks for at most this long. */
  readonly maxRateLimitWaitSeconds: number;
}

export const DEFAULT_REQUEST_POLICY: RequestPolicy = {
  timeoutMs: 5_000,
  retries: 2,
  retryBaseDelayMs: 500,
  maxRateLimitWaitSeconds: 10,
};

/** The client errors (4xx): another attempt gets the same answer. Rate limits (403, 429) are waited out apart from retries. */
export const NOT_RETRIED_STATUSES: readonly number[] = Array.from({ length: 100 }, (_, index) => 400 + index);
