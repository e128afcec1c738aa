/**
 * A function's bundle with its data files (the repository catalog) beside it:
 * parallel test workers and synths make the same folder, so one that already
 * holds the bundle and the files is left alone, and a stale one is replaced
 * whole. Each `fresh()` is another process as far as the module's memo goes.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

type WithDataFiles = (bundleDir: string, files: Readonly<Record<string, string>>) => string;

function fresh(): WithDataFiles {
  let loaded: WithDataFiles | undefined;
  jest.isolateModules(() => {
    loaded = (require("../../../stacks/bundle") as { withDataFiles: WithDataFiles }).withDataFiles;
  });
  return loaded as WithDataFiles;
}

describe("withDataFiles", () => {
  let root: string;
  let bundleDir: string;
  const files = { "repositories.json": '{"repositories":[]}' };

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), "pipewright-bundle-"));
    bundleDir = path.join(root, "functions_webhook_handler-0123abcd");
    mkdirSync(bundleDir);
    writeFileSync(path.join(bundleDir, "index.js"), "exports.handler = async () => 1;");
    writeFileSync(path.join(bundleDir, "index.js.map"), "{}");
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("puts the bundle and the data files in a folder named by their hash, leaving nothing else behind", () => {
    const outdir = fresh()(bundleDir, files);
    expect(path.dirname(outdir)).toBe(root);
    expect(readdirSync(outdir).sort()).toEqual(["index.js", "index.js.map", "repositories.json"]);
    expect(readFileSync(path.join(outdir, "repositories.json"), "utf8")).toBe(files["repositories.json"]);
    expect(readdirSync(root).sort()).toEqual([path.basename(bundleDir), path.basename(outdir)].sort());
  });

  it("leaves alone a folder another process made from the same bundle and files: a reader there never sees it vanish", () => {
    const outdir = fresh()(bundleDir, files);
    const made = statSync(path.join(outdir, "index.js")).ino;
    expect(fresh()(bundleDir, files)).toBe(outdir);
    expect(statSync(path.join(outdir, "index.js")).ino).toBe(made);
  });

  it("replaces a folder holding an older build of the bundle, or a stray file", () => {
    const outdir = fresh()(bundleDir, files);
    writeFileSync(path.join(bundleDir, "index.js"), "exports.handler = async () => 2;");
    expect(fresh()(bundleDir, files)).toBe(outdir);
    expect(readFileSync(path.join(outdir, "index.js"), "utf8")).toContain("=> 2");

    writeFileSync(path.join(outdir, "stray.txt"), "left by an older pipewright");
    fresh()(bundleDir, files);
    expect(readdirSync(outdir).sort()).toEqual(["index.js", "index.js.map", "repositories.json"]);
  });
});
