import { Testing } from "cdktf";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { ArtifactStore, type ArtifactStoreProps } from "../../stacks/constructs/artifact-store";
import { Arns } from "../../stacks/iam";
import { configWith, resourceAt, statement, statementsOf, synthPlatform } from "../support/synth";

const arns = new Arns("aws", "eu-west-1", "111111111111");
const DEV = {
  name: "dev",
  deployRoleArn: "arn:aws:iam::222222222222:role/p-deploy",
  cloudFormationExecutionRoleArn: "arn:aws:iam::222222222222:role/p-cfn-exec",
};

function synthStore(overrides: Partial<ArtifactStoreProps> = {}): string {
  return Testing.synthScope((scope) => {
    const role = new IamRole(scope, "pipeline", { name: "p-pipeline", assumeRolePolicy: "{}" });
    new ArtifactStore(scope, "store", {
      arns,
      bucketName: "p-artifacts",
      keyAlias: "alias/p-artifacts",
      keyAdministratorArn: "arn:aws:iam::111111111111:role/admin",
      readWriteRoles: [role],
      zone: "main",
      targetAccounts: [DEV],
      ...overrides,
    });
  });
}

describe("ArtifactStore", () => {
  it("encrypts the bucket with its own rotating key and a bucket key", () => {
    const synth = synthStore();
    expect(synth).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true });
    expect(synth).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [
        {
          apply_server_side_encryption_by_default: {
            sse_algorithm: "aws:kms",
            kms_master_key_id: expect.stringMatching(/^\$\{aws_kms_key\.store_key_\w+\.arn\}$/),
          },
          bucket_key_enabled: true,
        },
      ],
    });
  });

  it("versions the bucket, blocks public access and enforces bucket-owner ownership", () => {
    const synth = synthStore();
    expect(synth).toHaveResourceWithProperties(S3Bucket, { bucket: "p-artifacts" });
    expect(synth).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: "Enabled" } });
    expect(synth).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(synth).toHaveResourceWithProperties(S3BucketOwnershipControls, { rule: { object_ownership: "BucketOwnerEnforced" } });
  });

  it("expires old and noncurrent artifacts and aborts incomplete uploads", () => {
    expect(synthStore({ retentionDays: 14, noncurrentRetentionDays: 3 })).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
      rule: expect.arrayContaining([
        expect.objectContaining({
          status: "Enabled",
          expiration: [{ days: 14 }],
          noncurrent_version_expiration: [{ noncurrent_days: 3 }],
          abort_incomplete_multipart_upload: [{ days_after_initiation: 1 }],
        }),
        expect.objectContaining({ expiration: [{ expired_object_delete_marker: true }] }),
      ]),
    });
  });

  it("names exact principals in the key policy, never a wildcard", () => {
    const key = Object.values<any>(JSON.parse(synthStore()).resource.aws_kms_key)[0];
    const principals = statementsOf(key.policy).flatMap((s: any) => [s.Principal.AWS].flat());
    expect(principals).toEqual([
      "arn:aws:iam::111111111111:role/admin",
      "${aws_iam_role.pipeline.arn}",
      DEV.deployRoleArn,
      DEV.cloudFormationExecutionRoleArn,
    ]);
    expect(statement(key.policy, "DevCloudFormationRead").Action).toEqual(["kms:Decrypt", "kms:DescribeKey"]);
  });

  it("denies non-TLS requests and puts not encrypted with its key", () => {
    const policy = Object.values<any>(JSON.parse(synthStore()).resource.aws_s3_bucket_policy)[0].policy;
    expect(statement(policy, "DenyInsecureTransport")).toMatchObject({
      Effect: "Deny",
      Action: "s3:*",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    expect(statement(policy, "DenyUnencryptedPuts")).toMatchObject({
      Effect: "Deny",
      Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } },
    });
    expect(statement(policy, "DenyOtherKeys").Condition.StringNotEqualsIfExists["s3:x-amz-server-side-encryption-aws-kms-key-id"]).toMatch(
      /^\$\{aws_kms_key\.store_key_\w+\.arn\}$/,
    );
  });

  it("lets the target roles only read: whoever holds a target account cannot rewrite what a later stage deploys", () => {
    const resources = JSON.parse(synthStore()).resource;
    const policy = Object.values<any>(resources.aws_s3_bucket_policy)[0].policy;
    expect(statement(policy, "TargetDeployRolesObjects")).toMatchObject({
      Principal: { AWS: [DEV.deployRoleArn] },
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
    });
    const keyPolicy = Object.values<any>(resources.aws_kms_key)[0].policy;
    expect(statement(keyPolicy, "DevDeployRoleRead")).toMatchObject({
      Principal: { AWS: DEV.deployRoleArn },
      Action: ["kms:Decrypt", "kms:DescribeKey"],
      Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
    });
    const granted = statementsOf(policy)
      .concat(statementsOf(keyPolicy))
      .filter((s: any) => s.Effect === "Allow" && JSON.stringify(s.Principal).includes("222222222222"));
    expect(granted.flatMap((s: any) => [s.Action].flat()).filter((a: string) => /Put|Delete|Encrypt|GenerateDataKey/.test(a))).toEqual([]);
    expect(statement(policy, "TargetCloudFormationRead")).toMatchObject({
      Principal: { AWS: [DEV.cloudFormationExecutionRoleArn] },
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
    });
  });

  it("leaves target roles out while bootstrapping, when they do not exist yet", () => {
    const resources = JSON.parse(synthStore({ targetAccounts: [] })).resource;
    const keyPolicy = Object.values<any>(resources.aws_kms_key)[0].policy;
    const bucketPolicy = Object.values<any>(resources.aws_s3_bucket_policy)[0].policy;
    expect(keyPolicy).not.toContain("222222222222");
    expect(bucketPolicy).not.toContain("222222222222");
  });

  it("grants its read-write roles the bucket, its objects and the key", () => {
    const policy = Object.values<any>(JSON.parse(synthStore()).resource.aws_iam_role_policy)[0].policy;
    expect(statement(policy, "ArtifactObjects").Resource).toMatch(/^arn:aws:s3:::\$\{aws_s3_bucket\.store_bucket_\w+\.bucket\}\/\*$/);
    expect(statement(policy, "ArtifactKey").Resource).toMatch(/^\$\{aws_kms_key\.store_key_\w+\.arn\}$/);
  });

  it.each<[string, Partial<ArtifactStoreProps>, RegExp]>([
    ["retentionDays", { retentionDays: 0 }, /ArtifactStore: retentionDays must be a whole number of days >= 1, got 0/],
    ["noncurrentRetentionDays", { noncurrentRetentionDays: 1.5 }, /noncurrentRetentionDays must be/],
    ["readWriteRoles", { readWriteRoles: [] }, /readWriteRoles is empty/],
    ["keyAlias", { keyAlias: "p-artifacts" }, /keyAlias must start with "alias\/"/],
  ])("rejects a bad %s, naming it", (_prop, overrides, message) => {
    expect(() => synthStore(overrides)).toThrow(message);
  });

  it("refers to the key by ARN in the build stack and shares it with both target accounts", () => {
    const { build } = synthPlatform(configWith(() => undefined));
    const key = resourceAt(build, "aws_kms_key", "artifact-store/key");
    const sids = statementsOf(key.policy).map((s: any) => s.Sid);
    expect(sids.slice(0, 6)).toEqual([
      "KeyAdministration",
      "BuildAccountUse",
      "DevDeployRoleRead",
      "DevCloudFormationRead",
      "ProdDeployRoleRead",
      "ProdCloudFormationRead",
    ]);
    expect(statement(key.policy, "ProdDeployRoleRead").Principal.AWS).toBe(
      "arn:${data.aws_partition.partition.partition}:iam::333333333333:role/pipewright-deploy",
    );
  });

  it("gives the pull requests a store of their own: its own key, written only by the PR roles, read only by dev's preview roles", () => {
    const { build } = synthPlatform();
    const key = resourceAt(build, "aws_kms_key", "pr-artifact-store/key");
    expect(key.tags).toEqual({ "pipewright:trust-zone": "pr" });
    expect(resourceAt(build, "aws_kms_key", "artifact-store/key").tags).toEqual({ "pipewright:trust-zone": "main" });
    expect(statement(key.policy, "BuildAccountUse").Principal.AWS).toEqual([
      expect.stringMatching(/^\$\{aws_iam_role\.pr-pipeline-roles_pipeline_\w+\.arn\}$/),
      expect.stringMatching(/^\$\{aws_iam_role\.pr-pipeline-roles_codebuild_\w+\.arn\}$/),
    ]);
    expect(statement(key.policy, "PreviewDeployRoleRead").Principal.AWS).toBe(
      "arn:${data.aws_partition.partition.partition}:iam::222222222222:role/pipewright-preview-deploy",
    );
    const bucket = resourceAt(build, "aws_s3_bucket", "pr-artifact-store/bucket");
    expect(bucket.bucket).toBe("pipewright-pr-artifacts-111111111111-eu-west-1");
    const bucketPolicy = resourceAt(build, "aws_s3_bucket_policy", "pr-artifact-store/policy").policy;
    expect(statement(bucketPolicy, "TargetCloudFormationRead").Principal.AWS).toEqual([
      "arn:${data.aws_partition.partition.partition}:iam::222222222222:role/pipewright-preview-cfn-exec",
    ]);
    expect(bucketPolicy).not.toContain("333333333333");
  });
});
