import { App } from "cdktf";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { containerBuildspec } from "../../stacks/container-buildspec";
import { addPlatformStacks } from "../../stacks/platform";
import { configWith } from "../support/synth";
import { requireTerraform, terraformEnv, validateStack } from "../support/terraform";

describe("terraform validate", () => {
  let outdir: string;
  const env = terraformEnv();

  beforeAll(async () => {
    await requireTerraform();
    outdir = mkdtempSync(path.join(tmpdir(), "pipewright-synth-"));
    const app = new App({ outdir, skipValidation: false });
    // The example with the Slack app on: every kind of resource the stacks can make, in one run.
    const config = configWith((c) => {
      c.notifications.slack = { mode: "bot", channel: "C0SANDBOX01" };
      c.approvers.slackUserIds = ["U0APPROVER1"];
    });
    addPlatformStacks(app, config);
    app.synth();
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it.each(["build", "dev", "prod"])("accepts the synthesized %s stack", async (id) => {
    const dir = path.join(outdir, "stacks", id);
    const result = await validateStack(dir, env);
    expect(result.diagnostics).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("hands CodeBuild the container buildspec exactly: Terraform takes its shell text literally", async () => {
    const stack = JSON.parse(readFileSync(path.join(outdir, "stacks", "build", "cdk.tf.json"), "utf8"));
    const [name, project] =
      Object.entries<any>(stack.resource.aws_codebuild_project).find(([key]) => key.startsWith("pipeline-storefront_build_")) ?? [];
    expect(name).toBeDefined();
    // The same string, as what Terraform evaluates it to: an output of a configuration without providers.
    const dir = path.join(outdir, "literal");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ output: { buildspec: { value: project.source.buildspec } } }));
    const run = promisify(execFile);
    await run("terraform", ["init", "-input=false", "-no-color"], { cwd: dir, env });
    await run("terraform", ["apply", "-auto-approve", "-input=false", "-no-color"], { cwd: dir, env });
    const { stdout } = await run("terraform", ["output", "-raw", "buildspec"], { cwd: dir, env });
    expect(JSON.parse(stdout)).toEqual(containerBuildspec());
  });

  it("keeps every stack's local state outside the synth output, in the project folder", () => {
    for (const id of ["build", "dev", "prod"]) {
      const stack = JSON.parse(readFileSync(path.join(outdir, "stacks", id, "cdk.tf.json"), "utf8"));
      expect(stack.terraform.backend.local.path).toBe(`../../../terraform.${id}.tfstate`);
    }
  });
});
