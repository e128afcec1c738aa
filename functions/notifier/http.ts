import { HttpDeliveryError } from "./errors";

/**
 * One HTTP request with a timeout per attempt and a bounded number of
 * attempts: retried on timeouts, network errors, 5xx and 429, never on other
 * 4xx (a retry cannot change a bad token or a bad payload). Gives up early
 * when the overall deadline would be passed, so the Lambda function ends in
 * time to report it. fetch is injected.
 */

export interface HttpRetryOptions {
  fetch?: typeof fetch;
  /** Per attempt, including reading the body. @default 5000 */
  timeoutMs?: number;
  /** @default 3 */
  maxAttempts?: number;
  /** First delay between attempts, doubled each time. @default 250 */
  retryDelayMs?: number;
  /** Longest wait a 429's Retry-After may ask for. @default 5000 */
  maxRetryAfterMs?: number;
  /** Budget of the whole request, retries included. @default 15000 */
  deadlineMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface HttpRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** How errors name the target; never a secret (a webhook URL is one). */
  target: string;
  /** What to do about a status, appended to the error. */
  hint?: (status: number) => string;
}

export interface HttpResponse {
  status: number;
  text: string;
  attempts: number;
}

function isRetryableError(error: unknown): boolean {
  // AbortSignal.timeout aborts with a TimeoutError DOMException (not always an
  // `instanceof Error` across realms); undici reports network failures as TypeError.
  const name = (error as { name?: unknown } | undefined)?.name;
  return name === "TimeoutError" || name === "TypeError";
}

function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429;
}

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date). */
function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export async function sendWithRetries(request: HttpRequest, options: HttpRetryOptions = {}): Promise<HttpResponse> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const retryDelayMs = options.retryDelayMs ?? 250;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 5000;
  const deadlineMs = options.deadlineMs ?? 15_000;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = now() + deadlineMs;
  const what = `${request.method} ${request.target}`;

  let lastError: HttpDeliveryError | undefined;
  let nextDelay = 0;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (attempt > 1) {
      if (now() + nextDelay >= deadline) break;
      await sleep(nextDelay);
    }
    const remaining = deadline - now();
    if (remaining <= 0) break;
    const attemptTimeout = Math.min(timeoutMs, remaining);
    const backoff = retryDelayMs * 2 ** (attempt - 1);

    let response: Response;
    let text: string;
    try {
      response = await doFetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(attemptTimeout),
      });
      text = await response.text();
    } catch (error) {
      const failure =
        (error as { name?: unknown }).name === "TimeoutError"
          ? `timed out after ${attemptTimeout} ms`
          : `failed: ${(error as Error).message}${(error as { cause?: { message?: unknown } }).cause?.message ? ` (${String((error as { cause: { message: unknown } }).cause.message)})` : ""}`;
      lastError = new HttpDeliveryError(request.target, undefined, attempt, `${what} ${failure} (attempt ${attempt} of ${maxAttempts})`, { cause: error });
      if (!isRetryableError(error)) throw lastError;
      nextDelay = backoff;
      continue;
    }
    if (response.ok) return { status: response.status, text, attempts: attempt };

    const hint = request.hint?.(response.status);
    lastError = new HttpDeliveryError(
      request.target,
      response.status,
      attempt,
      `${what} answered ${response.status} (attempt ${attempt} of ${maxAttempts}): ${text.slice(0, 200).trim() || "(empty body)"}${hint ? `. ${hint}` : ""}`,
    );
    if (!isRetryableStatus(response.status)) throw lastError;
    const asked = retryAfterMs(response.headers.get("retry-after"), now());
    nextDelay = asked === undefined ? backoff : Math.min(Math.max(asked, backoff), maxRetryAfterMs);
  }
  const gaveUp = lastError ?? new HttpDeliveryError(request.target, undefined, 0, `${what} was not attempted: no time was left`);
  if (lastError && lastError.attempts < maxAttempts) {
    throw new HttpDeliveryError(
      request.target,
      lastError.status,
      lastError.attempts,
      `${lastError.message}; gave up before attempt ${lastError.attempts + 1}: the ${deadlineMs} ms budget for ${request.target} was spent`,
      { cause: lastError.cause ?? lastError },
    );
  }
  throw gaveUp;
}
