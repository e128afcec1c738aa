/**
 * How the functions' AWS clients retry calls that AWS throttles. The SDK's
 * standard mode retries a throttling error (ThrottlingException, "Rate
 * exceeded") and transient errors with exponential backoff and full jitter,
 * from a longer base for throttling; more attempts than the SDK's default
 * ride out a burst. (Adaptive mode also slows the client's own sending once
 * throttled, down to a fraction of a call a second: in a function whose
 * invocation sends a handful of calls side by side, that turns a short
 * throttle into a long stall.) A call still throttled after the last attempt
 * fails the invocation, and the event is redelivered by the bus or Lambda:
 * the handlers are idempotent, so nothing is lost or done twice.
 */
export const THROTTLED_CLIENT_RETRY = { retryMode: "standard", maxAttempts: 8 } as const;
