import { SecretValueError } from "./errors";
import { isLoopback } from "./config";

/**
 * The values of the notifier's two optional secrets. Pure. An absent or
 * empty value means "not configured" (undefined): the stacks create the
 * secrets without a value, and the channel is then skipped, not failed. A
 * value that is there but unusable is an error, reported like a failed delivery.
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

const SLACK_FIX = 'store the incoming-webhook URL (https://hooks.slack.com/services/...) itself, or JSON {"url": "..."}, as the SecretString; or empty it to turn Slack off';

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
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url.hostname))) {
    throw new SecretValueError(secretArn, `holds a ${url.protocol} URL; Slack webhooks are https`, SLACK_FIX);
  }
  return url.toString();
}

/** A personal or fine-grained token, or a GitHub App that mints installation tokens. */
export type GitHubCredentials =
  | { kind: "token"; token: string }
  | { kind: "app"; appId: string; privateKey: string; installationId?: string };

const GITHUB_FIX =
  'store a token with "Commit statuses: write" (the token itself or JSON {"token": "..."}), or a GitHub App as JSON ' +
  '{"appId": "...", "privateKey": "-----BEGIN RSA PRIVATE KEY-----...", "installationId": "..."} (installationId optional); ' +
  "or empty it to turn commit statuses off";

function idString(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) return String(value);
  if (typeof value === "string" && /^\d+$/.test(value.trim())) return value.trim();
  return undefined;
}

/** The GitHub credentials in a SecretString: a token, JSON {"token"}, or JSON {"appId", "privateKey", "installationId"?}. */
export function parseGitHubCredentialsSecret(secretArn: string, value: string | undefined): GitHubCredentials | undefined {
  const text = readText(value);
  if (text === undefined) return undefined;
  if (!text.startsWith("{")) {
    if (/\s/.test(text)) throw new SecretValueError(secretArn, "holds text with spaces, which is not a token", GITHUB_FIX);
    return { kind: "token", token: text };
  }
  const json = parseJsonObject(secretArn, text, GITHUB_FIX);
  if (json.token !== undefined) {
    if (typeof json.token !== "string" || json.token.trim() === "") {
      throw new SecretValueError(secretArn, 'has a "token" that is not a non-empty string', GITHUB_FIX);
    }
    return { kind: "token", token: json.token.trim() };
  }
  if (json.appId !== undefined || json.privateKey !== undefined) {
    const appId = idString(json.appId);
    if (appId === undefined) throw new SecretValueError(secretArn, 'has no numeric "appId"', GITHUB_FIX);
    if (typeof json.privateKey !== "string" || !json.privateKey.includes("PRIVATE KEY")) {
      throw new SecretValueError(secretArn, 'has no PEM "privateKey"', GITHUB_FIX);
    }
    const installationId = json.installationId === undefined ? undefined : idString(json.installationId);
    if (json.installationId !== undefined && installationId === undefined) {
      throw new SecretValueError(secretArn, 'has an "installationId" that is not a number', GITHUB_FIX);
    }
    // Secrets pasted through a console often carry "\n" escapes instead of line breaks.
    const privateKey = json.privateKey.includes("\\n") ? json.privateKey.replace(/\\n/g, "\n") : json.privateKey;
    return installationId === undefined ? { kind: "app", appId, privateKey } : { kind: "app", appId, privateKey, installationId };
  }
  // "{}" is as empty as "".
  if (Object.keys(json).length === 0) return undefined;
  throw new SecretValueError(secretArn, 'holds JSON with neither "token" nor "appId" and "privateKey"', GITHUB_FIX);
}
