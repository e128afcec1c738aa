import { buildSync } from "esbuild";
import { createHash, randomBytes } from "node:crypto";
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";

/**
 * Left out of bundles: the Lambda Node.js runtime provides AWS SDK v3
 * (and the Smithy packages it is built on). Bundling them would triple every
 * function's size and cold-start load time.
 */
export const RUNTIME_PROVIDED_MODULES = ["@aws-sdk/*", "@smithy/*"];

/** Where bundles are written before TerraformAsset zips them (git-ignored). */
export const BUNDLE_ROOT = path.resolve(__dirname, "..", ".build", "functions");

const bundled = new Map<string, string>();
const withData = new Set<string>();

/**
 * Bundles a function's handler with esbuild, targeting Node.js 20
 * (minified, with source maps, the SDK left to the runtime) and returns the
 * folder holding `index.js`.
 * Each entry is bundled once per process: stacks in one synth share it.
 */
export function bundleFunction(entry: string): string {
  const absolute = path.resolve(entry);
  const cached = bundled.get(absolute);
  if (cached) return cached;
  if (!existsSync(absolute)) {
    throw new Error(`LambdaFunction: entry ${entry} does not exist. Fix: point it at functions/<name>/handler.ts`);
  }
  const relative = path.relative(path.resolve(__dirname, ".."), absolute);
  const name = relative.replace(/\.[cm]?[jt]s$/, "").replace(/[^\w-]+/g, "_");
  const outdir = path.join(BUNDLE_ROOT, `${name}-${createHash("sha256").update(absolute).digest("hex").slice(0, 8)}`);
  const result = buildSync({
    entryPoints: [absolute],
    outfile: path.join(outdir, "index.js"),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    legalComments: "none",
    external: RUNTIME_PROVIDED_MODULES,
    logLevel: "silent",
  });
  if (result.errors.length > 0) {
    throw new Error(`LambdaFunction: bundling ${entry} failed: ${result.errors.map((e) => e.text).join("; ")}`);
  }
  bundled.set(absolute, outdir);
  return outdir;
}

/**
 * A folder with the bundle in `bundleDir` and `files` beside it (name to
 * content); `bundleDir` itself when there are none. Named by the content's
 * hash, so functions that ship the same files share the folder; made once
 * per process, after the bundle, so it never holds an older build.
 */
export function withDataFiles(bundleDir: string, files: Readonly<Record<string, string>>): string {
  const names = Object.keys(files).sort();
  if (names.length === 0) return bundleDir;
  for (const name of names) {
    if (!/^[\w.-]+$/.test(name) || name === "index.js" || name === "index.js.map") {
      throw new Error(`LambdaFunction: data file "${name}" must be a plain file name other than index.js. Fix: rename it`);
    }
  }
  const hash = createHash("sha256");
  for (const name of names) hash.update(`${name}\0${files[name]}\0`);
  const outdir = `${bundleDir}-data-${hash.digest("hex").slice(0, 12)}`;
  if (!withData.has(outdir)) {
    // Other processes (parallel test workers, a synth) may make or read the same folder meanwhile:
    // one that already holds this bundle and these files is left alone, and a new one is moved in whole.
    if (!holds(outdir, bundleDir, files)) {
      const staging = `${outdir}.${process.pid}-${randomBytes(4).toString("hex")}`;
      cpSync(bundleDir, staging, { recursive: true });
      for (const name of names) writeFileSync(path.join(staging, name), files[name] as string);
      rmSync(outdir, { recursive: true, force: true });
      try {
        renameSync(staging, outdir);
      } catch (error) {
        // Another process moved in its copy of the same build first.
        rmSync(staging, { recursive: true, force: true });
        if (!holds(outdir, bundleDir, files)) throw error;
      }
    }
    withData.add(outdir);
  }
  return outdir;
}

/** Whether `folder` holds exactly the files of `bundleDir` and the data files. */
function holds(folder: string, bundleDir: string, files: Readonly<Record<string, string>>): boolean {
  if (!existsSync(folder)) return false;
  const expected = new Map<string, Buffer>(Object.entries(files).map(([name, content]) => [name, Buffer.from(content)]));
  for (const name of readdirSync(bundleDir)) expected.set(name, readFileSync(path.join(bundleDir, name)));
  const present = readdirSync(folder);
  if (present.length !== expected.size) return false;
  return present.every((name) => {
    const content = expected.get(name);
    return content !== undefined && readFileSync(path.join(folder, name)).equals(content);
  });
}
