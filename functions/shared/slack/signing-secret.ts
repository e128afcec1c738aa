import { SecretsManagerRotatingSecret, type SecretsManagerRotatingSecretOptions } from "../rotating-secret";
import { SLACK_SIGNING_SECRET_KIND } from "./signature";

/**
 * Reads the Slack signing secret (`<p>/slack-signing-secret`) from Secrets
 * Manager, cached, with rate-limited forced refreshes after a mismatch.
 * Throws SlackSigningSecretUnavailableError naming the secret and the fix.
 */
export class SecretsManagerSlackSigningSecrets extends SecretsManagerRotatingSecret {
  constructor(options: SecretsManagerRotatingSecretOptions) {
    super(options, SLACK_SIGNING_SECRET_KIND);
  }
}
