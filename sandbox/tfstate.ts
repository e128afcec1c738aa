import { readFileSync } from "node:fs";
import { ManifestError } from "./errors";

/**
 * Read access to a stack's Terraform state (format version 4). The sandbox
 * reads the file itself rather than `terraform show -json`, which would
 * start the provider again (seconds) for the same data.
 */
export type Attributes = Record<string, unknown>;

interface StateFile {
  version: number;
  outputs?: Record<string, { value: unknown }>;
  resources?: Array<{ mode: string; type: string; name: string; instances: Array<{ attributes: Attributes }> }>;
}

export class TerraformState {
  private constructor(
    readonly file: string,
    private readonly state: StateFile,
  ) {}

  static read(file: string): TerraformState {
    const state = JSON.parse(readFileSync(file, "utf8")) as StateFile;
    if (state.version !== 4) throw new ManifestError(`${file} is Terraform state version ${state.version}; the sandbox reads version 4`);
    return new TerraformState(file, state);
  }

  /** Attributes of every managed resource of `type`. */
  resources(type: string): Attributes[] {
    return (this.state.resources ?? []).filter((r) => r.mode === "managed" && r.type === type).flatMap((r) => r.instances.map((i) => i.attributes));
  }

  /** The only resource of `type` whose attributes match `where`; fails when there is none or several. */
  one(type: string, where: (attributes: Attributes) => boolean = () => true): Attributes {
    const found = this.resources(type).filter(where);
    if (found.length !== 1) throw new ManifestError(`Expected one ${type} in ${this.file}, found ${found.length}`);
    return found[0] as Attributes;
  }

  output<T>(name: string): T {
    const output = this.state.outputs?.[name];
    if (output === undefined) throw new ManifestError(`Output ${name} is missing from ${this.file}`);
    return output.value as T;
  }
}

/** A string attribute, or the error naming what is missing. */
export function str(attributes: Attributes, key: string): string {
  const value = attributes[key];
  if (typeof value !== "string") throw new ManifestError(`Attribute ${key} is not a string (${JSON.stringify(value)})`);
  return value;
}

export function num(attributes: Attributes, key: string): number {
  const value = attributes[key];
  if (typeof value !== "number") throw new ManifestError(`Attribute ${key} is not a number (${JSON.stringify(value)})`);
  return value;
}

/** The single element of a nested block (Terraform stores blocks as lists), or undefined. */
export function block(attributes: Attributes, key: string): Attributes | undefined {
  const value = attributes[key];
  return Array.isArray(value) && value.length > 0 ? (value[0] as Attributes) : undefined;
}
