// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import type { PullRequestEvent } from "../shared/events";
import type { GitHubBudget } from "../shared/github/budget";
import type { GitHubClient } from "../shared/github/client";
import { GitHubCallError, gitHubStatusOf } from "../shared/github/errors";
import { splitRepository } from "../shared/github/repository";
import { normalizePullRequest, pullRequestPayloadSchema } from "../webhook/normalize";

/**
 * What the reconciler asks GitHub, through the shared GitHub client: one
 * pull request, the open pull requests, and (to tell a deleted pull request
 * from credentials that cannot see the repository) the repository. Every
 * call of a run shares one budget, so a slow GitHub cannot use up the Lambda
 * timeout before the reconciler applies what it learned.
 */

/** A pull request as GitHub reports it now, in the bus contract's terms. */
export type GitHubPullRequest = Omit<PullRequestEvent, "deliveryId" | "action" | "label"> & {
  readonly state: "open" | "closed";
};

export type PullRequestLookup = { readonly kind: "found"; readonly pullRequest: GitHubPullRequest } | { readonly kind: "not-found" };

/** The questions the reconciler asks GitHub; GitHubPullRequests answers them. */
export interface PullRequestSource {
  /** GET /repos/{owner}/{repo}/pulls/{number}; "not-found" on 404. Throws GitHubCallError or InvalidPullRequestError. */
  pullRequest(number: number): Promise<PullRequestLookup>;
  /** Every open pull request (GET .../pulls?state=open, paged). Throws GitHubCallError or InvalidPullRequestError. */
  openPullRequests(): Promise<GitHubPullRequest[]>;
  /** Whether the credentials can see the repository (200) or not (404). Throws GitHubCallError otherwise. */
  repositoryVisible(): Promise<boolean>;
}

/** Time for all GitHub calls of one run; the run shares its Lambda timeout with the idle removals. */
export const RUN_BUDGET_MS = 120_000;
const PER_PAGE = 100;
/** At most this many pages of open pull requests (10,000): a guard against a server that never ends. */
export const MAX_OPEN_PAGES = 100;

/** GitHub's REST pull request (single and list): the webhook's fields plus number and state. */
const restPullRequestSchema = pullRequestPayloadSchema.shape.pull_request.extend({
  number: z.number().int().positive(),
  state: z.enum(["open", "closed"]),
});

/** GitHub answered with a pull request the reconciler cannot use. */
export class InvalidPullRequestError extends Error {
  constructor(
    readonly what: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`GitHub answered ${what} with ${problem}. Fix: check that GITHUB_API_URL points at GitHub's REST API`, options);
    this.name = "InvalidPullRequestError";
  }
}

const FIXES = { permission: '"Pull requests: read" on the repository' };

export interface GitHubPullRequestsOptions {
  /** owner/name. */
  readonly repository: string;
  readonly client: GitHubClient;
  /** The run's budget, shared by the questions about every repository. */
  readonly budget: GitHubBudget;
}

/** The reconciler's questions about one repository, within the run's budget. */
export class GitHubPullRequests implements PullRequestSource {
  private readonly budget: GitHubBudget;
  private readonly repo: { owner: string; repo: string };

  constructor(private readonly options: GitHubPullRequestsOptions) {
    this.budget = options.budget;
    this.repo = splitRepository(options.repository);
  }

  async pullRequest(number: number): Promise<PullRequestLookup> {
    const operation = `Getting pull request #${number} of ${this.options.repository}`;
    let data: unknown;
    try {
      ({ data } = await this.budget.request(this.options.client)("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
        ...this.repo,
        pull_number: number,
      }));
    } catch (error) {
      if (gitHubStatusOf(error) === 404 && !this.budget.signal.aborted) return { kind: "not-found" };
      throw new GitHubCallError(operation, error, FIXES, this.budget);
    }
    return { kind: "found", pullRequest: this.parse(`pull request #${number}`, data) };
  }

  async openPullRequests(): Promise<GitHubPullRequest[]> {
    const found = new Map<number, GitHubPullRequest>();
    let pages = 0;
    try {
      for await (const page of this.budget.pages(this.options.client, "GET /repos/{owner}/{repo}/pulls", {
        ...this.repo,
        state: "open",
        per_page: PER_PAGE,
      })) {
        if (++pages > MAX_OPEN_PAGES) {
          throw new InvalidPullRequestError("the list of open pull requests", `more than ${MAX_OPEN_PAGES} pages; the list was not used`);
        }
        if (!Array.isArray(page.data)) throw new InvalidPullRequestError("the list of open pull requests", "something that is not a list");
        const known = found.size;
        for (const item of page.data) {
          const pullRequest = this.parse("the list of open pull requests", item);
          if (pullRequest.state === "open") found.set(pullRequest.number, pullRequest);
        }
        // A page of pull requests already seen means the server repeats itself.
        if (page.data.length > 0 && found.size === known) break;
      }
    } catch (error) {
      if (error instanceof InvalidPullRequestError) throw error;
      throw new GitHubCallError(`Listing the open pull requests of ${this.options.repository}`, error, FIXES, this.budget);
    }
    return [...found.values()];
  }

  async repositoryVisible(): Promise<boolean> {
    try {
      await this.budget.request(this.options.client)("GET /repos/{owner}/{repo}", this.repo);
      return true;
    } catch (error) {
      if (gitHubStatusOf(error) === 404 && !this.budget.signal.aborted) return false;
      throw new GitHubCallError(`Getting repository ${this.options.repository}`, error, FIXES, this.budget);
    }
  }

  private parse(what: string, body: unknown): GitHubPullRequest {
    const parsed = restPullRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? issue.path.join(".") : "(root)";
      throw new InvalidPullRequestError(what, `a pull request that is not valid at ${where}: ${issue?.message ?? "invalid"}`);
    }
    const pr = parsed.data;
    // The webhook's normalization, so the reconciler's events are the webhook's
    // (fork detection, deleted forks, draft and merged defaults). The repository
    // is the configured one: GitHub follows renames, pr-pipelines serves this name.
    let event: PullRequestEvent;
    try {
      event = normalizePullRequest(
        { action: "reconcile", number: pr.number, repository: { full_name: this.options.repository }, pull_request: pr },
        "reconciler",
      );
    } catch (error) {
      throw new InvalidPullRequestError(what, `a pull request outside the bus contract: ${(error as Error).message}`, { cause: error });
    }
    return {
      repository: event.repository,
      number: event.number,
      headRef: event.headRef,
      headSha: event.headSha,
      headRepository: event.headRepository,
      baseRef: event.baseRef,
      updatedAt: event.updatedAt,
      fromFork: event.fromFork,
      draft: event.draft,
      merged: event.merged,
      labels: event.labels,
      state: pr.state,
    };
  }
}
