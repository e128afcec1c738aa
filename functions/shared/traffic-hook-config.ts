/**
 * Parsing of the traffic hooks' environment variables, pure: the handlers
 * read the variables (shared/env.ts) and hand the strings here.
 */

/** An environment variable the stacks set for a traffic hook is unusable. */
export class TrafficHookConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Environment variable ${variable} is invalid: ${problem}. Fix: set it through the pipewright stacks, which deploy the traffic hooks`);
    this.name = "TrafficHookConfigError";
  }
}

/** A path such as "/health": what the hooks request from the application. */
export function parseHealthPath(value: string | undefined, variable = "HEALTH_PATH"): string {
  const path = value ?? "/health";
  if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(path)) {
    throw new TrafficHookConfigError(variable, `${JSON.stringify(path)} is not a URL path starting with "/" (no query, no spaces)`);
  }
  return path;
}

/** A whole number in [min, max], or the default when unset. */
export function parseIntegerSetting(variable: string, value: string | undefined, bounds: { min: number; max: number; default: number }): number {
  if (value === undefined) return bounds.default;
  const number = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < bounds.min || number > bounds.max) {
    throw new TrafficHookConfigError(variable, `${JSON.stringify(value)} is not a whole number from ${bounds.min} to ${bounds.max}`);
  }
  return number;
}
