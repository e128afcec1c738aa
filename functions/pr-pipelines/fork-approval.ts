import type { PullRequestEvent } from "../shared/events";
import type { GitHubClient } from "../shared/github/client";
import { gitHubStatusOf } from "../shared/github/errors";
import { splitRepository } from "../shared/github/repository";
import type { PrLogger } from "./apply";
import type { Plan } from "./plan";

/**
 * What a fork's pull request waits for, shown on GitHub. The fork label
 * approves exactly the head commit it was put on (plan.ts, state.ts); this
 * module tells the maintainers: a `pipewright/fork-approval` commit status on
 * the head (pending while it waits, success once approved), and the label
 * taken off a head it did not approve, so that adding it again sends the
 * `labeled` event that approves the new head. GitHub failures are logged,
 * never thrown: the pipelines' safety does not depend on them, and retrying
 * the event would not help.
 */

/** The commit status context of the fork approval. */
export const FORK_APPROVAL_CONTEXT = "pipewright/fork-approval";

/** GitHub refuses longer commit status descriptions. */
export const MAX_STATUS_DESCRIPTION_LENGTH = 140;

/** Shows what a fork's head waits for. Implementations never throw. */
export interface ForkApprovalNotices {
  /** The head waits for a maintainer: a pending status, and the label removed if the event still shows it. */
  awaiting(pr: PullRequestEvent, forkLabel: string): Promise<void>;
  /** The label approved the head: a success status. */
  approved(pr: PullRequestEvent, forkLabel: string): Promise<void>;
}

const short = (sha: string): string => sha.slice(0, 7);

export function bounded(description: string): string {
  return description.length <= MAX_STATUS_DESCRIPTION_LENGTH ? description : `${description.slice(0, MAX_STATUS_DESCRIPTION_LENGTH - 1)}…`;
}

export function awaitingDescription(headSha: string, forkLabel: string): string {
  return bounded(`Waiting for a maintainer to review ${short(headSha)} and add the "${forkLabel}" label`);
}

export function approvedDescription(headSha: string, forkLabel: string): string {
  return bounded(`Approved for ${short(headSha)} by the "${forkLabel}" label`);
}

/** Shows on GitHub what the event decided about a fork's head: waiting, or approved. */
export async function showForkApproval(pr: PullRequestEvent, plan: Plan, outcome: string, notices: ForkApprovalNotices): Promise<void> {
  if (plan.kind === "skip") {
    if (plan.awaitingApproval !== undefined) await notices.awaiting(pr, plan.awaitingApproval.forkLabel);
  } else if (outcome === "awaiting-approval") {
    await notices.awaiting(pr, plan.forkLabel);
  } else if (plan.kind === "create" && plan.forkApproval === "record" && outcome === "ran") {
    await notices.approved(pr, plan.forkLabel);
  }
}

function about(pr: PullRequestEvent): Record<string, unknown> {
  return { repository: pr.repository, pullRequest: pr.number, headSha: pr.headSha, deliveryId: pr.deliveryId, context: FORK_APPROVAL_CONTEXT };
}

function whatWaits(pr: PullRequestEvent, forkLabel: string): string {
  return `commit ${short(pr.headSha)} of pull request #${pr.number} waits for a maintainer to add the "${forkLabel}" label`;
}

function whatIsApproved(pr: PullRequestEvent, forkLabel: string): string {
  return `the "${forkLabel}" label approved commit ${short(pr.headSha)} of pull request #${pr.number}`;
}

export const PERMISSIONS =
  '"Commit statuses: write" and "Pull requests: write" (or "Issues: write") on the repository, as README.md "Connecting GitHub" lists';

/** When the function has no GitHub token secret at all: one log line per notice. */
export function forkApprovalNotShown(logger: PrLogger): ForkApprovalNotices {
  const fix =
    "deploy the function through the pipewright stacks (they set GITHUB_TOKEN_SECRET_ARN) " +
    `and store a token with ${PERMISSIONS} in the <project>/github-token secret`;
  const reason = "GITHUB_TOKEN_SECRET_ARN is not set";
  return {
    async awaiting(pr, forkLabel) {
      logger.warn(`Not shown on GitHub: ${whatWaits(pr, forkLabel)}`, { ...about(pr), reason, fix });
    },
    async approved(pr, forkLabel) {
      logger.warn(`Not shown on GitHub: ${whatIsApproved(pr, forkLabel)}`, { ...about(pr), reason, fix });
    },
  };
}

export function errorOf(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  return { name: error.name, message: error.message, status: gitHubStatusOf(error) };
}

function isRateLimit(error: unknown): boolean {
  return gitHubStatusOf(error) === 429 || (error instanceof Error && /rate limit/i.test(error.message));
}

/** The fix for a failed GitHub call; `permission` is what a 403 other than a rate limit means is missing. */
export function fixFor(error: unknown, repository: string, permission: string, otherwise: string): string {
  const status = gitHubStatusOf(error);
  if (isRateLimit(error)) return `GitHub's rate limit is spent; ${otherwise}`;
  if (status === 401) return "the credentials in the GitHub token secret are invalid or expired; replace them";
  if (status === 403) return `give the token (or the GitHub App) ${permission} on ${repository}`;
  if (status === 404) return `check that the token (or the GitHub App installation) can see ${repository}`;
  if (status === 422) return "GitHub refused the call: the commit may no longer be in the pull request";
  return `GitHub may be unavailable; ${otherwise}`;
}

export const NEXT_EVENT = "the next event of the pull request tries again";

/** What the GitHub notices of pull requests (fork approval, capacity) are built from. */
export interface GitHubNoticesOptions {
  /** The client for a repository with the configured credentials; undefined while the secret holds no value. */
  readonly client: (repository: string) => Promise<GitHubClient | undefined>;
  /** ARN of the GitHub token secret, named in log lines. */
  readonly secretArn: string;
  readonly logger: PrLogger;
}

/** The notices on GitHub, through the shared client. */
export class GitHubForkApprovalNotices implements ForkApprovalNotices {
  constructor(private readonly options: GitHubNoticesOptions) {}

  async awaiting(pr: PullRequestEvent, forkLabel: string): Promise<void> {
    const client = await gitHubClientForNotice(this.options, pr, whatWaits(pr, forkLabel), about(pr));
    if (client === undefined) return;
    await Promise.all([
      this.setStatus(client, pr, "pending", awaitingDescription(pr.headSha, forkLabel)),
      pr.labels.includes(forkLabel) ? this.removeLabel(client, pr, forkLabel) : undefined,
    ]);
  }

  async approved(pr: PullRequestEvent, forkLabel: string): Promise<void> {
    const client = await gitHubClientForNotice(this.options, pr, whatIsApproved(pr, forkLabel), about(pr));
    if (client === undefined) return;
    await this.setStatus(client, pr, "success", approvedDescription(pr.headSha, forkLabel));
  }

  private async setStatus(client: GitHubClient, pr: PullRequestEvent, state: "pending" | "success", description: string): Promise<void> {
    try {
      await client.request("POST /repos/{owner}/{repo}/statuses/{sha}", {
        ...splitRepository(pr.repository),
        sha: pr.headSha,
        state,
        context: FORK_APPROVAL_CONTEXT,
        description,
        ...(pr.htmlUrl === undefined ? {} : { target_url: pr.htmlUrl }),
      });
      this.options.logger.info(`Set ${FORK_APPROVAL_CONTEXT} to ${state}`, { ...about(pr), description });
    } catch (error) {
      this.options.logger.warn(`Could not set ${FORK_APPROVAL_CONTEXT} to ${state} on commit ${short(pr.headSha)}`, {
        ...about(pr),
        error: errorOf(error),
        fix: fixFor(error, pr.repository, '"Commit statuses: write"', NEXT_EVENT),
      });
    }
  }

  private async removeLabel(client: GitHubClient, pr: PullRequestEvent, forkLabel: string): Promise<void> {
    const { logger } = this.options;
    try {
      await client.request("DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", {
        ...splitRepository(pr.repository),
        issue_number: pr.number,
        name: forkLabel,
      });
      logger.info(`Removed the "${forkLabel}" label, which does not approve ${short(pr.headSha)}; adding it again does`, about(pr));
    } catch (error) {
      const status = gitHubStatusOf(error);
      if (status === 404) {
        logger.info(`The "${forkLabel}" label is already gone`, about(pr));
        return;
      }
      const missingPermission = status === 403 && !isRateLimit(error);
      logger.warn(
        missingPermission
          ? `Could not remove the "${forkLabel}" label: the GitHub credentials lack "Pull requests: write" (or "Issues: write")`
          : `Could not remove the "${forkLabel}" label`,
        {
          ...about(pr),
          error: errorOf(error),
          fix: fixFor(
            error,
            pr.repository,
            '"Pull requests: write" (or "Issues: write")',
            `meanwhile a maintainer removes the label and adds it again to approve ${short(pr.headSha)}`,
          ),
        },
      );
    }
  }
}

/** The GitHub client for a notice on `pr`'s repository, or undefined (and one log line with the fix) when there is none. */
export async function gitHubClientForNotice(
  options: GitHubNoticesOptions,
  pr: PullRequestEvent,
  what: string,
  details: Record<string, unknown>,
): Promise<GitHubClient | undefined> {
  const { logger, secretArn } = options;
  try {
    const client = await options.client(pr.repository);
    if (client === undefined) {
      logger.warn(`Not shown on GitHub: ${what}`, {
        ...details,
        reason: `the GitHub token secret ${secretArn} holds no value`,
        fix: `store a token with ${PERMISSIONS} in it`,
      });
    }
    return client;
  } catch (error) {
    logger.warn(`Not shown on GitHub: ${what}`, {
      ...details,
      error: errorOf(error),
      fix:
        gitHubStatusOf(error) === undefined
          ? `check that the function may read ${secretArn} and that it holds usable credentials`
          : fixFor(error, pr.repository, "access", NEXT_EVENT),
    });
    return undefined;
  }
}
