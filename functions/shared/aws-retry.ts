/**
 * How the functions' AWS clients retry calls that AWS throttles. The SDK
 * retries a throttling error (ThrottlingException, "Rate exceeded") and
 * transient errors with exponential backoff and jitter; adaptive mode also
 * slows the client's own sending once it is throttled. A call still
 * throttled after the last attempt fails the invocation, and the event is
 * redelivered by the bus or Lambda: the handlers are idempotent, so nothing
 * is lost or done twice.
 */
export const THROTTLED_CLIENT_RETRY = { retryMode: "adaptive", maxAttempts: 8 } as const;
