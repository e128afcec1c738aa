import { GitHubBudget } from "../shared/github/budget";
import type { GitHubClientForRepository } from "../shared/github/client";
import { GitHubCallError } from "../shared/github/errors";
import { splitRepository } from "../shared/github/repository";
import type { ChannelOutcome, CommitStatusSender } from "./channels";
import type { CommitStatus } from "./commit-status";

/**
 * GitHub commit statuses (POST /repos/{owner}/{repo}/statuses/{sha}) in the
 * status's repository, through that repository's shared GitHub client
 * (injected), with a token or as the GitHub App's installation on it, whose
 * tokens the client mints and renews.
 */

/** Time for one status's request and its retries; an App's installation lookup and token are bounded by the request policy alone. */
export const STATUS_BUDGET_MS = 20_000;

const FIXES = {
  permission: '"Commit statuses: write" on the repository',
  unprocessable: "GitHub refused the status: the commit may not be in the repository",
};

export interface GitHubCommitStatusesOptions {
  /** A repository's client for the configured credentials; undefined while the token secret holds no value. */
  readonly client: GitHubClientForRepository;
  /** @default STATUS_BUDGET_MS */
  readonly budgetMs?: number;
}

export class GitHubCommitStatuses implements CommitStatusSender {
  constructor(private readonly options: GitHubCommitStatusesOptions) {}

  /** Sets the status; throws GitHubCallError when GitHub refuses or fails, or the credentials' error when they cannot be read. */
  async send(status: CommitStatus): Promise<ChannelOutcome> {
    const client = await this.options.client(status.repository);
    if (client === undefined) {
      return { status: "skipped", reason: "no GitHub credentials are configured (the GitHub token secret holds no value)" };
    }
    const budget = new GitHubBudget(this.options.budgetMs ?? STATUS_BUDGET_MS);
    try {
      await budget.request(client)("POST /repos/{owner}/{repo}/statuses/{sha}", {
        ...splitRepository(status.repository),
        sha: status.sha,
        state: status.state,
        context: status.context,
        description: status.description,
        ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
      });
    } catch (error) {
      throw new GitHubCallError(
        `Setting ${status.context} to ${status.state} on commit ${status.sha.slice(0, 12)} in ${status.repository}`,
        error,
        FIXES,
        budget,
      );
    }
    return { status: "delivered", detail: `${status.state} on ${status.sha.slice(0, 12)} in ${status.repository}` };
  }
}
