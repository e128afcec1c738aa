// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import type * as z from "zod";

/**
 * Reading the environment the stacks deploy a function with. Every variable
 * goes through here: a missing one or an unusable value stops the function
 * with an error naming the variable, the problem and the fix.
 */

/** A required environment variable is missing or empty: a deployment fault, not bad input. */
export class MissingEnvironmentError extends Error {
  constructor(readonly variable: string) {
    super(`Environment variable ${variable} is not set. Fix: deploy the function through the pipewright stacks, which set it`);
    this.name = "MissingEnvironmentError";
  }
}

/** An environment variable is present but unusable. */
export class InvalidConfigurationError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`Environment variable ${variable} is invalid: ${problem}. Fix: deploy the function through the pipewright stacks, which set it`, options);
    this.name = "InvalidConfigurationError";
  }
}

/** Reads a required environment variable, failing loudly when it is absent. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === "") throw new MissingEnvironmentError(name);
  return value;
}

/** Reads an optional environment variable; empty counts as absent. */
export function optionalEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : value;
}

/** Where in a value a schema problem is, as `[0].pipeline`. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map((segment) => (typeof segment === "number" ? `[${segment}]` : `.${String(segment)}`)).join("");
}

/** A variable's value (trimmed) checked against `schema`; throws InvalidConfigurationError naming the variable and the value. */
export function parseVariable<T>(variable: string, schema: z.ZodType<T>, value: string): T {
  const result = schema.safeParse(value.trim());
  if (!result.success) {
    throw new InvalidConfigurationError(variable, `${JSON.stringify(value.trim())}: ${result.error.issues.map((issue) => issue.message).join("; ")}`);
  }
  return result.data;
}

/** A variable holding JSON, checked against `schema`; each problem names its place, as `SERVICES[1].pipeline`. */
export function parseJsonVariable<T>(variable: string, schema: z.ZodType<T>, text: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InvalidConfigurationError(variable, `is not JSON (${(error as Error).message})`, { cause: error });
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new InvalidConfigurationError(
      variable,
      result.error.issues.map((issue) => `${variable}${issuePath(issue.path)}: ${issue.message}`).join("; "),
    );
  }
  return result.data;
}
