import { readFileSync } from "node:fs";
import * as path from "node:path";
// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import { mainBranchSchema, pipelineNameSchema } from "./config-fields";
import { issuePath, optionalEnv } from "./env";
import { repositorySchema } from "./github/repository";

/**
 * The repositories the platform serves, as the build stack writes them into
 * every function bundle that needs them (`repositories.json` beside
 * `index.js`): a Lambda environment holds at most 4 KB, and a platform with
 * hundreds of repositories needs more. Looked up by repository through a map,
 * so a delivery's routing does not grow with the number of repositories.
 */

/** The file's name inside a function bundle. */
export const REPOSITORIES_FILE = "repositories.json";

/** Overrides where the file is read from (tests, local runs). */
export const REPOSITORIES_FILE_ENV = "REPOSITORIES_FILE";

// Not strict: the stacks may add fields a function does not need.
const serviceSchema = z.object({
  /** Service name, for logs and messages. */
  name: z.string().min(1),
  /** The service's main pipeline; pull request pipelines are cloned from it. */
  pipeline: pipelineNameSchema,
  /** Globs of repository paths that belong to the service (checked by the configuration and the push router). */
  include: z.array(z.string().min(1)).min(1),
  /** Globs of paths that never start the service's pipeline. */
  exclude: z.array(z.string().min(1)).default([]),
  /**
   * Slack user ids who may approve the service's prod deployment and deploy it
   * with /pipewright deploy: the service's own list, else the platform's. Empty: nobody in Slack.
   */
  slackApprovers: z.array(z.string().regex(/^[UW][A-Z0-9]{8,}$/, { error: "is not a Slack user id (U... or W...)" })).default([]),
  /** A SAM/Lambda application, or a container image on ECS. */
  kind: z.enum(["lambda", "container"]).default("lambda"),
  /** Pull requests deploy a preview stack in dev; without, their pipelines build and test only. */
  preview: z.boolean().default(true),
});

const repositoryEntrySchema = z.object({
  /** owner/name, as configured. */
  repository: repositorySchema,
  /** The branch whose pushes deploy, without refs/heads/. */
  mainBranch: mainBranchSchema,
  /** The label a maintainer puts on a fork's pull request to let it run. */
  forkLabel: z.string().min(1),
  services: z.array(serviceSchema).min(1, { error: "lists no service" }),
});

export const repositoryCatalogSchema = z
  .object({ repositories: z.array(repositoryEntrySchema).min(1, { error: "lists no repository" }) })
  .superRefine((catalog, ctx) => {
    const repositories = new Map<string, number>();
    const pipelines = new Map<string, string>();
    catalog.repositories.forEach((entry, index) => {
      const key = entry.repository.toLowerCase();
      const first = repositories.get(key);
      if (first !== undefined) {
        ctx.addIssue({ code: "custom", path: ["repositories", index, "repository"], message: `repeats repositories[${first}]` });
      }
      repositories.set(key, index);
      entry.services.forEach((service, serviceIndex) => {
        const owner = pipelines.get(service.pipeline);
        if (owner !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["repositories", index, "services", serviceIndex, "pipeline"],
            message: `"${service.pipeline}" is already a pipeline of ${owner}; each pipeline must be unique`,
          });
        }
        pipelines.set(service.pipeline, entry.repository);
      });
    });
  });

/** The bundled catalog is missing or unusable: a deployment fault. */
export class RepositoryCatalogError extends Error {
  constructor(
    readonly file: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`The repository catalog ${file} ${problem}. Fix: deploy the function through the pipewright stacks, which bundle it`, options);
    this.name = "RepositoryCatalogError";
  }
}

export type RepositoryCatalogData = z.input<typeof repositoryCatalogSchema>;
export type RepositoryEntry = z.infer<typeof repositoryEntrySchema>;
export type ServiceEntry = RepositoryEntry["services"][number];

/** The configured repositories, found by name (case-insensitively, as GitHub treats them) or by pipeline. */
export class RepositoryCatalog {
  private readonly byName: ReadonlyMap<string, RepositoryEntry>;
  private readonly byPipeline: ReadonlyMap<string, { repository: RepositoryEntry; service: ServiceEntry }>;

  constructor(readonly repositories: readonly RepositoryEntry[]) {
    this.byName = new Map(repositories.map((entry) => [entry.repository.toLowerCase(), entry]));
    this.byPipeline = new Map(
      repositories.flatMap((repository) => repository.services.map((service) => [service.pipeline, { repository, service }])),
    );
  }

  /** Checks a parsed catalog; `source` names it in the error. Throws RepositoryCatalogError. */
  static from(raw: unknown, source = REPOSITORIES_FILE): RepositoryCatalog {
    const result = repositoryCatalogSchema.safeParse(raw);
    if (!result.success) {
      throw new RepositoryCatalogError(
        source,
        `is invalid: ${result.error.issues.map((issue) => `${issuePath(issue.path).slice(1)}: ${issue.message}`).join("; ")}`,
      );
    }
    return new RepositoryCatalog(result.data.repositories);
  }

  /** The entry of `repository` (owner/name, any case), or undefined when it is not configured. */
  get(repository: string): RepositoryEntry | undefined {
    return this.byName.get(repository.toLowerCase());
  }

  /** The repository and service whose main pipeline is `pipeline`. */
  ownerOfPipeline(pipeline: string): { repository: RepositoryEntry; service: ServiceEntry } | undefined {
    return this.byPipeline.get(pipeline);
  }

  /** Every main pipeline of every repository. */
  get pipelines(): string[] {
    return [...this.byPipeline.keys()];
  }
}

/**
 * Reads the catalog the stacks bundled with the function (beside index.js),
 * or the file REPOSITORIES_FILE names. Throws RepositoryCatalogError.
 */
export function loadRepositoryCatalog(env: NodeJS.ProcessEnv = process.env, bundleDir: string = __dirname): RepositoryCatalog {
  const file = optionalEnv(REPOSITORIES_FILE_ENV, env) ?? path.join(bundleDir, REPOSITORIES_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new RepositoryCatalogError(file, `cannot be read as JSON (${(cause as Error).message})`, { cause });
  }
  return RepositoryCatalog.from(raw, file);
}
