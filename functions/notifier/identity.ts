import type { ServicePipeline } from "./config";

/**
 * Which service and which pull request (if any) a platform pipeline belongs
 * to. Pure: the tags come from aws.ts.
 */

/** The tags the pr-pipelines function puts on every pull request pipeline (functions/pr-pipelines/clone.ts). */
export const PR_TAG_KEYS = {
  repository: "pipewright:repository",
  pullRequest: "pipewright:pull-request",
  headSha: "pipewright:head-sha",
  basePipeline: "pipewright:base-pipeline",
} as const;

export interface PipelineIdentity {
  pipeline: string;
  /** The service's name; undefined when the pipeline is not one of SERVICES' pipelines or a clone of one. */
  service?: string;
  /** True for a service's main pipeline (it builds the main branch). */
  isMain: boolean;
  /** For a pull request pipeline. */
  pullRequest?: number;
  /** The main pipeline a pull request pipeline was cloned from. */
  basePipeline?: string;
  /** The pull request's head commit as the tag last recorded it. */
  headShaTag?: string;
}

const PR_SUFFIX = /^(.+)-pr-(\d+)$/;

function positiveInteger(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,9}$/.test(value.trim())) return undefined;
  const number = Number(value.trim());
  return number > 0 ? number : undefined;
}

/**
 * The identity of a pipeline: a service's main pipeline by name; a pull
 * request pipeline by its tags (pull request number, base pipeline), else by
 * its `<base>-pr-<n>` name (names shortened with a hash need the tags).
 * `tags` is undefined when they could not be read.
 */
export function identifyPipeline(
  pipeline: string,
  services: readonly ServicePipeline[],
  tags: Readonly<Record<string, string>> | undefined,
): PipelineIdentity {
  const serviceOf = (name: string | undefined) => services.find((service) => service.pipeline === name)?.name;
  const main = serviceOf(pipeline);
  if (main !== undefined) return { pipeline, service: main, isMain: true };

  const byName = PR_SUFFIX.exec(pipeline);
  const pullRequest = positiveInteger(tags?.[PR_TAG_KEYS.pullRequest]) ?? positiveInteger(byName?.[2]);
  const basePipeline = tags?.[PR_TAG_KEYS.basePipeline] || byName?.[1];
  const headShaTag = tags?.[PR_TAG_KEYS.headSha] || undefined;
  if (pullRequest === undefined) return { pipeline, isMain: false, service: undefined };
  return { pipeline, isMain: false, pullRequest, basePipeline, service: serviceOf(basePipeline), headShaTag };
}

/** Whether identifying the pipeline needs its tags: not for a service's main pipeline. */
export function needsTags(pipeline: string, services: readonly ServicePipeline[]): boolean {
  return !services.some((service) => service.pipeline === pipeline);
}
