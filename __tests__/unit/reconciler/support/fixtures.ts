import type { ReconcilerConfig } from "../../../../functions/reconciler/config";
import type { PrPipeline } from "../../../../functions/reconciler/discover";
import type { GitHubPullRequest } from "../../../../functions/reconciler/github";
import { ARTIFACT_BUCKET, DEV_ACCOUNT, HEAD_SHA, identities, REPOSITORY, repositories } from "../../pr-pipelines/support/fixtures";

export { ARTIFACT_BUCKET, DEV_ACCOUNT, HEAD_SHA, identities, REPOSITORY };

export const NOW = new Date("2025-06-01T12:00:00Z");
export const DAY = 24 * 60 * 60 * 1000;
export const daysAgo = (days: number): Date => new Date(NOW.getTime() - days * DAY);
export const iso = (date: Date): string => date.toISOString().replace(/\.000Z$/, "Z");

export const BASES = ["pipewright-orders", "pipewright-payments"] as const;
export const BUS = "pipewright-github";
export const CLEANUP_ROLE = `arn:aws:iam::${DEV_ACCOUNT}:role/pipewright-preview-cleanup`;
export const FORK_LABEL = "safe-to-test";

export const config: ReconcilerConfig = {
  repositories,
  stateTable: "pipewright-pr-state",
  maxPullRequestPipelines: 300,
  eventBusName: BUS,
  artifactBucket: ARTIFACT_BUCKET,
  previewCleanupRoleArn: CLEANUP_ROLE,
  githubTokenSecretArn: "arn:aws:secretsmanager:eu-west-1:111111111111:secret:pipewright/github-token-AbCdEf",
  githubApiUrl: "https://api.github.com",
  idleDays: 14,
  createMissing: true,
  dryRun: false,
};

export interface PullOptions {
  state?: "open" | "closed";
  merged?: boolean;
  draft?: boolean;
  updatedAt?: Date;
  labels?: string[];
  /** owner/name of the head repository; null for a deleted fork. */
  headRepository?: string | null;
  headRef?: string;
  headSha?: string;
}

/** A pull request as GitHub's REST API returns it (the fields the reconciler reads, and a few it does not). */
export function restPull(number: number, options: PullOptions = {}): Record<string, unknown> {
  const headRepository = options.headRepository === undefined ? REPOSITORY : options.headRepository;
  return {
    url: `https://api.github.com/repos/${REPOSITORY}/pulls/${number}`,
    number,
    state: options.state ?? "open",
    title: `Change ${number}`,
    user: { login: "octocat" },
    draft: options.draft ?? false,
    merged: options.merged ?? false,
    updated_at: iso(options.updatedAt ?? daysAgo(1)),
    labels: (options.labels ?? []).map((name) => ({ name, color: "ededed" })),
    head: {
      ref: options.headRef ?? `feature/change-${number}`,
      sha: options.headSha ?? HEAD_SHA,
      repo: headRepository === null ? null : { full_name: headRepository },
    },
    base: { ref: "main", sha: "f".repeat(40), repo: { full_name: REPOSITORY } },
  };
}

/** The same pull request as GitHubPullRequests reports it. */
export function githubPull(number: number, options: PullOptions = {}): GitHubPullRequest {
  const headRepository = options.headRepository === undefined ? REPOSITORY : options.headRepository;
  return {
    repository: REPOSITORY,
    number,
    state: options.state ?? "open",
    headRef: options.headRef ?? `feature/change-${number}`,
    headSha: options.headSha ?? HEAD_SHA,
    headRepository: headRepository ?? "(deleted fork)",
    baseRef: "main",
    updatedAt: iso(options.updatedAt ?? daysAgo(1)),
    fromFork: headRepository === null || headRepository.toLowerCase() !== REPOSITORY.toLowerCase(),
    draft: options.draft ?? false,
    merged: options.merged ?? false,
    labels: options.labels ?? [],
  };
}

/** A discovered pull request pipeline. */
export function prPipeline(base: string, number: number, extra: Partial<PrPipeline> = {}): PrPipeline {
  const name = `${base}-pr-${number}`;
  return {
    name,
    arn: `arn:aws:codepipeline:eu-west-1:111111111111:${name}`,
    basePipeline: base,
    repository: REPOSITORY,
    number,
    headSha: HEAD_SHA,
    ...extra,
  };
}
