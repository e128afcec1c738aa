import { readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { bundleFunction } from "../stacks/bundle";

const FUNCTIONS_DIR = path.resolve(__dirname, "..", "functions");

/** Every function folder with a handler. */
export function functionNames(): string[] {
  return readdirSync(FUNCTIONS_DIR).filter((name) => {
    try {
      return statSync(path.join(FUNCTIONS_DIR, name, "handler.ts")).isFile();
    } catch {
      return false;
    }
  });
}

/** Bundles a function as the stacks do; returns its index.js and size. */
export function benchBundle(name: string): { file: string; bytes: number } {
  const file = path.join(bundleFunction(path.join(FUNCTIONS_DIR, name, "handler.ts")), "index.js");
  return { file, bytes: statSync(file).size };
}
