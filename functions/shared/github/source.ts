import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { GitHubClient, GitHubClientOptions } from "./client";
import { secretsManagerGitHubCredentials } from "./secret";

/**
 * The GitHub client of a function, from the credentials in the
 * `<project>/github-token` secret; undefined while the secret holds no
 * value. Octokit is required, and the Secrets Manager client made, on the
 * first call, not at module load: a function that needs GitHub only for
 * some events keeps both off its cold start. (A require, not import():
 * esbuild bundles the module so that it runs when first required.)
 */
export function gitHubClientFromSecret(
  secretArn: string,
  secrets: () => SecretsManagerClient,
  options: Omit<GitHubClientOptions, "credentials">,
): () => Promise<GitHubClient | undefined> {
  let source: (() => Promise<GitHubClient | undefined>) | undefined;
  return () => {
    source ??= loadClientModule().gitHubClientSource(secretsManagerGitHubCredentials(secretArn, secrets()), options);
    return source();
  };
}

const loadClientModule = (): typeof import("./client") => require("./client");
