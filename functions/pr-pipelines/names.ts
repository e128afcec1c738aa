import { createHash } from "node:crypto";

/**
 * Names derived from a pull request. Pure and deterministic: a retry, a
 * redelivery and the close event all find the same pipeline, stack and
 * idempotency token.
 */

/** CodePipeline: 1-100 characters of [A-Za-z0-9.@_-]. */
export const MAX_PIPELINE_NAME_LENGTH = 100;
const PIPELINE_NAME_CHARS = /^[A-Za-z0-9.@_-]+$/;
const PIPELINE_NAME_INVALID = /[^A-Za-z0-9.@_-]/g;

/** CloudFormation: 1-128 characters, a letter then [A-Za-z0-9-]. */
export const MAX_STACK_NAME_LENGTH = 128;

/** Hex characters of the hash that keeps shortened names distinct (40 bits). */
const HASH_LENGTH = 10;

function shortHash(text: string, length = HASH_LENGTH): string {
  return createHash("sha256").update(text, "utf8").digest("hex").slice(0, length);
}

function assertPullRequestNumber(prNumber: number): void {
  if (!Number.isSafeInteger(prNumber) || prNumber <= 0) {
    throw new RangeError(`A pull request number is a positive integer, got ${prNumber}`);
  }
}

/**
 * Fits `<head>-pr-<n>` into `max` characters: unchanged when it fits, else
 * `<head cut short>-<hash of the full name>-pr-<n>`. The hash is taken over
 * the full, unshortened name, so two inputs that share a long head still get
 * different names.
 */
function fitWithSuffix(head: string, suffix: string, max: number, fullName: string, forceHash: boolean): string {
  const exact = `${head}${suffix}`;
  if (!forceHash && exact.length <= max) return exact;
  const hash = shortHash(fullName);
  const room = max - suffix.length - hash.length - 1;
  const kept = head.slice(0, Math.max(0, room)).replace(/-+$/, "");
  return kept === "" ? `${hash}${suffix}` : `${kept}-${hash}${suffix}`;
}

/**
 * The pull request pipeline cloned from `basePipeline`: exactly
 * `<basePipeline>-pr-<number>` when that is a valid pipeline name (at most
 * 100 characters), otherwise the base is cut short and a hash of the full
 * name is inserted: `<base cut>-<10 hex>-pr-<number>`, exactly 100
 * characters or fewer. The `-pr-<number>` ending is always kept, so people
 * can read the PR number off the console.
 */
export function prPipelineName(basePipeline: string, prNumber: number): string {
  assertPullRequestNumber(prNumber);
  if (basePipeline === "") throw new RangeError("The base pipeline name is empty");
  const suffix = `-pr-${prNumber}`;
  const fullName = `${basePipeline}${suffix}`;
  const valid = PIPELINE_NAME_CHARS.test(basePipeline);
  const head = valid ? basePipeline : basePipeline.replace(PIPELINE_NAME_INVALID, "-");
  return fitWithSuffix(head, suffix, MAX_PIPELINE_NAME_LENGTH, fullName, !valid);
}

/**
 * The CloudFormation stack a pull request pipeline deploys instead of
 * `stackName`. Rule: drop one trailing `-dev` (the main pipeline's dev stack,
 * `<project>-<service>-dev`), then append `-pr-<number>`:
 *
 *   `shop-orders-dev` → `shop-orders-pr-12`;  `orders-api` → `orders-api-pr-12`.
 *
 * Above 128 characters the name is cut short with a hash, like pipeline names.
 * Preview stacks live where the original stack lives (the dev account, the
 * action's Region), deployed through the preview roles (clone.ts).
 */
export function previewStackName(stackName: string, prNumber: number): string {
  assertPullRequestNumber(prNumber);
  const head = stackName.replace(/-dev$/, "");
  const suffix = `-pr-${prNumber}`;
  return fitWithSuffix(head, suffix, MAX_STACK_NAME_LENGTH, `${head}${suffix}`, false);
}

/**
 * The clientRequestToken of StartPipelineExecution for one delivery and one
 * pipeline: a retry of the same delivery reuses it, so CodePipeline starts
 * the execution once. 67 characters of [a-z0-9-] (the API takes 1-128 of
 * [a-zA-Z0-9-]).
 */
export function clientRequestToken(deliveryId: string, pipelineName: string): string {
  if (deliveryId === "") throw new RangeError("The delivery id is empty");
  return `pw-${createHash("sha256").update(`${deliveryId}\n${pipelineName}`, "utf8").digest("hex")}`;
}

/**
 * The CodeBuild projects of a main pipeline, as the build stack names them:
 * `<pipeline>-build` and `<pipeline>-integration-tests`.
 */
export function mainCodeBuildProjects(pipelineName: string): { build: string; integrationTests: string } {
  return { build: `${pipelineName}-build`, integrationTests: `${pipelineName}-integration-tests` };
}

/**
 * The pull requests' twin of a main CodeBuild project: same buildspec, run as
 * the PR CodeBuild role with the PR artifact store. `<project>-pr-<rest>` for
 * main's `<project>-<rest>`: service names never contain the word "pr", so no
 * pattern over one set's names (log groups, report groups `<name>-*`) covers the other's.
 */
export function prCodeBuildProjectName(project: string, mainProject: string): string {
  if (project === "" || !mainProject.startsWith(`${project}-`) || mainProject.length === project.length + 1) {
    throw new RangeError(`CodeBuild project "${mainProject}" is not a project of "${project}" (expected "${project}-<name>")`);
  }
  return `${project}-pr-${mainProject.slice(project.length + 1)}`;
}

/** Partition key of a pull request's state item. */
export function prStateKey(repository: string, prNumber: number): string {
  return `PR#${repository}#${prNumber}`;
}
