/**
 * IaC security rules over synthesized Terraform JSON, in the spirit of
 * checkov/tfsec but tailored to what pipewright creates. Every stack of every
 * configuration the tests synthesize must produce no finding.
 */

/** What the rules need to know beyond one stack's JSON. */
export interface SecurityContext {
  /** Names of the build account's artifact buckets: no dev or prod identity may write them. */
  readonly artifactBuckets?: readonly string[];
}

export interface Finding {
  readonly rule: string;
  /** `<type>.<name>` of the offending resource. */
  readonly resource: string;
  readonly message: string;
}

type Json = Record<string, any>;
type Resources = Record<string, Record<string, Json>>;

interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/**
 * Actions that accept only `"Resource": "*"` (no resource-level permissions
 * in the AWS Service Authorization Reference).
 */
export const ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS: ReadonlySet<string> = new Set([
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
  "cloudwatch:PutMetricData",
  "codebuild:ListProjects",
  "codepipeline:ListPipelines",
  "codeconnections:ListConnections",
  "logs:CreateLogDelivery",
  "logs:GetLogDelivery",
  "logs:UpdateLogDelivery",
  "logs:DeleteLogDelivery",
  "logs:ListLogDeliveries",
  "logs:PutResourcePolicy",
  "logs:DescribeResourcePolicies",
  "logs:DescribeLogGroups",
  "sts:GetCallerIdentity",
  "tag:GetResources",
  // Container services' image pull roles and execution roles.
  "ecr:GetAuthorizationToken",
  "ecs:DeregisterTaskDefinition",
  "ecs:DescribeTaskDefinition",
  "elasticloadbalancing:DescribeCapacityReservation",
  "elasticloadbalancing:DescribeListenerAttributes",
  "elasticloadbalancing:DescribeListeners",
  "elasticloadbalancing:DescribeLoadBalancerAttributes",
  "elasticloadbalancing:DescribeLoadBalancers",
  "elasticloadbalancing:DescribeTags",
  "elasticloadbalancing:DescribeTargetGroupAttributes",
  "elasticloadbalancing:DescribeTargetGroups",
  "ec2:DescribeSecurityGroupRules",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeSubnets",
  "ec2:DescribeVpcs",
]);

const BROAD_MANAGED_POLICIES = /policy\/(AdministratorAccess|PowerUserAccess|IAMFullAccess|[A-Za-z]*FullAccess)$/;
const ACCOUNT_ROOT = /^(arn:[^:]*:iam::\d{12}:root|\d{12})$/;
const IDENTITY_POLICIES = ["aws_iam_role_policy", "aws_iam_policy", "aws_iam_user_policy", "aws_iam_group_policy"];
const RESOURCE_POLICIES: Record<string, string> = {
  aws_s3_bucket_policy: "policy",
  aws_kms_key: "policy",
  aws_sqs_queue_policy: "policy",
  aws_sns_topic_policy: "policy",
  aws_cloudwatch_event_bus_policy: "policy",
  aws_secretsmanager_secret_policy: "policy",
  aws_ecr_repository_policy: "policy",
};
/** One IAM role, named exactly (the partition may be a Terraform reference). */
const EXACT_ROLE_ARN = /^arn:[^:*]+:iam::\d{12}:role\/[\w+=,.@/-]+$/;

const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const block = (value: unknown): Json | undefined => (Array.isArray(value) ? value[0] : (value as Json | undefined));

/** IAM actions that create a role or change what it may do: allowed only with the platform's boundary as condition. */
const ROLE_SHAPING_ACTIONS = [
  "iam:CreateRole",
  "iam:PutRolePolicy",
  "iam:AttachRolePolicy",
  "iam:DetachRolePolicy",
  "iam:DeleteRolePolicy",
  "iam:PutRolePermissionsBoundary",
];
const S3_WRITE_ACTIONS = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:RestoreObject", "s3:PutObjectAcl"];
const KEY_WRITE_ACTIONS = ["kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptTo"];
const TRUST_ZONE = "pipewright:trust-zone";
/** An API Gateway source ARN that names one method and one path (any stage): `<execution ARN>/<stage>/POST/webhook`. */
const API_ROUTE_SOURCE = /\/(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\/[^*]*$/;

/** Whether an IAM action pattern (`iam:*`, `s3:Put*`, `*`) covers `action`. */
function covers(pattern: string, action: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
    "i",
  );
  return regex.test(action);
}

/** Findings for one synthesized stack (`cdk.tf.json` parsed). */
export function securityFindings(stack: Json, context: SecurityContext = {}): Finding[] {
  const resources: Resources = stack.resource ?? {};
  // Which account the stack provisions: its provider's default tag and allowed account id.
  const provider = block(stack.provider?.aws);
  const stackName: string | undefined = block(provider?.default_tags)?.tags?.["pipewright:stack"];
  const stackAccount: string | undefined = list<string>(provider?.allowed_account_ids)[0];
  const findings: Finding[] = [];
  const add = (rule: string, type: string, name: string, message: string) => findings.push({ rule, resource: `${type}.${name}`, message });
  const each = (type: string, fn: (name: string, r: Json) => void) =>
    Object.entries(resources[type] ?? {}).forEach(([name, r]) => {
      fn(name, r);
    });
  const policyOf = (type: string, name: string, text: unknown): Statement[] | undefined => {
    if (typeof text !== "string") {
      add("policy-unreadable", type, name, "policy is not a JSON string; write it with policyDocument() so it can be checked");
      return undefined;
    }
    try {
      return list(JSON.parse(text).Statement);
    } catch {
      add("policy-unreadable", type, name, "policy is not JSON; write it with policyDocument() so it can be checked");
      return undefined;
    }
  };
  /** Configuration resources (encryption, versioning, ...) that point at a bucket resource. */
  const forBucket = (type: string, bucketName: string): Json[] =>
    Object.values(resources[type] ?? {}).filter((r) => typeof r.bucket === "string" && r.bucket.startsWith(`\${aws_s3_bucket.${bucketName}.`));

  // S3
  each("aws_s3_bucket", (name) => {
    const sse = forBucket("aws_s3_bucket_server_side_encryption_configuration", name)
      .flatMap((c) => list(c.rule))
      .map((r: Json) => block(r.apply_server_side_encryption_by_default));
    if (!sse.some((d) => d?.sse_algorithm === "aws:kms" && d?.kms_master_key_id)) {
      add("s3-encryption", "aws_s3_bucket", name, "bucket has no SSE-KMS default encryption with a customer-managed key");
    }
    if (!forBucket("aws_s3_bucket_versioning", name).some((v) => block(v.versioning_configuration)?.status === "Enabled")) {
      add("s3-versioning", "aws_s3_bucket", name, "bucket versioning is not enabled");
    }
    const flags = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];
    if (!forBucket("aws_s3_bucket_public_access_block", name).some((b) => flags.every((f) => b[f] === true))) {
      add("s3-public-access-block", "aws_s3_bucket", name, "bucket lacks a public access block with all four flags");
    }
    const tlsOnly = forBucket("aws_s3_bucket_policy", name).some((p) => {
      const statements = policyOf("aws_s3_bucket_policy", name, p.policy) ?? [];
      return statements.some((s) => s.Effect === "Deny" && JSON.stringify(s.Condition ?? {}).includes('"aws:SecureTransport":"false"'));
    });
    if (!tlsOnly) add("s3-tls-only", "aws_s3_bucket", name, "bucket policy does not deny requests without TLS");
    if (forBucket("aws_s3_bucket_lifecycle_configuration", name).length === 0) {
      add("s3-lifecycle", "aws_s3_bucket", name, "bucket has no lifecycle configuration");
    }
  });

  // KMS
  each("aws_kms_key", (name, key) => {
    if (key.enable_key_rotation !== true) add("kms-rotation", "aws_kms_key", name, "key rotation is not enabled");
  });

  // Resource policies: no Allow to everyone
  for (const [type, attribute] of Object.entries(RESOURCE_POLICIES)) {
    each(type, (name, r) => {
      for (const s of policyOf(type, name, r[attribute]) ?? []) {
        if (s.Effect !== "Allow") continue;
        const principals = s.Principal === "*" ? ["*"] : list((s.Principal as Json | undefined)?.AWS);
        if (principals.includes("*")) add("wildcard-principal", type, name, `statement ${s.Sid ?? "?"} allows principal "*"`);
        if (s.NotPrincipal) add("wildcard-principal", type, name, `statement ${s.Sid ?? "?"} uses NotPrincipal with Allow`);
      }
    });
  }

  // ECR: images scanned, tags immutable, encrypted with a customer-managed key; pulled only by exactly named roles.
  each("aws_ecr_repository", (name, repository) => {
    if (block(repository.image_scanning_configuration)?.scan_on_push !== true) {
      add("ecr-scan-on-push", "aws_ecr_repository", name, "images are not scanned on push");
    }
    if (repository.image_tag_mutability !== "IMMUTABLE") {
      add("ecr-immutable-tags", "aws_ecr_repository", name, "tags are mutable: a tag could be made to point at another image");
    }
    const encryption = block(repository.encryption_configuration);
    if (encryption?.encryption_type !== "KMS" || !encryption?.kms_key) {
      add("ecr-encryption", "aws_ecr_repository", name, "repository is not encrypted with a customer-managed KMS key");
    }
  });
  each("aws_ecr_repository_policy", (name, r) => {
    for (const s of policyOf("aws_ecr_repository_policy", name, r.policy) ?? []) {
      if (s.Effect !== "Allow") continue;
      const principal = s.Principal as Json | "*" | undefined;
      const principals = principal === "*" ? ["*"] : list(principal?.AWS);
      if (principal === "*" || principal?.Service !== undefined || principals.length === 0) {
        add("ecr-policy-principal", "aws_ecr_repository_policy", name, `statement ${s.Sid ?? "?"} allows other principals than roles`);
      }
      for (const p of principals) {
        if (typeof p === "string" && ACCOUNT_ROOT.test(p)) {
          add("ecr-policy-principal", "aws_ecr_repository_policy", name, `statement ${s.Sid ?? "?"} allows the account root ${p}; name exact roles`);
        } else if (typeof p !== "string" || !EXACT_ROLE_ARN.test(p)) {
          add("ecr-policy-principal", "aws_ecr_repository_policy", name, `statement ${s.Sid ?? "?"} allows ${String(p)}, not one exactly named role`);
        }
      }
    }
  });

  // Permissions boundaries: the managed policies that role-shaping statements insist on. They cap
  // rather than grant, so service-wide actions are fine there; they must still deny identity changes.
  const boundaries = new Set<string>();
  const referencedBoundaries = JSON.stringify(resources).match(/\$\{aws_iam_policy\.([\w-]+)\.arn\}/g) ?? [];
  for (const type of IDENTITY_POLICIES) {
    each(type, (_name, r) => {
      const text = typeof r.policy === "string" ? r.policy : "";
      for (const reference of referencedBoundaries) {
        if (text.includes(`"iam:PermissionsBoundary":"${reference}"`)) boundaries.add(reference.slice("${aws_iam_policy.".length, -".arn}".length));
      }
    });
  }
  each("aws_iam_policy", (name, r) => {
    if (!boundaries.has(name)) return;
    const statements = policyOf("aws_iam_policy", name, r.policy) ?? [];
    for (const s of statements) {
      if (s.Effect === "Allow" && list(s.Action).includes("*"))
        add("boundary-allows-everything", "aws_iam_policy", name, `statement ${s.Sid ?? "?"} allows "*"`);
    }
    for (const service of ["iam", "organizations"]) {
      const denied = statements.some(
        (s) =>
          s.Effect === "Deny" &&
          list(s.Resource).includes("*") &&
          list(s.Action).some((a) => covers(a, `${service}:CreateRole`) || a === `${service}:*`),
      );
      if (!denied) add("boundary-without-deny", "aws_iam_policy", name, `the boundary does not deny ${service}:* on "*"`);
    }
  });

  // Identity policies
  for (const type of IDENTITY_POLICIES) {
    each(type, (name, r) => {
      if (type === "aws_iam_policy" && boundaries.has(name)) return;
      for (const s of policyOf(type, name, r.policy) ?? []) {
        checkIdentityStatement(s, (rule, message) => add(rule, type, name, message));
        checkRoleShaping(s, (rule, message) => add(rule, type, name, message));
        if (stackName !== undefined && stackName !== "build") {
          checkArtifactWrites(s, context.artifactBuckets ?? [], (rule, message) => add(rule, type, name, message));
        }
      }
    });
  }

  // Artifact stores in the build account: no other account may write them.
  if (stackAccount !== undefined) {
    const foreignWriters = (s: Statement, actions: readonly string[]) =>
      s.Effect === "Allow" &&
      list(s.Action).some((pattern) => actions.some((action) => covers(pattern, action))) &&
      list((s.Principal as Json | undefined)?.AWS).some(
        (p) => typeof p === "string" && /:iam::\d{12}:/.test(p) && !p.includes(`:iam::${stackAccount}:`),
      );
    each("aws_s3_bucket_policy", (name, r) => {
      for (const s of policyOf("aws_s3_bucket_policy", name, r.policy) ?? []) {
        if (foreignWriters(s, S3_WRITE_ACTIONS))
          add("artifacts-writable-by-target", "aws_s3_bucket_policy", name, `statement ${s.Sid ?? "?"} lets another account's role write objects`);
      }
    });
    each("aws_kms_key", (name, r) => {
      for (const s of policyOf("aws_kms_key", name, r.policy) ?? []) {
        if (foreignWriters(s, KEY_WRITE_ACTIONS))
          add("artifacts-writable-by-target", "aws_kms_key", name, `statement ${s.Sid ?? "?"} lets another account's role encrypt with the key`);
      }
    });
  }

  // Trust zones in the build account: PR identities never reach main's store or image repositories, main's never the PR ones.
  const zoneOf = (type: string, name: string): string | undefined => resources[type]?.[name]?.tags?.[TRUST_ZONE];
  const zoned = (type: string) => Object.keys(resources[type] ?? {}).filter((name) => zoneOf(type, name) !== undefined);
  const storeReferences = (zone: string) => [
    ...zoned("aws_s3_bucket")
      .filter((n) => zoneOf("aws_s3_bucket", n) === zone)
      .flatMap((n) => [`aws_s3_bucket.${n}.`, String(resources.aws_s3_bucket?.[n]?.bucket)]),
    ...zoned("aws_kms_key")
      .filter((n) => zoneOf("aws_kms_key", n) === zone)
      .map((n) => `aws_kms_key.${n}.`),
    ...zoned("aws_ecr_repository")
      .filter((n) => zoneOf("aws_ecr_repository", n) === zone)
      .map((n) => `aws_ecr_repository.${n}.`),
  ];
  const roleZones = new Map<string, string>();
  for (const role of zoned("aws_iam_role")) {
    roleZones.set(`\${aws_iam_role.${role}.name}`, zoneOf("aws_iam_role", role) as string);
    roleZones.set(String(resources.aws_iam_role?.[role]?.name), zoneOf("aws_iam_role", role) as string);
  }
  const otherZone = (zone: string) => (zone === "pr" ? "main" : "pr");
  each("aws_iam_role_policy", (name, r) => {
    const zone = roleZones.get(String(r.role));
    if (zone === undefined) return;
    const forbidden = storeReferences(otherZone(zone));
    for (const s of policyOf("aws_iam_role_policy", name, r.policy) ?? []) {
      if (s.Effect !== "Allow") continue;
      const reached = list(s.Resource).find((resource) => forbidden.some((reference) => resource.includes(reference)));
      if (reached !== undefined)
        add(
          "trust-zone-crossed",
          "aws_iam_role_policy",
          name,
          `a ${zone} role's statement ${s.Sid ?? "?"} reaches ${otherZone(zone)}'s store (${reached})`,
        );
    }
  });
  for (const [type, attribute] of [
    ["aws_s3_bucket_policy", "policy"],
    ["aws_kms_key", "policy"],
  ] as const) {
    each(type, (name, r) => {
      const bucketRef = type === "aws_s3_bucket_policy" ? /aws_s3_bucket\.([\w-]+)\./.exec(String(r.bucket))?.[1] : name;
      const zone = bucketRef === undefined ? undefined : zoneOf(type === "aws_s3_bucket_policy" ? "aws_s3_bucket" : "aws_kms_key", bucketRef);
      if (zone === undefined) return;
      for (const s of policyOf(type, name, r[attribute]) ?? []) {
        if (s.Effect !== "Allow") continue;
        const principals = list((s.Principal as Json | undefined)?.AWS).map(String);
        const crossing = principals.find((p) =>
          [...roleZones].some(
            ([reference, roleZone]) => roleZone !== zone && reference.startsWith("${") && p === reference.replace(".name}", ".arn}"),
          ),
        );
        if (crossing !== undefined)
          add("trust-zone-crossed", type, name, `${zone}'s store grants statement ${s.Sid ?? "?"} to a ${otherZone(zone)} role (${crossing})`);
      }
    });
  }

  // Trust policies and managed policies
  each("aws_iam_role", (name, role) => {
    for (const s of policyOf("aws_iam_role", name, role.assume_role_policy) ?? []) {
      if (s.Effect !== "Allow") continue;
      if (s.Principal === "*") add("trust-wildcard", "aws_iam_role", name, "trust policy allows any principal");
      for (const p of list((s.Principal as Json | undefined)?.AWS)) {
        if (p === "*") add("trust-wildcard", "aws_iam_role", name, "trust policy allows any principal");
        if (typeof p === "string" && ACCOUNT_ROOT.test(p)) {
          add("trust-account-root", "aws_iam_role", name, `trust policy trusts the account root ${p}; trust exact role ARNs`);
        }
      }
    }
    for (const arn of list<string>(role.managed_policy_arns)) {
      if (BROAD_MANAGED_POLICIES.test(arn)) add("broad-managed-policy", "aws_iam_role", name, `attaches ${arn}`);
    }
    if (role.inline_policy) add("policy-unreadable", "aws_iam_role", name, "use aws_iam_role_policy, not inline_policy blocks");
  });
  for (const type of [
    "aws_iam_role_policy_attachment",
    "aws_iam_policy_attachment",
    "aws_iam_user_policy_attachment",
    "aws_iam_group_policy_attachment",
  ]) {
    each(type, (name, r) => {
      if (BROAD_MANAGED_POLICIES.test(String(r.policy_arn))) add("broad-managed-policy", type, name, `attaches ${r.policy_arn}`);
    });
  }

  // Logs, encryption with the key, tracing, invoke permissions
  each("aws_cloudwatch_log_group", (name, g) => {
    if (!g.retention_in_days) add("log-retention", "aws_cloudwatch_log_group", name, "log group keeps logs forever; set retention_in_days");
  });
  each("aws_sns_topic", (name, t) => {
    if (!t.kms_master_key_id) add("sns-encryption", "aws_sns_topic", name, "topic is not encrypted with the platform key");
  });
  each("aws_sqs_queue", (name, q) => {
    if (!q.kms_master_key_id) add("sqs-encryption", "aws_sqs_queue", name, "queue is not encrypted with the platform key");
  });
  each("aws_codebuild_project", (name, p) => {
    if (!p.encryption_key) add("codebuild-encryption", "aws_codebuild_project", name, "project has no encryption_key");
  });
  each("aws_codepipeline", (name, p) => {
    for (const store of list<Json>(p.artifact_store)) {
      if (!block(store.encryption_key)?.id) add("codepipeline-encryption", "aws_codepipeline", name, "artifact store has no encryption_key");
    }
  });
  each("aws_lambda_function", (name, f) => {
    if (block(f.tracing_config)?.mode !== "Active") add("lambda-tracing", "aws_lambda_function", name, "X-Ray tracing is not Active");
  });
  each("aws_lambda_permission", (name, p) => {
    if (String(p.principal).endsWith(".amazonaws.com") && !p.source_arn) {
      add("lambda-permission-source", "aws_lambda_permission", name, `${p.principal} may invoke without a source_arn`);
    }
    // The function behind a route trusts its path (what it answers, how it verifies); another route of the API must not reach it.
    if (p.principal === "apigateway.amazonaws.com" && p.source_arn && !API_ROUTE_SOURCE.test(String(p.source_arn))) {
      add("apigateway-permission-route", "aws_lambda_permission", name, `${p.source_arn} lets more than one route of the API invoke the function`);
    }
  });
  each("aws_secretsmanager_secret", (name, secret) => {
    if (!secret.kms_key_id) add("secret-encryption", "aws_secretsmanager_secret", name, "secret is not encrypted with the platform key");
  });
  each("aws_dynamodb_table", (name, table) => {
    const sse = block(table.server_side_encryption);
    if (sse?.enabled !== true || !sse?.kms_key_arn)
      add("dynamodb-encryption", "aws_dynamodb_table", name, "table is not encrypted with the platform key");
    if (block(table.point_in_time_recovery)?.enabled !== true) {
      add("dynamodb-pitr", "aws_dynamodb_table", name, "table has no point-in-time recovery");
    }
  });
  return findings;
}

/** Statements that create or reshape roles must carry the boundary condition. */
function checkRoleShaping(s: Statement, add: (rule: string, message: string) => void): void {
  if (s.Effect !== "Allow") return;
  const shaping = ROLE_SHAPING_ACTIONS.filter((action) => list(s.Action).some((pattern) => covers(pattern, action)));
  if (shaping.length === 0) return;
  const boundary = (s.Condition?.StringEquals as Json | undefined)?.["iam:PermissionsBoundary"];
  if (typeof boundary !== "string" || boundary === "") {
    add(
      "iam-role-without-boundary",
      `statement ${s.Sid ?? "(no Sid)"} allows ${shaping.join(", ")} without a StringEquals iam:PermissionsBoundary condition`,
    );
  }
}

/** Dev and prod identities never write the build account's artifact stores. */
function checkArtifactWrites(s: Statement, buckets: readonly string[], add: (rule: string, message: string) => void): void {
  if (s.Effect !== "Allow" || buckets.length === 0) return;
  if (!list(s.Action).some((pattern) => S3_WRITE_ACTIONS.some((action) => covers(pattern, action)))) return;
  const written = list(s.Resource).filter((resource) =>
    buckets.some((bucket) => covers(resource, `arn:aws:s3:::${bucket}/x`) || resource.includes(`:::${bucket}/`)),
  );
  if (written.length > 0)
    add("artifacts-writable-by-target", `statement ${s.Sid ?? "(no Sid)"} lets a target-account role write ${written.join(", ")}`);
}

function checkIdentityStatement(s: Statement, add: (rule: string, message: string) => void): void {
  if (s.Effect !== "Allow") return;
  const sid = s.Sid ?? "(no Sid)";
  if (s.NotAction) add("iam-not-action", `statement ${sid} allows NotAction`);
  if (s.NotResource) add("iam-not-resource", `statement ${sid} allows NotResource`);
  const actions = list(s.Action);
  const resources = list(s.Resource);
  for (const action of actions) {
    if (action === "*" || /^[\w-]+:\*$/.test(action)) add("iam-wildcard-action", `statement ${sid} allows ${action}`);
  }
  if (resources.includes("*")) {
    const scoped = actions.filter((a) => !ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS.has(a));
    if (scoped.length > 0) add("iam-wildcard-resource", `statement ${sid} allows ${scoped.join(", ")} on "*"`);
  }
  if (actions.some((a) => a === "iam:PassRole" || a === "iam:Pass*")) {
    const passed = JSON.stringify(s.Condition ?? {}).includes("iam:PassedToService");
    if (resources.length === 0 || resources.some((r) => r === "*" || r.endsWith(":role/*"))) {
      add("iam-passrole-resource", `statement ${sid} passes roles without naming them`);
    }
    if (!passed) add("iam-passrole-condition", `statement ${sid} passes roles without an iam:PassedToService condition`);
  }
}
