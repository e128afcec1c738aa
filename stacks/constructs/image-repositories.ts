import { Construct } from "constructs";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { EcrRepositoryPolicy } from "@cdktf/provider-aws/lib/ecr-repository-policy";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { type PolicyStatement, policyDocument } from "../iam";
import { type ArtifactStore, TRUST_ZONE_TAG, type TrustZone } from "./artifact-store";

/** What a role of another account needs to pull an image (its own policy adds ecr:GetAuthorizationToken). */
export const IMAGE_PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];

/** The actions that write an image into a repository. */
export const IMAGE_PUSH_ACTIONS = ["ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"];

/** What the build needs on its repositories: look a tag up, push, read the digest back. */
export const IMAGE_BUILD_ACTIONS = [
  "ecr:BatchCheckLayerAvailability",
  "ecr:BatchGetImage",
  "ecr:CompleteLayerUpload",
  "ecr:DescribeImages",
  "ecr:GetDownloadUrlForLayer",
  "ecr:InitiateLayerUpload",
  "ecr:PutImage",
  "ecr:UploadLayerPart",
];

/** When a repository's images expire. */
export type ImageExpiry =
  /** Only the most recent images stay: whatever runs, and the images a rollback goes back to. */
  | { readonly keepImages: number }
  /** Images expire this many days after their push. */
  | { readonly maxAgeDays: number };

export interface ImageRepositoryProps {
  /** The service the repository is for: the key of `ImageRepositories.repositories` and part of construct ids. */
  readonly service: string;
  /** Repository name, e.g. `pipewright/storefront`. */
  readonly name: string;
  /** When images expire. */
  readonly expiry: ImageExpiry;
  /**
   * Roles of the target accounts that pull the images (exact ARNs). Empty on
   * the bootstrap apply, before those roles exist: ECR rejects a policy that
   * names a principal that does not exist.
   * @default none
   */
  readonly pullerArns?: readonly string[];
}

export interface ImageRepositoriesProps {
  /** Whose repositories these are; tags them. */
  readonly zone: TrustZone;
  /** The zone's artifact store, whose key encrypts the images. */
  readonly store: ArtifactStore;
  /** The key's administrator (the role Terraform runs as): it creates the repositories. */
  readonly keyAdministratorArn: string;
  /** The zone's CodeBuild role: the only principal that may push. */
  readonly pusher: IamRole;
  /** The repositories, one per container service. */
  readonly repositories: readonly ImageRepositoryProps[];
}

/**
 * The ECR repositories of one trust zone of the build account: one per
 * container service, encrypted with the zone's key, tags immutable, scanned on
 * push. Only the zone's CodeBuild role pushes (its policy allows it, the
 * repository policy denies everyone else); exactly the given roles of the
 * target accounts pull. One construct per zone, as one key and one pushing
 * role serve all its repositories: the key statement and the push policy
 * exist once and name every repository's ARN exactly.
 *
 * Pushers and pullers need no permission on the key: ECR encrypts and
 * decrypts the images through the grants it creates on the key when it
 * creates the repository (docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html).
 */
export class ImageRepositories extends Construct {
  /** The repositories, by service. */
  readonly repositories: ReadonlyMap<string, EcrRepository>;

  constructor(scope: Construct, id: string, props: ImageRepositoriesProps) {
    super(scope, id);
    if (props.repositories.length === 0) {
      throw new Error(`ImageRepositories ${id}: repositories is empty; create the construct only for container services`);
    }
    const tags = { [TRUST_ZONE_TAG]: props.zone };
    const repositories = new Map<string, EcrRepository>();
    for (const spec of props.repositories) {
      if (repositories.has(spec.service)) throw new Error(`ImageRepositories ${id}: service "${spec.service}" is listed twice`);
      const repository = new EcrRepository(this, `repository-${spec.service}`, {
        name: spec.name,
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: [{ encryptionType: "KMS", kmsKey: props.store.key.arn }],
        // Deleting a service from the configuration must not delete the images its running deployments pull.
        forceDelete: false,
        tags,
      });
      new EcrLifecyclePolicy(this, `lifecycle-${spec.service}`, {
        repository: repository.name,
        policy: JSON.stringify({ rules: [expiryRule(id, spec)] }),
      });
      new EcrRepositoryPolicy(this, `policy-${spec.service}`, {
        repository: repository.name,
        policy: policyDocument(repositoryStatements(spec.pullerArns ?? [], props.pusher)),
      });
      repositories.set(spec.service, repository);
    }
    this.repositories = repositories;

    // Creating a repository with the key makes ECR create grants on it as its creator, and deleting it retire them
    // (encryption-at-rest). kms:CreateGrant and kms:DescribeKey come with KeyAdministration (kms:Create*, kms:Describe*).
    props.store.addToKeyPolicy({
      Sid: "ImageRepositoryGrants",
      Effect: "Allow",
      Principal: { AWS: props.keyAdministratorArn },
      Action: "kms:RetireGrant",
      Resource: "*",
      Condition: { StringEquals: { "kms:ViaService": `ecr.${props.store.arns.region}.amazonaws.com` } },
    });

    new IamRolePolicy(this, "push", {
      role: props.pusher.name,
      name: "push-images",
      policy: policyDocument([
        { Sid: "RegistryLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
        { Sid: "PushImages", Effect: "Allow", Action: IMAGE_BUILD_ACTIONS, Resource: [...repositories.values()].map((r) => r.arn) },
      ]),
    });
  }

  /** The URI of a service's repository (`<account>.dkr.ecr.<region>.<domain>/<name>`). */
  uriOf(service: string): string {
    const repository = this.repositories.get(service);
    if (repository === undefined) throw new Error(`ImageRepositories: no repository for service "${service}"`);
    return repository.repositoryUrl;
  }
}

function expiryRule(id: string, spec: ImageRepositoryProps): Record<string, unknown> {
  const { expiry } = spec;
  if ("keepImages" in expiry) {
    if (!Number.isInteger(expiry.keepImages) || expiry.keepImages < 1) {
      throw new Error(`ImageRepositories ${id}: keepImages of "${spec.service}" must be a whole number >= 1, got ${expiry.keepImages}`);
    }
    return {
      rulePriority: 1,
      description: `Keep the ${expiry.keepImages} most recent images`,
      selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: expiry.keepImages },
      action: { type: "expire" },
    };
  }
  if (!Number.isInteger(expiry.maxAgeDays) || expiry.maxAgeDays < 1) {
    throw new Error(`ImageRepositories ${id}: maxAgeDays of "${spec.service}" must be a whole number of days >= 1, got ${expiry.maxAgeDays}`);
  }
  return {
    rulePriority: 1,
    description: `Expire images pushed more than ${expiry.maxAgeDays} days ago`,
    selection: { tagStatus: "any", countType: "sinceImagePushed", countUnit: "days", countNumber: expiry.maxAgeDays },
    action: { type: "expire" },
  };
}

function repositoryStatements(pullerArns: readonly string[], pusher: IamRole): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  if (pullerArns.length > 0) {
    statements.push({ Sid: "PullFromTargetAccounts", Effect: "Allow", Principal: { AWS: pullerArns }, Action: IMAGE_PULL_ACTIONS });
  }
  // Defence in depth: another principal of the build account whose own policy allows pushing still cannot.
  statements.push({
    Sid: "OnlyTheBuildPushes",
    Effect: "Deny",
    Principal: "*",
    Action: IMAGE_PUSH_ACTIONS,
    Condition: { ArnNotEquals: { "aws:PrincipalArn": pusher.arn } },
  });
  return statements;
}
