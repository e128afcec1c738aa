import { isLoopbackHost } from "../shared/loopback";
import { SecretValueError } from "./errors";

/**
 * The value of the notifier's Slack webhook secret (the GitHub token secret
 * is parsed by functions/shared/github/credentials.ts). Pure. An absent or
 * empty value means "not configured" (undefined): the stacks create the
 * secret without a value, and Slack is then skipped, not failed. A value
 * that is there but unusable is an error, reported like a failed delivery.
 */

/** A SecretString that is a value itself, or JSON; undefined when empty. */
function readText(value: string | undefined): string | undefined {
  const text = value?.trim();
  return text ? text : undefined;
}

function parseJsonObject(secretArn: string, text: string, fix: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SecretValueError(secretArn, 'starts with "{" but is not JSON', fix);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new SecretValueError(secretArn, "holds JSON that is not an object", fix);
  }
  return parsed as Record<string, unknown>;
}

const SLACK_FIX =
  'store the incoming-webhook URL (https://hooks.slack.com/services/...) itself, or JSON {"url": "..."}, as the SecretString; or empty it to turn Slack off';

/** The Slack incoming-webhook URL in a SecretString that is the URL or JSON {"url": "..."}. */
export function parseSlackWebhookSecret(secretArn: string, value: string | undefined): string | undefined {
  const text = readText(value);
  if (text === undefined) return undefined;
  let candidate: unknown = text;
  if (text.startsWith("{")) {
    const json = parseJsonObject(secretArn, text, SLACK_FIX);
    candidate = json.url;
    if (candidate === undefined || candidate === "") return undefined;
  }
  if (typeof candidate !== "string") throw new SecretValueError(secretArn, 'has a "url" that is not a string', SLACK_FIX);
  let url: URL;
  try {
    url = new URL(candidate.trim());
  } catch {
    throw new SecretValueError(secretArn, "does not hold a URL", SLACK_FIX);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
    throw new SecretValueError(secretArn, `holds a ${url.protocol} URL; Slack webhooks are https`, SLACK_FIX);
  }
  return url.toString();
}
