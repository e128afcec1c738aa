// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import { globProblem } from "../shared/globs";

/**
 * The push router's configuration, as the stacks pass it in environment
 * variables. Parsing is pure: handler.ts reads the variables and hands the
 * strings here.
 */

const glob = z.string().superRefine((value, ctx) => {
  const problem = globProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} is not a valid glob: ${problem}` });
});

// Not strict: the stacks may add fields the router does not need.
const serviceSchema = z.object({
  /** Service name, for logs. */
  name: z.string().min(1),
  /** The service's CodePipeline V2 pipeline. */
  pipeline: z.string().regex(/^[A-Za-z0-9.@_-]{1,100}$/, { error: "is not a CodePipeline name (1-100 of A-Z a-z 0-9 . @ _ -)" }),
  /** Globs of repository paths that belong to the service. */
  include: z.array(glob).min(1),
  /** Globs of paths that never start the service's pipeline, even when included. */
  exclude: z.array(glob).default([]),
});

const servicesSchema = z
  .array(serviceSchema)
  .min(1, { error: "lists no service, so no push could ever deploy" })
  .superRefine((services, ctx) => {
    const seen = new Set<string>();
    services.forEach((service, index) => {
      if (seen.has(service.pipeline)) {
        ctx.addIssue({ code: "custom", path: [index, "pipeline"], message: `"${service.pipeline}" is the pipeline of an earlier service` });
      }
      seen.add(service.pipeline);
    });
  });

export type ServiceRoute = z.infer<typeof serviceSchema>;

export interface PushRouterConfig {
  services: readonly ServiceRoute[];
  /** Branch name without refs/heads/, e.g. "main". */
  mainBranch: string;
  /** owner/name of the monorepo. */
  repository: string;
  /** Name of the source action whose revision each start pins. */
  sourceActionName: string;
}

/** The environment the stacks deployed cannot be used; names the variable and the fix. */
export class PushRouterConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(
      `Environment variable ${variable} is invalid:\n${problems.map((p) => `  - ${p}`).join("\n")}\n` +
        "Fix: deploy the push router through the pipewright stacks, which derive it from the validated configuration",
      options,
    );
    this.name = "PushRouterConfigError";
  }
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.map((segment) => (typeof segment === "number" ? `[${segment}]` : `.${String(segment)}`)).join("");
}

/** Parses the SERVICES variable: a JSON array of { name, pipeline, include, exclude }. */
export function parseServices(json: string): ServiceRoute[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new PushRouterConfigError("SERVICES", [`is not JSON: ${(error as Error).message}`], { cause: error });
  }
  const result = servicesSchema.safeParse(raw);
  if (!result.success) {
    throw new PushRouterConfigError(
      "SERVICES",
      result.error.issues.map((issue) => `SERVICES${issuePath(issue.path)}: ${issue.message}`),
    );
  }
  return result.data;
}

/** Accepts "main" or "refs/heads/main"; returns the branch name. */
export function parseMainBranch(value: string): string {
  const branch = value.startsWith("refs/heads/") ? value.slice("refs/heads/".length) : value;
  if (branch === "" || branch.startsWith("refs/")) {
    throw new PushRouterConfigError("MAIN_BRANCH", [`${JSON.stringify(value)} is not a branch name such as "main"`]);
  }
  return branch;
}

export function parseRepository(value: string): string {
  if (!/^[\w.-]{1,39}\/[\w.-]{1,100}$/.test(value)) {
    throw new PushRouterConfigError("GITHUB_REPOSITORY", [`${JSON.stringify(value)} is not a repository written as "owner/name"`]);
  }
  return value;
}

/** PUSH_STATE_TABLE: a DynamoDB table name. */
export function parseStateTable(value: string): string {
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(value)) {
    throw new PushRouterConfigError("PUSH_STATE_TABLE", [`${JSON.stringify(value)} is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)`]);
  }
  return value;
}

