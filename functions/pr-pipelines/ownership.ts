import type { Tag } from "@aws-sdk/client-codepipeline";
import { PR_TAG_KEYS } from "./clone";

/**
 * Whether a pipeline with a pull request pipeline's name is one pipewright
 * made for that pull request: its `pipewright:*` tags (and, for pr-pipelines,
 * the role it runs as) must say so. A pipeline that only has the name is
 * someone else's and is never run or deleted. Pure.
 */

export interface ExpectedOwner {
  readonly repository: string;
  readonly number: number;
  readonly basePipeline: string;
}

/** Why the tags do not name this pull request pipeline, or undefined when they do. */
export function tagOwnershipProblem(tags: readonly Tag[], expected: ExpectedOwner): string | undefined {
  const tag = (key: string) => tags.find((entry) => entry.key === key)?.value;
  const taggedRepository = tag(PR_TAG_KEYS.repository);
  const taggedNumber = tag(PR_TAG_KEYS.pullRequest);
  const taggedBase = tag(PR_TAG_KEYS.basePipeline);
  if (taggedRepository === undefined || taggedNumber === undefined) {
    return `it has no ${PR_TAG_KEYS.repository} and ${PR_TAG_KEYS.pullRequest} tags, so pr-pipelines did not make it`;
  }
  if (taggedRepository.toLowerCase() !== expected.repository.toLowerCase()) {
    return `it belongs to repository ${taggedRepository}, this installation serves ${expected.repository}`;
  }
  if (taggedNumber !== String(expected.number)) return `its ${PR_TAG_KEYS.pullRequest} tag is ${taggedNumber}, its name says ${expected.number}`;
  if (taggedBase !== undefined && taggedBase !== expected.basePipeline) {
    return `its ${PR_TAG_KEYS.basePipeline} tag is ${taggedBase}, its name says ${expected.basePipeline}`;
  }
  return undefined;
}

/**
 * Why an existing pipeline is not this pull request's pipeline, or undefined
 * when it is: tags as above, and it runs as the pull requests' pipeline role
 * (only principals allowed to pass that role can make such a pipeline).
 */
export function pullRequestPipelineProblem(
  pipeline: { readonly roleArn?: string; readonly tags: readonly Tag[] },
  expected: ExpectedOwner & { readonly prPipelineRoleArn: string },
): string | undefined {
  if (pipeline.roleArn !== expected.prPipelineRoleArn) {
    return `it runs as ${pipeline.roleArn ?? "(no role)"}, not as the pull requests' pipeline role ${expected.prPipelineRoleArn}`;
  }
  return tagOwnershipProblem(pipeline.tags, expected);
}
