import { configWith, exampleConfig, synthPlatform } from "../support/synth";

describe("platform stacks", () => {
  const stacks = synthPlatform();
  const ids = ["build", "dev", "prod"] as const;
  const config = exampleConfig();

  it.each(ids)("the %s stack assumes the configured role in its own account, with default tags", (id) => {
    const [provider] = stacks[id].provider.aws;
    expect(provider).toMatchObject({
      region: "eu-west-1",
      allowed_account_ids: [config.accounts[id].accountId],
      assume_role: [{ role_arn: config.accounts[id].provisioningRoleArn, session_name: `pipewright-${id}` }],
      default_tags: [{ tags: { project: "pipewright", "pipewright:stack": id, "cost-center": "platform" } }],
    });
  });

  it.each(ids)("the %s stack hard-codes no partition and no Region outside its provider", (id) => {
    const { provider: _provider, terraform: _terraform, ...rest } = stacks[id];
    // ARNs given in the configuration (provisioning roles, the connection) are the user's to write.
    const connection = config.github.connection;
    const configured = [...ids.map((account) => config.accounts[account].provisioningRoleArn), "arn" in connection ? connection.arn : ""];
    const text = configured.reduce((t, arn) => t.split(arn).join("<configured>"), JSON.stringify(rest));
    expect(text.match(/arn:aws(-cn|-us-gov)?:[^"\\]*/g)).toBeNull();
    // The Region may appear in names derived from configuration, never as an ARN's Region field.
    expect(text.match(/arn:[^:"\\]*:[^:"\\]*:eu-west-1:[^"\\]*/g)).toBeNull();
  });

  it("uses an S3 backend with S3-native locking when configured", () => {
    const s3 = synthPlatform(
      configWith((c) => {
        c.backend = { type: "s3", bucket: "team-tf-state", keyPrefix: "platform", roleArn: "arn:aws:iam::111111111111:role/state" };
      }),
    );
    expect(s3.dev.terraform.backend.s3).toEqual({
      bucket: "team-tf-state",
      key: "platform/dev.tfstate",
      region: "eu-west-1",
      encrypt: true,
      use_lockfile: true,
      assume_role: { role_arn: "arn:aws:iam::111111111111:role/state" },
    });
    expect(s3.build.terraform.backend.s3.key).toBe("platform/build.tfstate");
  });

  it("derives the names the accounts share from configuration", () => {
    const other = synthPlatform(configWith((c) => (c.projectName = "shop-ci")));
    expect(JSON.stringify(other.dev)).toContain(":role/shop-ci-pipeline");
    expect(JSON.stringify(other.build)).toContain("shop-ci-artifacts-111111111111-eu-west-1");
  });
});
