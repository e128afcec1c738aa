/**
 * A tiny EventBridge pattern matcher for the subset of the pattern language
 * pipewright's rules use: nested objects, arrays of allowed values (exact
 * strings and numbers), { prefix } filters, and $or (any of its patterns). Anything else throws, so a
 * pattern that grows past this subset cannot pass a test by accident.
 * Semantics as EventBridge documents them: every field of the pattern must
 * match; a field whose value in the event is an array matches when any
 * element matches; an absent field never matches.
 */

type Matcher = string | number | { prefix: string };

function matchesValue(matchers: readonly unknown[], value: unknown): boolean {
  const values = Array.isArray(value) ? value : [value];
  return values.some((candidate) =>
    matchers.some((matcher) => {
      if (typeof matcher === "string" || typeof matcher === "number") return candidate === matcher;
      if (typeof matcher === "object" && matcher !== null && Object.keys(matcher).length === 1 && "prefix" in matcher) {
        const prefix = (matcher as { prefix: unknown }).prefix;
        if (typeof prefix !== "string") throw new Error(`Unsupported prefix matcher ${JSON.stringify(matcher)}`);
        return typeof candidate === "string" && candidate.startsWith(prefix);
      }
      throw new Error(`Unsupported matcher ${JSON.stringify(matcher)}: extend the test matcher first`);
    }),
  );
}

export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  if (typeof event !== "object" || event === null) return false;
  return Object.entries(pattern).every(([key, expected]) => {
    if (key === "$or") {
      if (!Array.isArray(expected)) throw new Error(`$or must be an array of patterns, got ${JSON.stringify(expected)}`);
      return expected.some((alternative) => matchesPattern(alternative as Record<string, unknown>, event));
    }
    const actual = (event as Record<string, unknown>)[key];
    if (actual === undefined) return false;
    if (Array.isArray(expected)) return matchesValue(expected as Matcher[], actual);
    if (typeof expected === "object" && expected !== null) return matchesPattern(expected as Record<string, unknown>, actual);
    throw new Error(`Pattern field ${key} must be an array or an object, got ${JSON.stringify(expected)}`);
  });
}
