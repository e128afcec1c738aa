/**
 * Deep links into the AWS console and GitHub. Pure. Console links use the
 * Region and partition of the event (the pipeline's own), so a pipeline in
 * aws-cn or aws-us-gov links to that partition's console.
 */

/** Console hosts per partition (the same table as stacks/constructs/delivery-pipeline.ts). */
export const CONSOLE_HOSTS: Readonly<Record<string, string>> = {
  aws: "console.aws.amazon.com",
  "aws-cn": "console.amazonaws.cn",
  "aws-us-gov": "console.amazonaws-us-gov.com",
};

/** Slack rejects a message with a longer button URL; SNS e-mail clients cope badly too. */
export const MAX_LINK_LENGTH = 3000;

/** The partition of an ARN ("aws", "aws-cn", ...), or undefined if it is not an ARN. */
export function partitionOfArn(arn: string | undefined): string | undefined {
  return /^arn:(aws[a-z-]*):/.exec(arn ?? "")?.[1];
}

/** The pipeline's ARN: the event's resource when it is one, else built from its parts. */
export function pipelineArn(resources: readonly string[], partition: string, region: string, account: string, pipeline: string): string {
  const fromEvent = resources.find((arn) => /^arn:aws[a-z-]*:codepipeline:/.test(arn) && arn.endsWith(`:${pipeline}`));
  return fromEvent ?? `arn:${partition}:codepipeline:${region}:${account}:${pipeline}`;
}

export interface ConsoleLocation {
  partition: string;
  region: string;
}

function consoleOrigin({ partition, region }: ConsoleLocation): string | undefined {
  const host = CONSOLE_HOSTS[partition];
  if (host === undefined || !/^[a-z0-9-]+$/.test(region)) return undefined;
  return `https://${region}.${host}`;
}

function pipelinePath(pipeline: string): string {
  return `/codesuite/codepipeline/pipelines/${encodeURIComponent(pipeline)}`;
}

/** The execution's timeline in the CodePipeline console. */
export function executionUrl(location: ConsoleLocation, pipeline: string, executionId: string): string | undefined {
  const origin = consoleOrigin(location);
  if (origin === undefined) return undefined;
  return `${origin}${pipelinePath(pipeline)}/executions/${encodeURIComponent(executionId)}/timeline?region=${location.region}`;
}

/** The pipeline's page, where the Review button of a waiting approval lives. */
export function pipelineViewUrl(location: ConsoleLocation, pipeline: string): string | undefined {
  const origin = consoleOrigin(location);
  if (origin === undefined) return undefined;
  return `${origin}${pipelinePath(pipeline)}/view?region=${location.region}`;
}

/** The web origin of a GitHub API URL: api.github.com → github.com, GHES https://host/api/v3 → https://host. */
export function githubWebOrigin(apiUrl: string): string {
  const url = new URL(apiUrl);
  if (url.hostname === "api.github.com") return "https://github.com";
  return `${url.protocol}//${url.host}`;
}

export function commitUrl(webOrigin: string, repository: string, sha: string): string {
  return `${webOrigin}/${repository}/commit/${encodeURIComponent(sha)}`;
}

export function pullRequestUrl(webOrigin: string, repository: string, number: number): string {
  return `${webOrigin}/${repository}/pull/${number}`;
}

/** The URL if it is one a message may link to (https, or http on a loopback host for local fakes), else undefined. */
export function safeLink(value: string | undefined): string | undefined {
  if (value === undefined || value.length > MAX_LINK_LENGTH) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol === "https:") return value;
  if (url.protocol === "http:" && (url.hostname === "127.0.0.1" || url.hostname === "localhost")) return value;
  return undefined;
}
