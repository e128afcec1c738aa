// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";

/**
 * The events the webhook puts on the GitHub bus. They are normalized and
 * bounded (EventBridge takes at most 256 KB an entry; GitHub sends up to
 * 25 MB), and they are the contract between the webhook and the functions
 * behind the bus rules.
 */
export const EVENT_SOURCE = "pipewright.github";

/** At most this many changed paths travel on the bus; beyond it `truncated` is set. */
export const MAX_CHANGED_FILES = 1000;

const sha = z.string().regex(/^[0-9a-f]{40}$/);

/** The GitHub App installation a delivery came through; only App deliveries carry one. */
const installationId = z.number().int().positive().optional();

/** Longest pull request page URL that travels on the bus: room for GitHub's longest owner and repository names, bounded. */
export const MAX_HTML_URL_LENGTH = 512;

/** A pull request's page on GitHub (github.com or an Enterprise Server). */
export const htmlUrlSchema = z.url({ protocol: /^https?$/ }).max(MAX_HTML_URL_LENGTH);

export const pullRequestEventSchema = z.object({
  /** X-GitHub-Delivery of the webhook delivery. */
  deliveryId: z.string().min(1),
  /** owner/name of the base repository. */
  repository: z.string().min(3),
  number: z.number().int().positive(),
  /** GitHub's action: opened, reopened, ready_for_review, synchronize, closed, labeled, ... */
  action: z.string().min(1),
  /** Branch name of the head, e.g. "feature/login" (never cut at "/"). */
  headRef: z.string().min(1),
  headSha: sha,
  /** owner/name of the head repository; differs from `repository` for forks. */
  headRepository: z.string().min(1),
  baseRef: z.string().min(1),
  /** The pull request's updated_at: orders deliveries of the same PR. */
  updatedAt: z.iso.datetime({ offset: true }),
  fromFork: z.boolean(),
  draft: z.boolean(),
  merged: z.boolean(),
  labels: z.array(z.string()),
  /** For `labeled`/`unlabeled`: the label added or removed. */
  label: z.string().optional(),
  /** The pull request's page; absent from events put on the bus before it was added, and from the reconciler's. */
  htmlUrl: htmlUrlSchema.optional(),
  installationId,
});
export type PullRequestEvent = z.infer<typeof pullRequestEventSchema>;

export const pushEventSchema = z.object({
  deliveryId: z.string().min(1),
  repository: z.string().min(3),
  /** Full ref, e.g. refs/heads/main or refs/tags/v1. */
  ref: z.string().min(1),
  before: sha,
  after: sha,
  forced: z.boolean(),
  created: z.boolean(),
  deleted: z.boolean(),
  /** Paths added, modified or removed by the listed commits (at most MAX_CHANGED_FILES). */
  changedFiles: z.array(z.string()),
  /** The payload's file lists may be incomplete: compare before...after instead. */
  truncated: z.boolean(),
  /** When GitHub received the push (the payload's repository.pushed_at), epoch seconds: orders pushes of one branch. */
  pushedAt: z.number().int().positive(),
  installationId,
});
export type PushEvent = z.infer<typeof pushEventSchema>;

export const DETAIL_TYPES = { pullRequest: "pull_request", push: "push" } as const;
