// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import { htmlUrlSchema, MAX_CHANGED_FILES, pullRequestEventSchema, pushEventSchema, type PullRequestEvent, type PushEvent } from "../shared/events";
import { repositorySchema } from "../shared/github/repository";
import { MalformedDeliveryError } from "./errors";

/**
 * Turns GitHub webhook payloads into the bounded bus events of
 * functions/shared/events.ts. Only the fields read here are validated; the
 * rest of GitHub's payload is ignored (and never leaves this function).
 */

const sha = z.string().regex(/^[0-9a-f]{40}$/, "expected a 40-digit lowercase hex commit id");
const repositoryRef = z.object({
  full_name: repositorySchema,
});
/** Present in deliveries of a GitHub App's webhook; repository and organization webhooks leave it out. */
const installationRef = z.object({ id: z.number().int().positive() }).nullish();

/** The parts of a `pull_request` payload we read. */
export const pullRequestPayloadSchema = z.object({
  action: z.string().min(1),
  number: z.number().int().positive(),
  repository: repositoryRef,
  installation: installationRef,
  label: z.object({ name: z.string() }).nullish(),
  pull_request: z.object({
    // Not validated here: an unusable page URL is left out of the event, not a reason to refuse the delivery.
    html_url: z.string().nullish(),
    updated_at: z.iso.datetime({ offset: true }),
    // Older GitHub Enterprise Server versions omit `draft`; `merged` can be null.
    draft: z.boolean().nullish(),
    merged: z.boolean().nullish(),
    labels: z.array(z.object({ name: z.string() })).nullish(),
    head: z.object({
      ref: z.string().min(1),
      sha,
      // null when the fork the pull request came from was deleted.
      repo: repositoryRef.nullable(),
    }),
    base: z.object({ ref: z.string().min(1), repo: repositoryRef }),
  }),
});

const pathList = z.array(z.string());

/** The parts of a `push` payload we read. */
export const pushPayloadSchema = z.object({
  ref: z.string().min(1),
  before: sha,
  after: sha,
  forced: z.boolean(),
  created: z.boolean(),
  deleted: z.boolean(),
  installation: installationRef,
  // Push payloads carry pushed_at as epoch seconds (other events as an ISO
  // string); the push router orders the pushes of a branch by it.
  repository: repositoryRef.extend({
    pushed_at: z
      .number({ error: "expected the push time in epoch seconds (a number), as GitHub sends in push payloads" })
      .int({ error: "expected whole epoch seconds" })
      .positive({ error: "expected epoch seconds after 1970" }),
  }),
  commits: z.array(
    z.object({
      // Absent when GitHub left the file lists out of a commit.
      added: pathList.optional(),
      modified: pathList.optional(),
      removed: pathList.optional(),
    }),
  ),
});

/** The part every payload we handle shares: the repository it is about. */
export const repositoryEnvelopeSchema = z.object({ repository: repositoryRef });

/**
 * GitHub includes file lists for at most this many commits of a push.
 * A push listing this many may have had more.
 */
export const LISTED_COMMITS_LIMIT = 20;

/**
 * Budget for `changedFiles` in serialized bytes. EventBridge takes at most
 * 256 KB per entry (source, detail type and detail together); paths may be up
 * to 4 KB each, so the count cap alone does not bound the size.
 */
export const CHANGED_FILES_BUDGET_BYTES = 200 * 1024;

/** Where `head.repo` is null: the fork was deleted. */
export const DELETED_FORK = "(deleted fork)";

/** Validates `payload` with `schema`; a failure names the first bad field, never its value. */
export function validatePayload<T>(schema: z.ZodType<T>, payload: unknown, event: string): T {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue && issue.path.length > 0 ? issue.path.join(".") : "(root)";
  throw new MalformedDeliveryError(`The ${event} payload is not valid at ${path}: ${issue?.message ?? "invalid"}`, {
    cause: result.error,
  });
}

function sameRepository(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Normalizes a validated pull_request payload. */
export function normalizePullRequest(payload: z.infer<typeof pullRequestPayloadSchema>, deliveryId: string): PullRequestEvent {
  const pr = payload.pull_request;
  const headRepository = pr.head.repo?.full_name;
  const event: PullRequestEvent = {
    deliveryId,
    repository: payload.repository.full_name,
    number: payload.number,
    action: payload.action,
    headRef: pr.head.ref,
    headSha: pr.head.sha,
    headRepository: headRepository ?? DELETED_FORK,
    baseRef: pr.base.ref,
    updatedAt: pr.updated_at,
    fromFork: headRepository === undefined || !sameRepository(headRepository, pr.base.repo.full_name),
    draft: pr.draft ?? false,
    merged: pr.merged ?? false,
    labels: (pr.labels ?? []).map((label) => label.name),
  };
  if (payload.label) event.label = payload.label.name;
  if (payload.installation) event.installationId = payload.installation.id;
  const htmlUrl = htmlUrlSchema.safeParse(pr.html_url);
  if (htmlUrl.success) event.htmlUrl = htmlUrl.data;
  // The contract is the bus's: check it holds, whatever GitHub sent.
  return validatePayload(pullRequestEventSchema, event, "pull_request");
}

/** The de-duplicated union of the listed file lists, bounded in count and bytes. */
export function collectChangedFiles(commits: z.infer<typeof pushPayloadSchema>["commits"]): {
  changedFiles: string[];
  complete: boolean;
} {
  const files = new Set<string>();
  let bytes = 0;
  let complete = true;
  for (const commit of commits) {
    if (commit.added === undefined || commit.modified === undefined || commit.removed === undefined) complete = false;
    for (const path of [...(commit.added ?? []), ...(commit.modified ?? []), ...(commit.removed ?? [])]) {
      if (files.has(path)) continue;
      const cost = Buffer.byteLength(JSON.stringify(path), "utf8") + 1;
      if (files.size >= MAX_CHANGED_FILES || bytes + cost > CHANGED_FILES_BUDGET_BYTES) {
        return { changedFiles: [...files], complete: false };
      }
      files.add(path);
      bytes += cost;
    }
  }
  return { changedFiles: [...files], complete };
}

/** Normalizes a validated push payload. */
export function normalizePush(payload: z.infer<typeof pushPayloadSchema>, deliveryId: string): PushEvent {
  const { changedFiles, complete } = collectChangedFiles(payload.commits);
  // The listed files describe before...after only when GitHub listed every
  // commit with its files, the push did not rewrite history and did not
  // create the ref (a new ref lists only commits new to the repository).
  const truncated = !complete || payload.commits.length >= LISTED_COMMITS_LIMIT || payload.forced || payload.created;
  const event: PushEvent = {
    deliveryId,
    repository: payload.repository.full_name,
    ref: payload.ref,
    before: payload.before,
    after: payload.after,
    forced: payload.forced,
    created: payload.created,
    deleted: payload.deleted,
    changedFiles,
    truncated,
    pushedAt: payload.repository.pushed_at,
  };
  if (payload.installation) event.installationId = payload.installation.id;
  return validatePayload(pushEventSchema, event, "push");
}
