// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import { parseVariable } from "../shared/env";
import { globProblem } from "../shared/globs";
import type { RepositoryCatalog } from "../shared/repositories";

/**
 * The push router's own configuration: the repository catalog (bundled with
 * the function, functions/shared/repositories.ts) whose path globs it checks
 * at cold start, and its environment fields. Parsing is pure: handler.ts
 * reads the variables and the catalog and hands them here.
 */

export interface PushRouterConfig {
  /** The repositories served: each one's main branch and services (pipelines and path globs). */
  catalog: RepositoryCatalog;
  /** Name of the source action whose revision each start pins. */
  sourceActionName: string;
}

/** Services' path globs that picomatch cannot use; a push would route wrongly, so the function refuses to start. */
export class InvalidServiceGlobsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `The repository catalog holds invalid globs: ${problems.join("; ")}. ` +
        "Fix: correct the services' include and exclude globs in the configuration and deploy again",
    );
    this.name = "InvalidServiceGlobsError";
  }
}

/** Checks every repository's services' include and exclude globs; throws InvalidServiceGlobsError naming each bad one. */
export function checkServiceGlobs(catalog: RepositoryCatalog): RepositoryCatalog {
  const problems = catalog.repositories.flatMap((entry) =>
    entry.services.flatMap((service) =>
      (["include", "exclude"] as const).flatMap((field) =>
        service[field].flatMap((glob, index) => {
          const problem = globProblem(glob);
          return problem === undefined ? [] : [`${entry.repository} service ${service.name} ${field}[${index}] ${JSON.stringify(glob)}: ${problem}`];
        }),
      ),
    ),
  );
  if (problems.length > 0) throw new InvalidServiceGlobsError(problems);
  return catalog;
}

const stateTableSchema = z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, "is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)");

/** PUSH_STATE_TABLE: a DynamoDB table name. */
export function parseStateTable(value: string): string {
  return parseVariable("PUSH_STATE_TABLE", stateTableSchema, value);
}
