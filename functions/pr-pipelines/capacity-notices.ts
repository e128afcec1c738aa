import type { PullRequestEvent } from "../shared/events";
import { splitRepository } from "../shared/github/repository";
import type { PrLogger } from "./apply";
import type { Reservation } from "./capacity";
import { bounded, errorOf, fixFor, type GitHubNoticesOptions, gitHubClientForNotice, NEXT_EVENT, PERMISSIONS } from "./fork-approval";

/**
 * What a pull request over the cap waits for, shown on GitHub: a
 * `pipewright/capacity` commit status on its head, pending while it waits
 * (why, and what happens next), success once its pipelines are created.
 * GitHub failures are logged, never thrown: the wait is recorded in the
 * ledger whether or not GitHub shows it.
 */

export const CAPACITY_CONTEXT = "pipewright/capacity";

export type CapacityWait = Exclude<Reservation, { kind: "reserved" }>;

export interface CapacityNotices {
  /** The pull request got no pipelines now: a pending status saying why. */
  waiting(pr: PullRequestEvent, wait: CapacityWait): Promise<void>;
  /** The pull request waited and now has its pipelines: a success status. */
  granted(pr: PullRequestEvent): Promise<void>;
}

/** The pending status's description: the cap, how many are in use, and what happens next. */
export function waitingDescription(wait: CapacityWait): string {
  if (wait.kind === "too-large") {
    return bounded(`Needs ${wait.needed} pipelines, more than the cap of ${wait.limit} pull request pipelines; raise limits.maxPullRequestPipelines`);
  }
  const queue = wait.ahead === 0 ? "first in line" : `${wait.ahead} ahead`;
  return bounded(`Waiting: ${wait.inUse} of ${wait.limit} pull request pipelines in use (the cap). Created when others close (${queue})`);
}

export const GRANTED_DESCRIPTION = "Room under the cap: the pull request pipelines were created";

function about(pr: PullRequestEvent): Record<string, unknown> {
  return { repository: pr.repository, pullRequest: pr.number, headSha: pr.headSha, deliveryId: pr.deliveryId, context: CAPACITY_CONTEXT };
}

/** When the function has no GitHub token secret: one log line per notice. */
export function capacityNotShown(logger: PrLogger): CapacityNotices {
  const fix = `deploy the function through the pipewright stacks (they set GITHUB_TOKEN_SECRET_ARN) and store a token with ${PERMISSIONS}`;
  return {
    async waiting(pr, wait) {
      logger.warn(`Not shown on GitHub: pull request #${pr.number} waits for capacity`, {
        ...about(pr),
        description: waitingDescription(wait),
        reason: "GITHUB_TOKEN_SECRET_ARN is not set",
        fix,
      });
    },
    async granted(pr) {
      logger.warn(`Not shown on GitHub: pull request #${pr.number} got its pipelines after waiting`, {
        ...about(pr),
        reason: "GITHUB_TOKEN_SECRET_ARN is not set",
        fix,
      });
    },
  };
}

/** The capacity status on GitHub, through the shared client. */
export class GitHubCapacityNotices implements CapacityNotices {
  constructor(private readonly options: GitHubNoticesOptions) {}

  async waiting(pr: PullRequestEvent, wait: CapacityWait): Promise<void> {
    await this.setStatus(pr, "pending", waitingDescription(wait));
  }

  async granted(pr: PullRequestEvent): Promise<void> {
    await this.setStatus(pr, "success", GRANTED_DESCRIPTION);
  }

  private async setStatus(pr: PullRequestEvent, state: "pending" | "success", description: string): Promise<void> {
    const { logger } = this.options;
    const client = await gitHubClientForNotice(this.options, pr, `${CAPACITY_CONTEXT} ${state}: ${description}`, about(pr));
    if (client === undefined) return;
    try {
      await client.request("POST /repos/{owner}/{repo}/statuses/{sha}", {
        ...splitRepository(pr.repository),
        sha: pr.headSha,
        state,
        context: CAPACITY_CONTEXT,
        description,
        ...(pr.htmlUrl === undefined ? {} : { target_url: pr.htmlUrl }),
      });
      logger.info(`Set ${CAPACITY_CONTEXT} to ${state}`, { ...about(pr), description });
    } catch (error) {
      logger.warn(`Could not set ${CAPACITY_CONTEXT} to ${state} on commit ${pr.headSha.slice(0, 7)}`, {
        ...about(pr),
        error: errorOf(error),
        fix: fixFor(error, pr.repository, '"Commit statuses: write"', NEXT_EVENT),
      });
    }
  }
}
