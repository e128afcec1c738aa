import type { Tag } from "@aws-sdk/client-codepipeline";
import { PR_TAG_KEYS } from "../pr-pipelines/clone";
import { prPipelineName } from "../pr-pipelines/names";
import { tagOwnershipProblem } from "../pr-pipelines/ownership";

/**
 * Which pipelines are pull request pipelines of this installation. Pure: the
 * AWS calls are in aws.ts.
 *
 * A pipeline qualifies when its name is exactly `prPipelineName(base, n)` for
 * one of the configured main pipelines (so hash-shortened names are found
 * too), and its tags say the same: `pipewright:repository` is the
 * repository of that main pipeline in the catalog, `pipewright:pull-request` is n and `pipewright:base-pipeline`,
 * when present, is the base. Anything else is left alone.
 */

/** A pull request pipeline pr-pipelines made. */
export interface PrPipeline {
  readonly name: string;
  readonly arn: string;
  readonly basePipeline: string;
  /** owner/name, from the pipewright:repository tag. */
  readonly repository: string;
  readonly number: number;
  /** The pipewright:head-sha tag, when it holds a commit id. */
  readonly headSha?: string;
  /** When the pipeline was created (ListPipelines). */
  readonly created?: Date;
}

export interface NameMatch {
  readonly basePipeline: string;
  readonly number: number;
}

const PR_SUFFIX = /-pr-([1-9]\d{0,14})$/;
const SHA = /^[0-9a-f]{40}$/;

/** The main pipeline and pull request number `name` was cloned for, or undefined. */
export function matchPrPipelineName(name: string, servicePipelines: readonly string[]): NameMatch | undefined {
  const match = PR_SUFFIX.exec(name);
  if (match === null) return undefined;
  const number = Number(match[1]);
  if (!Number.isSafeInteger(number)) return undefined;
  const basePipeline = servicePipelines.find((base) => prPipelineName(base, number) === name);
  return basePipeline === undefined ? undefined : { basePipeline, number };
}

export type TagCheck = { readonly managed: true; readonly pipeline: PrPipeline } | { readonly managed: false; readonly reason: string };

/** Whether the tags confirm what the name says. */
export function checkPrPipelineTags(
  candidate: NameMatch & { readonly name: string; readonly arn: string; readonly created?: Date },
  tags: readonly Tag[],
  repository: string,
): TagCheck {
  const problem = tagOwnershipProblem(tags, { repository, number: candidate.number, basePipeline: candidate.basePipeline });
  if (problem !== undefined) return { managed: false, reason: problem };
  const tag = (key: string) => tags.find((entry) => entry.key === key)?.value;
  const headSha = tag(PR_TAG_KEYS.headSha);
  return {
    managed: true,
    pipeline: {
      name: candidate.name,
      arn: candidate.arn,
      basePipeline: candidate.basePipeline,
      repository,
      number: candidate.number,
      ...(headSha !== undefined && SHA.test(headSha) ? { headSha } : {}),
      ...(candidate.created === undefined ? {} : { created: candidate.created }),
    },
  };
}
