import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { GitHubClientForRepository, GitHubClientSettings } from "./client";
import { secretsManagerGitHubCredentials } from "./secret";

/**
 * The GitHub clients of a function, one per repository's App installation
 * (or one for a token), from the credentials in the `<project>/github-token`
 * secret; undefined while the secret holds no value. Octokit is required, and the Secrets Manager client made, on the
 * first call, not at module load: a function that needs GitHub only for
 * some events keeps both off its cold start. (A require, not import():
 * esbuild bundles the module so that it runs when first required.)
 */
export function gitHubClientFromSecret(
  secretArn: string,
  secrets: () => SecretsManagerClient,
  settings: GitHubClientSettings,
): GitHubClientForRepository {
  let source: GitHubClientForRepository | undefined;
  return (repository) => {
    source ??= loadClientModule().gitHubClientSource(secretsManagerGitHubCredentials(secretArn, secrets()), settings);
    return source(repository);
  };
}

const loadClientModule = (): typeof import("./client") => require("./client");
