// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";

/**
 * The GitHub credentials the functions share, as the `<project>/github-token`
 * secret holds them. Pure. An absent or empty value means "not configured"
 * (undefined): the stacks create the secret without a value.
 */

/** A personal or fine-grained token, or a GitHub App that mints installation tokens. */
export type GitHubCredentials =
  | { readonly kind: "token"; readonly token: string }
  | { readonly kind: "app"; readonly appId: string; readonly privateKey: string; readonly installationId?: string };

const FIX =
  'store a fine-grained token (the token itself, or JSON {"token": "..."}), or a GitHub App as JSON ' +
  '{"appId": "...", "privateKey": "-----BEGIN RSA PRIVATE KEY-----...", "installationId": "..."} (installationId optional), ' +
  'with the permissions README.md lists under "Connecting GitHub"; or empty the secret to go without GitHub';

/**
 * The secret holds a value that is not usable credentials. The message names
 * the secret, the field and the fix, never the value; there is no `cause`,
 * since a parser's error would quote the text.
 */
export class GitHubCredentialsSecretError extends Error {
  constructor(
    readonly secretArn: string,
    readonly problem: string,
  ) {
    super(`Secret ${secretArn} ${problem}. Fix: ${FIX}`);
    this.name = "GitHubCredentialsSecretError";
  }
}

const jsonObject = z.record(z.string(), z.unknown());
const nonEmptyString = z.string().trim().min(1);
const numericId = z.union([z.number().int().positive().max(Number.MAX_SAFE_INTEGER).transform(String), z.string().trim().regex(/^\d+$/)]);
const pemKey = z.string().refine((key) => key.includes("PRIVATE KEY"));

function parseJsonObject(secretArn: string, text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GitHubCredentialsSecretError(secretArn, 'starts with "{" but is not JSON');
  }
  const result = jsonObject.safeParse(parsed);
  if (!result.success) throw new GitHubCredentialsSecretError(secretArn, "holds JSON that is not an object");
  return result.data;
}

function appCredentials(secretArn: string, json: Record<string, unknown>): GitHubCredentials {
  const appId = numericId.safeParse(json.appId);
  if (!appId.success) throw new GitHubCredentialsSecretError(secretArn, 'has no numeric "appId"');
  const key = pemKey.safeParse(json.privateKey);
  if (!key.success) throw new GitHubCredentialsSecretError(secretArn, 'has no PEM "privateKey"');
  // Secrets pasted through a console often carry "\n" escapes instead of line breaks.
  const privateKey = key.data.replace(/\\n/g, "\n");
  if (json.installationId === undefined) return { kind: "app", appId: appId.data, privateKey };
  const installationId = numericId.safeParse(json.installationId);
  if (!installationId.success) throw new GitHubCredentialsSecretError(secretArn, 'has an "installationId" that is not a number');
  return { kind: "app", appId: appId.data, privateKey, installationId: installationId.data };
}

/**
 * The credentials in a SecretString: a token, JSON {"token"}, or JSON
 * {"appId", "privateKey", "installationId"?}. Undefined when the value is
 * absent, blank or "{}". Throws GitHubCredentialsSecretError otherwise.
 */
export function parseGitHubCredentials(secretArn: string, value: string | undefined): GitHubCredentials | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (!text.startsWith("{")) {
    if (/\s/.test(text)) throw new GitHubCredentialsSecretError(secretArn, "holds text with spaces, which is not a token");
    return { kind: "token", token: text };
  }
  const json = parseJsonObject(secretArn, text);
  if (json.token !== undefined) {
    const token = nonEmptyString.safeParse(json.token);
    if (!token.success) throw new GitHubCredentialsSecretError(secretArn, 'has a "token" that is not a non-empty string');
    return { kind: "token", token: token.data };
  }
  if (json.appId !== undefined || json.privateKey !== undefined) return appCredentials(secretArn, json);
  if (Object.keys(json).length === 0) return undefined;
  throw new GitHubCredentialsSecretError(secretArn, 'holds JSON with neither "token" nor "appId" and "privateKey"');
}
