/** The subset of the IAM policy language pipewright writes. */
export type ConditionBlock = Record<string, Record<string, string | readonly string[] | boolean>>;

export type Principal = { readonly AWS: string | readonly string[] } | { readonly Service: string | readonly string[] };

interface StatementBase {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: Principal | "*";
  readonly Resource?: string | readonly string[];
  readonly Condition?: ConditionBlock;
}

/** A statement names its actions, or (only to deny) every action but some. */
export type PolicyStatement =
  | (StatementBase & { readonly Action: string | readonly string[] })
  | (StatementBase & { readonly Effect: "Deny"; readonly NotAction: string | readonly string[] });

/** Renders statements as a policy document string (tokens inside survive). */
export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/**
 * A trust policy letting an AWS service assume a role, only on behalf of
 * `sourceAccount` and, when given, only for these resources of it (the
 * service's confused-deputy protection: another project of the same service
 * cannot run as the role).
 */
export function serviceTrustPolicy(service: string, sourceAccount: string, sourceArns?: readonly string[]): string {
  const condition: ConditionBlock = { StringEquals: { "aws:SourceAccount": sourceAccount } };
  if (sourceArns !== undefined) {
    if (sourceArns.length === 0) throw new Error(`serviceTrustPolicy(${service}): sourceArns is empty; no resource could use the role`);
    condition.ArnLike = { "aws:SourceArn": sourceArns };
  }
  return policyDocument([{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole", Condition: condition }]);
}

/**
 * Builds ARNs for one partition, Region and account. The partition and
 * account usually come from Terraform data sources, so nothing is hard-coded.
 */
export class Arns {
  constructor(
    readonly partition: string,
    readonly region: string,
    readonly accountId: string,
  ) {}

  /** The same partition and Region, another account. */
  inAccount(accountId: string): Arns {
    return new Arns(this.partition, this.region, accountId);
  }

  role(name: string): string {
    return `arn:${this.partition}:iam::${this.accountId}:role/${name}`;
  }

  bucket(name: string): string {
    return `arn:${this.partition}:s3:::${name}`;
  }

  objects(bucketName: string, prefix = ""): string {
    return `arn:${this.partition}:s3:::${bucketName}/${prefix}*`;
  }

  /** Any KMS key of the account and Region; pair it with a condition. */
  anyKey(): string {
    return `arn:${this.partition}:kms:${this.region}:${this.accountId}:key/*`;
  }

  logGroup(name: string): string {
    return `arn:${this.partition}:logs:${this.region}:${this.accountId}:log-group:${name}`;
  }

  /** `service` resources of this account and Region: `arn:<p>:<service>:<region>:<account>:<resource>`. */
  regional(service: string, resource: string): string {
    return `arn:${this.partition}:${service}:${this.region}:${this.accountId}:${resource}`;
  }

  /** IAM resources (global): `arn:<p>:iam::<account>:<resource>`. */
  global(service: string, resource: string): string {
    return `arn:${this.partition}:${service}::${this.accountId}:${resource}`;
  }
}
