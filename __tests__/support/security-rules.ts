/**
 * IaC security rules over synthesized Terraform JSON, in the spirit of
 * checkov/tfsec but tailored to what pipewright creates. Every stack of every
 * configuration the tests synthesize must produce no finding.
 */

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
};

const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const block = (value: unknown): Json | undefined => (Array.isArray(value) ? value[0] : (value as Json | undefined));

/** Findings for one synthesized stack (`cdk.tf.json` parsed). */
export function securityFindings(stack: Json): Finding[] {
  const resources: Resources = stack.resource ?? {};
  const findings: Finding[] = [];
  const add = (rule: string, type: string, name: string, message: string) =>
    findings.push({ rule, resource: `${type}.${name}`, message });
  const each = (type: string, fn: (name: string, r: Json) => void) =>
    Object.entries(resources[type] ?? {}).forEach(([name, r]) => fn(name, r));
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

  // Identity policies
  for (const type of IDENTITY_POLICIES) {
    each(type, (name, r) => {
      for (const s of policyOf(type, name, r.policy) ?? []) checkIdentityStatement(s, (rule, message) => add(rule, type, name, message));
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
  for (const type of ["aws_iam_role_policy_attachment", "aws_iam_policy_attachment", "aws_iam_user_policy_attachment", "aws_iam_group_policy_attachment"]) {
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
  });
  return findings;
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
