/** A required environment variable is missing or empty: a deployment fault, not bad input. */
export class MissingEnvironmentError extends Error {
  constructor(readonly variable: string) {
    super(`Environment variable ${variable} is not set. Fix: deploy the function through the pipewright stacks, which set it`);
    this.name = "MissingEnvironmentError";
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
