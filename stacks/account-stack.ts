import type { Construct } from "constructs";
import { LocalBackend, S3Backend, TerraformStack } from "cdktf";
import { AwsProvider, type AwsProviderConfig } from "@cdktf/provider-aws/lib/provider";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import type { AccountName, PipewrightConfig } from "./config";
import { Arns } from "./iam";
import { PlatformNames } from "./names";

export interface AccountStackProps {
  /** The validated platform configuration. */
  readonly config: PipewrightConfig;
  /**
   * Provider settings merged over the defaults, for example emulator
   * endpoints in the sandbox.
   * @default none
   */
  readonly providerOverrides?: Partial<AwsProviderConfig>;
}

/**
 * A stack that provisions one of the three accounts: its own AWS provider
 * (assuming the configured role, pinned to the account id, default tags) and
 * its own state.
 */
export abstract class AccountStack extends TerraformStack {
  readonly config: PipewrightConfig;
  readonly names: PlatformNames;
  /** ARNs in this stack's account, partition and Region. */
  readonly arns: Arns;

  protected constructor(
    scope: Construct,
    readonly account: AccountName,
    props: AccountStackProps,
  ) {
    super(scope, account);
    const { config } = props;
    this.config = config;
    this.names = new PlatformNames(config);
    const { accountId, provisioningRoleArn } = config.accounts[account];

    new AwsProvider(this, "aws", {
      region: config.region,
      allowedAccountIds: [accountId],
      assumeRole: [{ roleArn: provisioningRoleArn, sessionName: `${config.projectName}-${account}` }],
      defaultTags: [{ tags: { ...config.tags, project: config.projectName, "pipewright:stack": account } }],
      ...props.providerOverrides,
    });
    this.configureBackend(config);

    // ARNs take partition and Region from the provider, so one codebase serves aws, aws-cn and aws-us-gov.
    const partition = new DataAwsPartition(this, "partition");
    const region = new DataAwsRegion(this, "region");
    this.arns = new Arns(partition.partition, region.name, accountId);
  }

  private configureBackend(config: PipewrightConfig): void {
    const { backend } = config;
    if (backend.type === "s3") {
      const s3 = new S3Backend(this, {
        bucket: backend.bucket,
        key: `${backend.keyPrefix ?? config.projectName}/${this.account}.tfstate`,
        region: backend.region ?? config.region,
        encrypt: true,
        ...(backend.roleArn ? { assumeRole: { roleArn: backend.roleArn } } : {}),
      });
      // S3-native locking (Terraform >= 1.10); cdktf 0.21 has no typed prop for it.
      s3.addOverride("use_lockfile", true);
      return;
    }
    // Relative to cdktf.out/stacks/<stack>: the state lives in the project folder, outside the synth output.
    new LocalBackend(this, { path: `../../../terraform.${this.account}.tfstate` });
  }
}
