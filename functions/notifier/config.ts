// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import { NotifierConfigError } from "./errors";
import { DEFAULT_NOTIFY_STATES, NOTIFY_STATES, type NotifyState } from "./routing";

/**
 * The notifier's configuration, as the notifications construct passes it in
 * environment variables. Parsing is pure: handler.ts reads the variables and
 * hands the strings here.
 */

// Not strict: the construct may add fields the notifier does not need.
const serviceSchema = z.object({
  /** Service name, shown in messages. */
  name: z.string().min(1),
  /** The service's main pipeline, `<project>-<service>`. */
  pipeline: z.string().regex(/^[A-Za-z0-9.@_-]{1,100}$/, { error: "is not a CodePipeline name (1-100 of A-Z a-z 0-9 . @ _ -)" }),
});

const servicesSchema = z
  .array(serviceSchema)
  .min(1, { error: "lists no service" })
  .superRefine((services, ctx) => {
    const seen = new Set<string>();
    services.forEach((service, index) => {
      if (seen.has(service.pipeline)) {
        ctx.addIssue({ code: "custom", path: [index, "pipeline"], message: `"${service.pipeline}" is the pipeline of an earlier service` });
      }
      seen.add(service.pipeline);
    });
  });

export type ServicePipeline = z.infer<typeof serviceSchema>;

export interface NotifierConfig {
  /** Only pipelines whose names start with this are the platform's, e.g. "pipewright-". */
  pipelinePrefix: string;
  services: readonly ServicePipeline[];
  /** Branch name without refs/heads/: what the main pipelines build. */
  mainBranch: string;
  /** owner/name of the monorepo: commit statuses and commit links. */
  repository: string;
  /** Which notifications go out (SNS and Slack). Commit statuses do not depend on it. */
  notifyStates: ReadonlySet<NotifyState>;
  /** GitHub's REST API, without a trailing slash. */
  githubApiUrl: string;
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.map((segment) => (typeof segment === "number" ? `[${segment}]` : `.${String(segment)}`)).join("");
}

/** Parses SERVICES: a JSON array of { name, pipeline }. */
export function parseServices(json: string): ServicePipeline[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new NotifierConfigError("SERVICES", [`is not JSON: ${(error as Error).message}`], { cause: error });
  }
  const result = servicesSchema.safeParse(raw);
  if (!result.success) {
    throw new NotifierConfigError(
      "SERVICES",
      result.error.issues.map((issue) => `SERVICES${issuePath(issue.path)}: ${issue.message}`),
    );
  }
  return result.data;
}

export function parsePipelinePrefix(value: string): string {
  if (!/^[A-Za-z0-9.@_-]{1,99}$/.test(value)) {
    throw new NotifierConfigError("PIPELINE_PREFIX", [
      `${JSON.stringify(value)} is not the start of a CodePipeline name (1-99 of A-Z a-z 0-9 . @ _ -)`,
    ]);
  }
  return value;
}

/** Accepts "main" or "refs/heads/main"; returns the branch name. */
export function parseMainBranch(value: string): string {
  const branch = value.startsWith("refs/heads/") ? value.slice("refs/heads/".length) : value;
  if (branch === "" || branch.startsWith("refs/")) {
    throw new NotifierConfigError("MAIN_BRANCH", [`${JSON.stringify(value)} is not a branch name such as "main"`]);
  }
  return branch;
}

export function parseRepository(value: string): string {
  if (!/^[\w.-]{1,39}\/[\w.-]{1,100}$/.test(value)) {
    throw new NotifierConfigError("GITHUB_REPOSITORY", [`${JSON.stringify(value)} is not a repository written as "owner/name"`]);
  }
  return value;
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
    throw new NotifierConfigError("NOTIFY_STATES", [
      `${JSON.stringify(value)} names ${unknown.length > 0 ? `unknown state(s) ${unknown.join(", ")}` : "no state"}; ` +
        `use a comma-separated list of ${NOTIFY_STATES.join(", ")}, or NONE (default: ${DEFAULT_NOTIFY_STATES.join(",")})`,
    ]);
  }
  return new Set(entries as NotifyState[]);
}

/**
 * The GitHub API base URL. The token travels to it, so it must be https;
 * plain http is accepted only for a loopback host (a local fake in tests).
 */
export function parseGitHubApiUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new NotifierConfigError("GITHUB_API_URL", [`${JSON.stringify(value)} is not a URL`], { cause: error });
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url.hostname))) {
    throw new NotifierConfigError("GITHUB_API_URL", [`${JSON.stringify(value)} is not https; the GitHub token would travel in clear text`]);
  }
  return value.replace(/\/+$/, "");
}

export function parseTopicArn(value: string): string {
  if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(value)) {
    throw new NotifierConfigError("TOPIC_ARN", [`${JSON.stringify(value)} is not the ARN of an SNS topic`]);
  }
  return value;
}

export function isLoopback(hostname: string): boolean {
  return hostname === "127.0.0.1" || hostname === "localhost" || hostname === "[::1]";
}
