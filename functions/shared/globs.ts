import picomatch from "picomatch";

/**
 * Options that give picomatch the semantics of CodePipeline V2 file-path
 * filters: globs match whole repository-relative paths, `*` stays within one
 * folder, `**` crosses folders, and dot files match like any other file.
 */
export const GLOB_OPTIONS: picomatch.PicomatchOptions = { dot: true, strictBrackets: true };

const PAIRS: ReadonlyArray<readonly [string, string]> = [
  ["[", "]"],
  ["{", "}"],
  ["(", ")"],
];

/** Why `glob` cannot be used as a path filter, or undefined when it can. */
export function globProblem(glob: string): string | undefined {
  if (glob.trim() === "") return "it is empty";
  if (glob.startsWith("/")) return 'it starts with "/"; paths are relative to the repository root';
  if (glob.startsWith("./")) return 'it starts with "./"; write the path without it';
  if (glob.includes("\\")) return 'it contains "\\"; use "/" between folders';
  if (glob.split("/").includes("..")) return 'it contains a ".." segment';
  for (const [open, close] of PAIRS) {
    let depth = 0;
    for (const char of glob) {
      if (char === open) depth++;
      if (char === close) depth--;
      if (depth < 0) return `"${close}" has no matching "${open}"`;
    }
    if (depth !== 0) return `"${open}" is never closed with "${close}"`;
  }
  try {
    picomatch.makeRe(glob, GLOB_OPTIONS);
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

/** A predicate over repository-relative paths: included and not excluded. */
export function pathFilter(include: readonly string[], exclude: readonly string[]): (path: string) => boolean {
  const included = picomatch([...include], GLOB_OPTIONS);
  const excluded = exclude.length > 0 ? picomatch([...exclude], GLOB_OPTIONS) : () => false;
  return (path) => included(path) && !excluded(path);
}
