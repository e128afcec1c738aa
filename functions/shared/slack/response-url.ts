import { isLoopbackHost } from "../loopback";
import { DEFAULT_REQUEST_POLICY, type RequestPolicy } from "../retry-policy";

/**
 * Answers a slash command or a click through its response_url: Slack shows
 * the message to the user who asked (ephemeral) or replaces the original.
 * A response_url takes at most five posts within 30 minutes, so a post is
 * retried only after a 5xx, a timeout or a network error, within the shared
 * request policy's bounds.
 */

export interface SlackResponse {
  text: string;
  blocks?: readonly unknown[];
  /** @default "ephemeral" */
  response_type?: "ephemeral" | "in_channel";
  replace_original?: boolean;
}

/** A post to a response_url failed or was refused. `status` is Slack's HTTP status when it answered. */
export class SlackResponseUrlError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "SlackResponseUrlError";
  }
}

export interface ResponseUrlOptions {
  /** @default DEFAULT_REQUEST_POLICY (its timeout and retries) */
  policy?: Partial<RequestPolicy>;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/** Posts a message to a response_url. */
export type ResponseUrlPoster = (responseUrl: string, message: SlackResponse) => Promise<void>;

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The URL when it is one Slack gives (https), or plain http to this machine (the sandbox's stand-in). */
function checkedUrl(responseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(responseUrl);
  } catch {
    throw new SlackResponseUrlError("The response_url is not a URL", undefined);
  }
  if (url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHost(url.hostname))) return url;
  throw new SlackResponseUrlError(`The response_url on ${url.host} is not https`, undefined);
}

/** A poster that answers within the policy's timeout and retries. Errors name the host only: the path is a credential. */
export function responseUrlPoster(options: ResponseUrlOptions = {}): ResponseUrlPoster {
  const policy: RequestPolicy = { ...DEFAULT_REQUEST_POLICY, ...options.policy };
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? wait;
  return async (responseUrl, message) => {
    const url = checkedUrl(responseUrl);
    const body = JSON.stringify({ response_type: "ephemeral", ...message });
    let problem = "";
    for (let attempt = 1; attempt <= policy.retries + 1; attempt++) {
      if (attempt > 1) await sleep(policy.retryBaseDelayMs * (attempt - 1) ** 2);
      let response: Response;
      try {
        response = await fetchImpl(url, {
          method: "POST",
          headers: { "content-type": "application/json; charset=utf-8" },
          body,
          signal: AbortSignal.timeout(policy.timeoutMs),
          redirect: "error",
        });
      } catch (error) {
        const timedOut = /\b(TimeoutError|AbortError)\b/.test(`${(error as Error).name} ${(error as Error).message}`);
        problem = timedOut ? `timed out after ${policy.timeoutMs} ms` : `failed: ${(error as Error).message}`;
        continue;
      }
      const answer = (await response.text()).slice(0, 200).trim();
      if (response.ok) return;
      if (response.status < 500) {
        // Slack answers 404 expired_url / used_url once the URL's lifetime or its five posts are spent.
        throw new SlackResponseUrlError(
          `The response_url on ${url.host} answered ${response.status}: ${answer || "(empty body)"}. The request is older than 30 minutes or was answered five times already`,
          response.status,
        );
      }
      problem = `answered ${response.status}: ${answer || "(empty body)"}`;
    }
    throw new SlackResponseUrlError(`The response_url on ${url.host} ${problem} (${policy.retries + 1} attempts)`, undefined);
  };
}
