import type { PushEvent } from "../shared/events";
import { pathFilter } from "../shared/globs";
import type { RepositoryEntry, ServiceEntry } from "../shared/repositories";

/**
 * Pure routing decisions for a push: whether it deploys at all, where its
 * changed files come from, and which services' pipelines it starts.
 */

/** The `before` of a push that created the branch (and the `after` of one that deleted it). */
export const ZERO_SHA = "0".repeat(40);

export type PushDecision = { kind: "skip"; reason: string } | { kind: "route" };

/**
 * Whether a push to `repository` (its catalog entry) deploys: only pushes
 * that move that repository's main branch do.
 */
export function decidePush(push: PushEvent, repository: Pick<RepositoryEntry, "repository" | "mainBranch">): PushDecision {
  const mainRef = `refs/heads/${repository.mainBranch}`;
  if (push.repository.toLowerCase() !== repository.repository.toLowerCase()) {
    return { kind: "skip", reason: `the push is to ${push.repository}, not to ${repository.repository}` };
  }
  if (push.ref.startsWith("refs/tags/")) {
    return { kind: "skip", reason: `${push.ref} is a tag; only pushes to ${mainRef} deploy` };
  }
  if (push.ref !== mainRef) {
    return { kind: "skip", reason: `${push.ref} is not ${mainRef}; only pushes to the main branch of ${repository.repository} deploy` };
  }
  if (push.deleted) {
    return { kind: "skip", reason: `${mainRef} was deleted; there is no commit to deploy` };
  }
  return { kind: "route" };
}

/** Where the changed files of a routed push come from. */
export type FileListSource =
  | { kind: "event"; files: readonly string[] }
  | { kind: "compare"; before: string; after: string; why: string }
  | { kind: "unknown"; reason: string };

export function fileListSource(push: PushEvent): FileListSource {
  const why: string[] = [];
  if (push.truncated) why.push("the push carries more commits or files than the event lists");
  if (push.forced) why.push("it was a force push, so the listed commits do not show what was replaced");
  if (push.created) why.push("it created the branch");
  if (push.before === ZERO_SHA) {
    return { kind: "unknown", reason: `${push.ref} has no previous commit to compare with (${why.join("; ") || "before is all zeros"})` };
  }
  // A push that moves the branch but names no file is suspicious (a payload
  // without commit file lists); asking GitHub costs one call and cannot skip a deploy.
  if (why.length === 0 && push.changedFiles.length === 0 && push.before !== push.after) {
    why.push("the push moved the branch but lists no changed file");
  }
  if (why.length === 0) return { kind: "event", files: push.changedFiles };
  return { kind: "compare", before: push.before, after: push.after, why: why.join("; ") };
}

/** The changed files of a push, or why they cannot all be known. */
export type ChangedFiles = { complete: true; files: readonly string[] } | { complete: false; reason: string };

/** The services with at least one changed path that passes their include and exclude globs. */
export function matchingServices(services: readonly ServiceEntry[], files: readonly string[]): ServiceEntry[] {
  return services.filter((service) => {
    const belongs = pathFilter(service.include, service.exclude);
    return files.some(belongs);
  });
}

export interface StartPlan {
  services: readonly ServiceEntry[];
  /** True when every pipeline starts because the changed files are not fully known. */
  everything: boolean;
  reason: string;
}

/**
 * Which of a repository's services a routed push starts. Unknown changes
 * start all of them: a deploy is never skipped silently.
 */
export function planStarts(services: readonly ServiceEntry[], changes: ChangedFiles): StartPlan {
  if (!changes.complete) {
    return {
      services,
      everything: true,
      reason: `the changed files are not fully known (${changes.reason}), so every service's pipeline of the repository starts`,
    };
  }
  const matched = matchingServices(services, changes.files);
  const reason =
    matched.length === 0
      ? `none of the ${changes.files.length} changed file(s) belongs to a service`
      : `${changes.files.length} changed file(s) belong to ${matched.map((s) => s.name).join(", ")}`;
  return { services: matched, everything: false, reason };
}
