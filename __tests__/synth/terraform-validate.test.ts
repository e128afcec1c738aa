import { App } from "cdktf";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
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

  it("keeps every stack's local state outside the synth output, in the project folder", () => {
    for (const id of ["build", "dev", "prod"]) {
      const stack = JSON.parse(readFileSync(path.join(outdir, "stacks", id, "cdk.tf.json"), "utf8"));
      expect(stack.terraform.backend.local.path).toBe(`../../../terraform.${id}.tfstate`);
    }
  });
});
