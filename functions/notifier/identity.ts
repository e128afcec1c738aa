import type { RepositoryCatalog, RepositoryEntry } from "../shared/repositories";

/**
 * Which repository, which service and which pull request (if any) a platform
 * pipeline belongs to, by the repository catalog. Pure: the tags come from aws.ts.
 */

/** The tags the pr-pipelines function puts on every pull request pipeline (functions/pr-pipelines/clone.ts). */
export const PR_TAG_KEYS = {
  repository: "pipewright:repository",
  pullRequest: "pipewright:pull-request",
  headSha: "pipewright:head-sha",
  basePipeline: "pipewright:base-pipeline",
  preview: "pipewright:preview",
} as const;

export interface PipelineIdentity {
  pipeline: string;
  /**
   * The configured repository the pipeline builds: its main pipeline's, or
   * for a pull request pipeline its base pipeline's (else its repository tag's,
   * when that repository is configured). Undefined when neither ties it to one.
   */
  repository?: RepositoryEntry;
  /** The service's name; undefined when the pipeline is not a main pipeline of the catalog or a clone of one. */
  service?: string;
  /** True for a service's main pipeline (it builds the main branch). */
  isMain: boolean;
  /** For a pull request pipeline. */
  pullRequest?: number;
  /** The main pipeline a pull request pipeline was cloned from. */
  basePipeline?: string;
  /** The pull request's head commit as the tag last recorded it. */
  headShaTag?: string;
  /** False for a pull request pipeline that deploys no preview (its service has `preview: false`); undefined when not tagged. */
  deploysPreview?: boolean;
}

const PR_SUFFIX = /^(.+)-pr-(\d+)$/;

function positiveInteger(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,9}$/.test(value.trim())) return undefined;
  const number = Number(value.trim());
  return number > 0 ? number : undefined;
}

/**
 * The identity of a pipeline: a main pipeline of the catalog by name; a pull
 * request pipeline by its tags (pull request number, base pipeline), else by
 * its `<base>-pr-<n>` name (names shortened with a hash need the tags); its
 * repository and service are its base pipeline's.
 * `tags` is undefined when they could not be read.
 */
export function identifyPipeline(pipeline: string, catalog: RepositoryCatalog, tags: Readonly<Record<string, string>> | undefined): PipelineIdentity {
  const main = catalog.ownerOfPipeline(pipeline);
  if (main !== undefined) return { pipeline, repository: main.repository, service: main.service.name, isMain: true };

  const byName = PR_SUFFIX.exec(pipeline);
  const pullRequest = positiveInteger(tags?.[PR_TAG_KEYS.pullRequest]) ?? positiveInteger(byName?.[2]);
  const basePipeline = tags?.[PR_TAG_KEYS.basePipeline] || byName?.[1];
  const headShaTag = tags?.[PR_TAG_KEYS.headSha] || undefined;
  if (pullRequest === undefined) return { pipeline, isMain: false };
  const base = basePipeline === undefined ? undefined : catalog.ownerOfPipeline(basePipeline);
  const taggedRepository = tags?.[PR_TAG_KEYS.repository];
  const repository = base?.repository ?? (taggedRepository ? catalog.get(taggedRepository) : undefined);
  const previewTag = tags?.[PR_TAG_KEYS.preview];
  const deploysPreview = previewTag === "true" ? true : previewTag === "false" ? false : undefined;
  return {
    pipeline,
    isMain: false,
    pullRequest,
    basePipeline,
    repository,
    service: base?.service.name,
    headShaTag,
    ...(deploysPreview === undefined ? {} : { deploysPreview }),
  };
}

/** Whether identifying the pipeline needs its tags: not for a main pipeline of the catalog. */
export function needsTags(pipeline: string, catalog: RepositoryCatalog): boolean {
  return catalog.ownerOfPipeline(pipeline) === undefined;
}
