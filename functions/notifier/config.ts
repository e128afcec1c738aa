// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import { InvalidConfigurationError, parseVariable } from "../shared/env";
import type { RepositoryCatalog } from "../shared/repositories";
import { DEFAULT_NOTIFY_STATES, NOTIFY_STATES, type NotifyState } from "./routing";

/**
 * The notifier's own configuration fields, as the notifications construct
 * passes them in environment variables (the shared ones are in
 * functions/shared), beside the repository catalog bundled with the function.
 * Parsing is pure: handler.ts reads the variables and hands the strings here.
 */

export interface NotifierConfig {
  /** Only pipelines whose names start with this are the platform's, e.g. "pipewright-". */
  pipelinePrefix: string;
  /**
   * The repositories served: a pipeline's repository (commit statuses, commit
   * and pull request links, messages), its main branch and its service.
   */
  catalog: RepositoryCatalog;
  /** Which notifications go out (SNS and Slack). Commit statuses do not depend on it. */
  notifyStates: ReadonlySet<NotifyState>;
  /** GitHub's REST API, without a trailing slash. */
  githubApiUrl: string;
}

const pipelinePrefixSchema = z.string().regex(/^[A-Za-z0-9.@_-]{1,99}$/, "is not the start of a CodePipeline name (1-99 of A-Z a-z 0-9 . @ _ -)");

export function parsePipelinePrefix(value: string): string {
  return parseVariable("PIPELINE_PREFIX", pipelinePrefixSchema, value);
}

/**
 * NOTIFY_STATES: a comma-separated list of FAILED, APPROVAL_WAITING,
 * RECOVERED, SUCCEEDED, STARTED, STOPPED, SUPERSEDED (case and spaces do not
 * matter), or NONE. Unset: FAILED, APPROVAL_WAITING, RECOVERED.
 */
export function parseNotifyStates(value: string | undefined): ReadonlySet<NotifyState> {
  if (value === undefined || value.trim() === "") return new Set(DEFAULT_NOTIFY_STATES);
  const entries = value
    .split(",")
    .map((entry) => entry.trim().toUpperCase())
    .filter((entry) => entry !== "");
  if (entries.length === 1 && entries[0] === "NONE") return new Set();
  const known = new Set<string>(NOTIFY_STATES);
  const unknown = entries.filter((entry) => !known.has(entry));
  if (unknown.length > 0 || entries.length === 0) {
    throw new InvalidConfigurationError(
      "NOTIFY_STATES",
      `${JSON.stringify(value)} names ${unknown.length > 0 ? `unknown state(s) ${unknown.join(", ")}` : "no state"}; ` +
        `use a comma-separated list of ${NOTIFY_STATES.join(", ")}, or NONE (default: ${DEFAULT_NOTIFY_STATES.join(",")})`,
    );
  }
  return new Set(entries as NotifyState[]);
}

const topicArnSchema = z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, "is not the ARN of an SNS topic");

export function parseTopicArn(value: string): string {
  return parseVariable("TOPIC_ARN", topicArnSchema, value);
}
