/**
 * Reading and checking the sample CloudFormation templates (templates/) in tests:
 * cfn-lint for real, and YAML read through cfn-lint's own loader (no YAML package
 * is installed for Node), which also turns the intrinsic short forms (!Ref, !Sub, ...)
 * into their JSON forms ({"Ref": ...}, {"Fn::Sub": ...}).
 *
 * Needs cfn-lint (Python; it brings aws-sam-translator and PyYAML): pip install cfn-lint.
 */
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "../..");
const INSTALL_HINT = "Fix: pip install cfn-lint";

export type Json = Record<string, any>;

/**
 * parse: the template as JSON;
 * transform: SAM's transform with the given parameter values, as CloudFormation runs it;
 * yaml: a plain YAML file (buildspecs) as JSON.
 */
const PYTHON_HELPER = `
import json, sys
mode, file = sys.argv[1], sys.argv[2]
if mode == "yaml":
    import yaml
    print(json.dumps(yaml.safe_load(open(file))))
    sys.exit(0)
from cfnlint.decode import cfn_yaml
template = json.loads(json.dumps(cfn_yaml.load(file)))
if mode == "parse":
    print(json.dumps(template))
    sys.exit(0)
from samtranslator.translator.transform import transform
class NoManagedPolicies:
    def load(self):
        return {}
for resource in template.get("Resources", {}).values():
    if resource.get("Type") == "AWS::Serverless::Function":
        # What aws cloudformation package puts there.
        resource["Properties"]["CodeUri"] = "s3://artifact-bucket/packages/app.zip"
print(json.dumps(transform(template, json.loads(sys.argv[3]), NoManagedPolicies())))
`;

function python(args: string[]): Json {
  const run = spawnSync("python3", ["-c", PYTHON_HELPER, ...args], {
    encoding: "utf8",
    env: { ...process.env, AWS_DEFAULT_REGION: "eu-west-1" },
    timeout: 60_000,
  });
  if (run.error) throw new Error(`python3 could not be run (${run.error.message}). ${INSTALL_HINT}`);
  if (run.status !== 0) {
    const missing = /No module named '(cfnlint|samtranslator|yaml)'/.exec(run.stderr);
    if (missing) throw new Error(`cfn-lint is not installed for python3 (no module ${missing[1]}). ${INSTALL_HINT}`);
    throw new Error(`python3 ${args[0]} ${args[1]} failed:\n${run.stderr}`);
  }
  return JSON.parse(run.stdout) as Json;
}

/** A CloudFormation template (YAML) as JSON, intrinsic functions in their long forms. */
export function parseTemplate(file: string): Json {
  return python(["parse", file]);
}

/** A SAM template as CloudFormation has it after the transform with these parameter values. */
export function samTransform(file: string, parameters: Record<string, string>): Json {
  return python(["transform", file, JSON.stringify(parameters)]);
}

/** A plain YAML file (a buildspec) as JSON. */
export function readYaml(file: string): Json {
  return python(["yaml", file]);
}

export function cfnLint(file: string): { status: number | null; findings: Json[] } {
  const run = spawnSync("cfn-lint", ["--format", "json", "--", file], { encoding: "utf8", timeout: 120_000 });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
    throw new Error(`cfn-lint is not installed (or not on the PATH). ${INSTALL_HINT}`);
  }
  if (run.error) throw run.error;
  let findings: Json[];
  try {
    findings = JSON.parse(run.stdout || "[]") as Json[];
  } catch {
    throw new Error(`cfn-lint printed something other than JSON (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  }
  return { status: run.status, findings };
}

export function describeFindings(findings: Json[]): string {
  return findings.map((f) => `${f.Rule?.Id} ${f.Location?.Path?.join("/") ?? ""} (line ${f.Location?.Start?.LineNumber}): ${f.Message}`).join("\n");
}

export type NodeRun = { status: number | null; output: string };

/** Runs node (this process's) from the repository root, with extra environment. */
export function runNode(args: string[], env: NodeJS.ProcessEnv = {}): NodeRun {
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** runNode without blocking this process: for a child that talks to a server this process waits on. */
export function runNodeAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<NodeRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env } });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("close", (status) => resolve({ status, output }));
  });
}
