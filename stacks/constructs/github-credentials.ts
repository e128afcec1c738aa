import { Construct } from "constructs";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { ArtifactStore } from "./artifact-store";

export interface GitHubCredentialsProps {
  /** Prefix of the secret names. */
  readonly namePrefix: string;
  /** Encrypts the secrets. */
  readonly store: ArtifactStore;
}

/**
 * The optional GitHub token the functions share: the push router reads
 * compare results, the reconciler reads pull requests, the notifier writes
 * commit statuses. Terraform creates the secret, never its value.
 */
export class GitHubCredentials extends Construct {
  readonly tokenSecret: SecretsmanagerSecret;

  constructor(scope: Construct, id: string, props: GitHubCredentialsProps) {
    super(scope, id);
    this.tokenSecret = new SecretsmanagerSecret(this, "token", {
      name: `${props.namePrefix}/github-token`,
      description:
        "Optional GitHub token (fine-grained: contents read, pull requests read, commit statuses write). Without a value, large pushes start every pipeline, the reconciler only removes idle pipelines and no commit statuses are set.",
      kmsKeyId: props.store.key.arn,
      recoveryWindowInDays: 7,
    });
  }
}
