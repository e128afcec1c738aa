// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import { pipelineNameSchema, uniquePipelines } from "../shared/config-fields";
import { parseJsonVariable, parseVariable } from "../shared/env";
import { globProblem } from "../shared/globs";

/**
 * The push router's own configuration fields, as the stacks pass them in
 * environment variables (the shared ones are in functions/shared). Parsing
 * is pure: handler.ts reads the variables and hands the strings here.
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
  pipeline: pipelineNameSchema,
  /** Globs of repository paths that belong to the service. */
  include: z.array(glob).min(1),
  /** Globs of paths that never start the service's pipeline, even when included. */
  exclude: z.array(glob).default([]),
});

const servicesSchema = z
  .array(serviceSchema)
  .min(1, { error: "lists no service, so no push could ever deploy" })
  .superRefine(uniquePipelines((service: { pipeline: string }) => service.pipeline, "pipeline"));

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

/** SERVICES: a JSON array of { name, pipeline, include, exclude }. Throws InvalidConfigurationError naming each field. */
export function parseServices(json: string): ServiceRoute[] {
  return parseJsonVariable("SERVICES", servicesSchema, json);
}

const stateTableSchema = z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, "is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)");

/** PUSH_STATE_TABLE: a DynamoDB table name. */
export function parseStateTable(value: string): string {
  return parseVariable("PUSH_STATE_TABLE", stateTableSchema, value);
}
