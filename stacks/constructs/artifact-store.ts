import { Construct } from "constructs";
import { Lazy } from "cdktf";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { type Arns, type PolicyStatement, policyDocument } from "../iam";

/** KMS actions needed to read and write objects encrypted with the key. */
export const KEY_USE_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"];
/** KMS actions needed only to read. */
export const KEY_READ_ACTIONS = ["kms:Decrypt", "kms:DescribeKey"];

const KEY_ADMIN_ACTIONS = [
  "kms:CancelKeyDeletion",
  "kms:Create*",
  "kms:Delete*",
  "kms:Describe*",
  "kms:Disable*",
  "kms:Enable*",
  "kms:Get*",
  "kms:List*",
  "kms:Put*",
  "kms:Revoke*",
  "kms:RotateKeyOnDemand",
  "kms:ScheduleKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:Update*",
];

/** The roles of one dev or prod account that deploy from the store: both only read it. */
export interface TargetAccountAccess {
  /** "dev", "prod" or "preview": used in statement ids. */
  readonly name: string;
  /** Role the pipeline assumes there; reads the input artifacts of its actions. */
  readonly deployRoleArn: string;
  /** Role CloudFormation acts as there; reads packaged code. */
  readonly cloudFormationExecutionRoleArn: string;
}

/** Which side of the build account a store (or role) belongs to: main's, or the pull requests'. */
export type TrustZone = "main" | "pr";

/** The tag that marks a resource's trust zone; the security rules read it. */
export const TRUST_ZONE_TAG = "pipewright:trust-zone";

export interface ArtifactStoreProps {
  /** ARNs of the build account. */
  readonly arns: Arns;
  /** Bucket name; must be globally unique. */
  readonly bucketName: string;
  /** Alias of the key, e.g. `alias/pipewright-artifacts`. */
  readonly keyAlias: string;
  /** Principal that administers the key (the role Terraform runs as), so the key can never lock itself out. */
  readonly keyAdministratorArn: string;
  /** Build-account roles that read and write artifacts (pipeline, CodeBuild): the only writers. */
  readonly readWriteRoles: readonly IamRole[];
  /** Whose store this is; tags the key and the bucket. */
  readonly zone: TrustZone;
  /**
   * Dev and prod roles granted the cross-account read access deployments need.
   * Empty on the bootstrap apply, before those roles exist: KMS and S3 reject
   * policies that name principals that do not exist.
   * @default none
   */
  readonly targetAccounts?: readonly TargetAccountAccess[];
  /** Days until current artifacts expire. @default 30 */
  readonly retentionDays?: number;
  /** Days until replaced (noncurrent) artifact versions expire. @default 7 */
  readonly noncurrentRetentionDays?: number;
}

/**
 * An artifact store of the build account: a customer-managed KMS key and an
 * S3 bucket encrypted with it. Only the given build-account roles write it;
 * the target accounts' deploy and CloudFormation roles only read it. Main
 * and the pull requests each have one, with their own key.
 */
export class ArtifactStore extends Construct {
  readonly key: KmsKey;
  readonly alias: KmsAlias;
  readonly bucket: S3Bucket;
  private readonly extraKeyStatements: PolicyStatement[] = [];
  /** ARNs of the account that holds the store. */
  readonly arns: Arns;

  constructor(scope: Construct, id: string, props: ArtifactStoreProps) {
    super(scope, id);
    const retentionDays = props.retentionDays ?? 30;
    const noncurrentRetentionDays = props.noncurrentRetentionDays ?? 7;
    if (!Number.isInteger(retentionDays) || retentionDays < 1) {
      throw new Error(`ArtifactStore: retentionDays must be a whole number of days >= 1, got ${retentionDays}`);
    }
    if (!Number.isInteger(noncurrentRetentionDays) || noncurrentRetentionDays < 1) {
      throw new Error(`ArtifactStore: noncurrentRetentionDays must be a whole number of days >= 1, got ${noncurrentRetentionDays}`);
    }
    if (props.readWriteRoles.length === 0) {
      throw new Error("ArtifactStore: readWriteRoles is empty; name the pipeline and CodeBuild roles, or the artifacts are unusable");
    }
    if (!props.keyAlias.startsWith("alias/")) {
      throw new Error(`ArtifactStore: keyAlias must start with "alias/", got "${props.keyAlias}"`);
    }
    this.arns = props.arns;
    const targets = props.targetAccounts ?? [];

    const tags = { [TRUST_ZONE_TAG]: props.zone };
    this.key = new KmsKey(this, "key", {
      description: `Encrypts the ${props.bucketName} pipeline artifacts`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      tags,
      policy: Lazy.stringValue({
        produce: () => policyDocument([...this.baseKeyStatements(props, targets), ...this.extraKeyStatements]),
      }),
    });
    this.alias = new KmsAlias(this, "alias", { name: props.keyAlias, targetKeyId: this.key.keyId });

    this.bucket = new S3Bucket(this, "bucket", { bucket: props.bucketName, tags });
    const bucket = this.bucket.id;
    new S3BucketOwnershipControls(this, "ownership", {
      bucket,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    new S3BucketPublicAccessBlock(this, "public-access-block", {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketVersioningA(this, "versioning", { bucket, versioningConfiguration: { status: "Enabled" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: this.key.arn },
          bucketKeyEnabled: true,
        },
      ],
    });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket,
      rule: [
        {
          id: "expire-artifacts",
          status: "Enabled",
          filter: [{ prefix: "" }],
          expiration: [{ days: retentionDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: noncurrentRetentionDays }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
        {
          id: "remove-expired-delete-markers",
          status: "Enabled",
          filter: [{ prefix: "" }],
          expiration: [{ expiredObjectDeleteMarker: true }],
        },
      ],
    });
    new S3BucketPolicy(this, "policy", {
      bucket,
      policy: policyDocument(this.bucketStatements(targets)),
    });

    for (const [index, role] of props.readWriteRoles.entries()) this.grantReadWrite(role, `role-${index}`);
  }

  /** Adds a statement to the key policy, e.g. for a service that encrypts with the key. */
  addToKeyPolicy(statement: PolicyStatement): void {
    this.extraKeyStatements.push(statement);
  }

  /**
   * Lets roles use the key, but only through the named AWS services (for
   * example `secretsmanager`, `dynamodb`), and grants it on the roles too.
   */
  grantKeyUseVia(id: string, roles: readonly IamRole[], services: readonly string[]): void {
    if (roles.length === 0 || services.length === 0) {
      throw new Error(`ArtifactStore.grantKeyUseVia(${id}): roles and services must not be empty`);
    }
    const viaServices = services.map((service) => `${service}.${this.arns.region}.amazonaws.com`);
    const condition = { StringEquals: { "kms:ViaService": viaServices } };
    this.addToKeyPolicy({
      Sid: id,
      Effect: "Allow",
      Principal: { AWS: roles.map((r) => r.arn) },
      Action: KEY_USE_ACTIONS,
      Resource: "*",
      Condition: condition,
    });
    for (const [index, role] of roles.entries()) {
      new IamRolePolicy(this, `${id}-${index}`, {
        role: role.name,
        name: `platform-key-${id}`,
        policy: policyDocument([{ Sid: "PlatformKey", Effect: "Allow", Action: KEY_USE_ACTIONS, Resource: this.key.arn, Condition: condition }]),
      });
    }
  }

  /**
   * Lets an AWS service principal (e.g. EventBridge writing to an encrypted
   * dead-letter queue) use the key on behalf of the given resources only.
   */
  grantKeyUseToService(id: string, servicePrincipal: string, sourceArns: readonly string[]): void {
    if (sourceArns.length === 0) throw new Error(`ArtifactStore.grantKeyUseToService(${id}): sourceArns must not be empty`);
    this.addToKeyPolicy({
      Sid: id,
      Effect: "Allow",
      Principal: { Service: servicePrincipal },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
      Condition: { ArnLike: { "aws:SourceArn": sourceArns } },
    });
  }

  /** Lets a build-account role read and write artifacts, through an inline policy on the role. */
  grantReadWrite(role: IamRole, id: string): IamRolePolicy {
    return new IamRolePolicy(this, `${id}-read-write`, {
      role: role.name,
      name: "artifact-store-read-write",
      policy: policyDocument([
        {
          Sid: "ArtifactObjects",
          Effect: "Allow",
          Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
          Resource: this.arns.objects(this.bucket.bucket),
        },
        {
          Sid: "ArtifactBucket",
          Effect: "Allow",
          Action: ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"],
          Resource: this.bucket.arn,
        },
        { Sid: "ArtifactKey", Effect: "Allow", Action: KEY_USE_ACTIONS, Resource: this.key.arn },
      ]),
    });
  }

  private baseKeyStatements(props: ArtifactStoreProps, targets: readonly TargetAccountAccess[]): PolicyStatement[] {
    const statements: PolicyStatement[] = [
      {
        Sid: "KeyAdministration",
        Effect: "Allow",
        Principal: { AWS: props.keyAdministratorArn },
        Action: KEY_ADMIN_ACTIONS,
        Resource: "*",
      },
      {
        Sid: "BuildAccountUse",
        Effect: "Allow",
        Principal: { AWS: props.readWriteRoles.map((r) => r.arn) },
        Action: KEY_USE_ACTIONS,
        Resource: "*",
      },
    ];
    // Target roles decrypt only through S3, reading artifacts.
    const viaS3 = { StringEquals: { "kms:ViaService": `s3.${this.arns.region}.amazonaws.com` } };
    for (const target of targets) {
      statements.push(
        {
          Sid: `${capitalize(target.name)}DeployRoleRead`,
          Effect: "Allow",
          Principal: { AWS: target.deployRoleArn },
          Action: KEY_READ_ACTIONS,
          Resource: "*",
          Condition: viaS3,
        },
        {
          Sid: `${capitalize(target.name)}CloudFormationRead`,
          Effect: "Allow",
          Principal: { AWS: target.cloudFormationExecutionRoleArn },
          Action: KEY_READ_ACTIONS,
          Resource: "*",
          Condition: viaS3,
        },
      );
    }
    return statements;
  }

  private bucketStatements(targets: readonly TargetAccountAccess[]): PolicyStatement[] {
    const bucketArn = this.bucket.arn;
    const objects = `${this.bucket.arn}/*`;
    const statements: PolicyStatement[] = [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, objects],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "DenyUnencryptedPuts",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: objects,
        Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } },
      },
      {
        Sid: "DenyOtherKeys",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: objects,
        Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": this.key.arn } },
      },
    ];
    if (targets.length > 0) {
      statements.push(
        {
          // Deploy actions only read their input artifacts: whoever holds a target account must not rewrite what the next stage deploys.
          Sid: "TargetDeployRolesObjects",
          Effect: "Allow",
          Principal: { AWS: targets.map((t) => t.deployRoleArn) },
          Action: ["s3:GetObject", "s3:GetObjectVersion"],
          Resource: objects,
        },
        {
          Sid: "TargetDeployRolesBucket",
          Effect: "Allow",
          Principal: { AWS: targets.map((t) => t.deployRoleArn) },
          Action: ["s3:GetBucketLocation", "s3:ListBucket"],
          Resource: bucketArn,
        },
        {
          Sid: "TargetCloudFormationRead",
          Effect: "Allow",
          Principal: { AWS: targets.map((t) => t.cloudFormationExecutionRoleArn) },
          Action: ["s3:GetObject", "s3:GetObjectVersion"],
          Resource: objects,
        },
      );
    }
    return statements;
  }
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
