import { Construct } from "constructs";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import type { ArtifactStore } from "./artifact-store";

export interface GitHubCredentialsProps {
  /** Prefix of the secret names. */
  readonly namePrefix: string;
  /** Encrypts the secrets. */
  readonly store: ArtifactStore;
}

/**
 * The optional GitHub token the functions share: the push router reads
 * compare results, the reconciler reads pull requests, the notifier writes
 * commit statuses, the PR function shows what a fork's pull request waits for
 * (a commit status) and takes the fork label off a head it did not approve.
 * Terraform creates the secret, never its value.
 */
export class GitHubCredentials extends Construct {
  readonly tokenSecret: SecretsmanagerSecret;

  constructor(scope: Construct, id: string, props: GitHubCredentialsProps) {
    super(scope, id);
    this.tokenSecret = new SecretsmanagerSecret(this, "token", {
      name: `${props.namePrefix}/github-token`,
      description:
        "Optional GitHub token (fine-grained: contents read, commit statuses write, pull requests write to remove the fork label; or GitHub App JSON). Without a value, large pushes start every pipeline, the reconciler only removes idle pipelines, no commit statuses are set and the fork label stays on.",
      kmsKeyId: props.store.key.arn,
      recoveryWindowInDays: 7,
    });
  }
}
