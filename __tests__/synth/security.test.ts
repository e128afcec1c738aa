import { PlatformNames } from "../../stacks/names";
import { securityFindings as findingsOf, type SecurityContext } from "../support/security-rules";
import { type SynthesizedStack, configWith, exampleConfig, resourceAt, synthPlatform } from "../support/synth";

const names = new PlatformNames(exampleConfig());
const context: SecurityContext = { artifactBuckets: [names.artifactBucket, names.prArtifactBucket] };
const securityFindings = (stack: SynthesizedStack) => findingsOf(stack, context);

type Mutation = (stacks: ReturnType<typeof synthPlatform>) => SynthesizedStack;

const only = (stack: SynthesizedStack, type: string): [string, Record<string, any>] => {
  const entries = Object.entries(stack.resource[type] ?? {});
  if (entries.length === 0) throw new Error(`no ${type}`);
  return entries[0] as [string, Record<string, any>];
};
const editPolicy = (resource: Record<string, any>, attribute: string, edit: (doc: any) => void) => {
  const doc = JSON.parse(resource[attribute]);
  edit(doc);
  resource[attribute] = JSON.stringify(doc);
};
const withResource = (stack: SynthesizedStack, type: string, body: Record<string, any>) => {
  stack.resource[type] = { ...(stack.resource[type] ?? {}), injected: body };
  return stack;
};

describe("security rules", () => {
  const stackIds = ["build", "dev", "prod"] as const;

  it.each(stackIds)("find nothing in the %s stack of the example configuration", (id) => {
    expect(securityFindings(synthPlatform()[id])).toEqual([]);
  });

  it.each(stackIds)("find nothing in the %s stack with an S3 backend and bootstrap", (id) => {
    const config = configWith((c) => {
      c.backend = { type: "s3", bucket: "state-bucket" };
    });
    expect(securityFindings(synthPlatform(config, { bootstrap: true })[id])).toEqual([]);
  });

  it("find nothing in the build stack with the Slack app", () => {
    const config = configWith((c) => {
      c.notifications.slack = { mode: "bot", channel: "C0SANDBOX01" };
      c.approvers.slackUserIds = ["U0APPROVER1"];
    });
    expect(securityFindings(synthPlatform(config).build)).toEqual([]);
  });

  const violations: Array<[string, string, Mutation]> = [
    ["s3-encryption", "default encryption removed", (s) => (delete s.build.resource.aws_s3_bucket_server_side_encryption_configuration, s.build)],
    [
      "s3-versioning",
      "versioning suspended",
      (s) => {
        only(s.build, "aws_s3_bucket_versioning")[1].versioning_configuration.status = "Suspended";
        return s.build;
      },
    ],
    [
      "s3-public-access-block",
      "one public-access flag off",
      (s) => {
        only(s.build, "aws_s3_bucket_public_access_block")[1].restrict_public_buckets = false;
        return s.build;
      },
    ],
    [
      "s3-tls-only",
      "TLS deny statement removed",
      (s) => {
        editPolicy(only(s.build, "aws_s3_bucket_policy")[1], "policy", (d) => {
          d.Statement = d.Statement.filter((st: any) => st.Sid !== "DenyInsecureTransport");
        });
        return s.build;
      },
    ],
    ["s3-lifecycle", "lifecycle removed", (s) => (delete s.build.resource.aws_s3_bucket_lifecycle_configuration, s.build)],
    [
      "kms-rotation",
      "key rotation off",
      (s) => {
        only(s.build, "aws_kms_key")[1].enable_key_rotation = false;
        return s.build;
      },
    ],
    [
      "wildcard-principal",
      "key policy open to everyone",
      (s) => {
        editPolicy(only(s.build, "aws_kms_key")[1], "policy", (d) => {
          d.Statement[1].Principal = { AWS: "*" };
        });
        return s.build;
      },
    ],
    [
      "iam-wildcard-action",
      "a service-wide action",
      (s) => {
        editPolicy(s.dev.resource.aws_iam_role_policy[Object.keys(s.dev.resource.aws_iam_role_policy)[0]], "policy", (d) => {
          d.Statement[0].Action = "cloudformation:*";
        });
        return s.dev;
      },
    ],
    [
      "iam-wildcard-resource",
      "an action with resource-level permissions on *",
      (s) => {
        editPolicy(s.dev.resource.aws_iam_role_policy[Object.keys(s.dev.resource.aws_iam_role_policy)[0]], "policy", (d) => {
          d.Statement[0].Resource = "*";
        });
        return s.dev;
      },
    ],
    [
      "iam-passrole-condition",
      "PassRole without iam:PassedToService",
      (s) => {
        for (const policy of Object.values<any>(s.dev.resource.aws_iam_role_policy)) {
          editPolicy(policy, "policy", (d) => {
            for (const st of d.Statement) if (st.Action === "iam:PassRole") delete st.Condition;
          });
        }
        return s.dev;
      },
    ],
    [
      "iam-passrole-resource",
      "PassRole on every role",
      (s) =>
        withResource(s.dev, "aws_iam_role_policy", {
          role: "x",
          policy: JSON.stringify({
            Statement: [
              {
                Effect: "Allow",
                Action: "iam:PassRole",
                Resource: "*",
                Condition: { StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" } },
              },
            ],
          }),
        }),
    ],
    [
      "trust-account-root",
      "deploy role trusting the build account root",
      (s) => {
        for (const role of Object.values<any>(s.dev.resource.aws_iam_role)) {
          editPolicy(role, "assume_role_policy", (d) => {
            if (d.Statement[0].Principal.AWS) d.Statement[0].Principal.AWS = "arn:aws:iam::111111111111:root";
          });
        }
        return s.dev;
      },
    ],
    [
      "broad-managed-policy",
      "AdministratorAccess attached",
      (s) =>
        withResource(s.dev, "aws_iam_role_policy_attachment", {
          role: "x",
          policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess",
        }),
    ],
    ["log-retention", "log group without retention", (s) => withResource(s.build, "aws_cloudwatch_log_group", { name: "/x" })],
    ["sns-encryption", "unencrypted topic", (s) => withResource(s.build, "aws_sns_topic", { name: "x" })],
    [
      "sqs-encryption",
      "queue with only SQS-managed encryption",
      (s) => withResource(s.build, "aws_sqs_queue", { name: "x", sqs_managed_sse_enabled: true }),
    ],
    ["codebuild-encryption", "CodeBuild project without the key", (s) => withResource(s.build, "aws_codebuild_project", { name: "x" })],
    [
      "codepipeline-encryption",
      "pipeline artifact store without the key",
      (s) =>
        withResource(s.build, "aws_codepipeline", {
          name: "x",
          artifact_store: [{ location: "b", type: "S3" }],
        }),
    ],
    ["lambda-tracing", "function without tracing", (s) => withResource(s.build, "aws_lambda_function", { function_name: "x" })],
    [
      "lambda-permission-source",
      "a service may invoke without source_arn",
      (s) =>
        withResource(s.build, "aws_lambda_permission", {
          action: "lambda:InvokeFunction",
          function_name: "x",
          principal: "events.amazonaws.com",
        }),
    ],
    [
      "apigateway-permission-route",
      "API Gateway may invoke the webhook function through any route",
      (s) => {
        const permission = resourceAt(s.build, "aws_lambda_permission", "webhook/invoke");
        permission.source_arn = permission.source_arn.replace(/\/POST\/webhook$/, "/*/*");
        return s.build;
      },
    ],
    [
      "apigateway-permission-route",
      "API Gateway may invoke the webhook function with any method",
      (s) => {
        const permission = resourceAt(s.build, "aws_lambda_permission", "webhook/invoke");
        permission.source_arn = permission.source_arn.replace(/\/POST\/webhook$/, "/*/webhook");
        return s.build;
      },
    ],
    ["secret-encryption", "a secret without the platform key", (s) => withResource(s.build, "aws_secretsmanager_secret", { name: "x" })],
    [
      "dynamodb-encryption",
      "a table with only AWS-owned encryption",
      (s) => withResource(s.build, "aws_dynamodb_table", { name: "x", point_in_time_recovery: { enabled: true } }),
    ],
    [
      "dynamodb-pitr",
      "a table without point-in-time recovery",
      (s) => withResource(s.build, "aws_dynamodb_table", { name: "x", server_side_encryption: { enabled: true, kms_key_arn: "k" } }),
    ],
    [
      "policy-unreadable",
      "a policy the rules cannot read",
      (s) =>
        withResource(s.build, "aws_iam_role_policy", {
          role: "x",
          policy: "${data.aws_iam_policy_document.x.json}",
        }),
    ],
    [
      "iam-role-without-boundary",
      "the execution role may create roles without the boundary",
      (s) => {
        editPolicy(resourceAt(s.dev, "aws_iam_role_policy", "preview-deploy-roles/cfn-exec-application"), "policy", (d) => {
          d.Statement.find((st: any) => st.Sid === "ApplicationRolesUnderBoundary").Condition = {};
        });
        return s.dev;
      },
    ],
    [
      "iam-role-without-boundary",
      "a role with iam:* on its own roles",
      (s) =>
        withResource(s.prod, "aws_iam_role_policy", {
          role: "x",
          policy: JSON.stringify({
            Statement: [{ Sid: "Sneaky", Effect: "Allow", Action: "iam:Put*", Resource: "arn:aws:iam::333333333333:role/pipewright-orders-prod-*" }],
          }),
        }),
    ],
    [
      "boundary-without-deny",
      "a boundary that no longer denies IAM",
      (s) => {
        editPolicy(resourceAt(s.prod, "aws_iam_policy", "application-boundary/policy"), "policy", (d) => {
          d.Statement = d.Statement.filter((st: any) => st.Sid !== "NoIdentityOrAccountChanges");
        });
        return s.prod;
      },
    ],
    [
      "boundary-allows-everything",
      "a boundary that allows every action",
      (s) => {
        editPolicy(resourceAt(s.dev, "aws_iam_policy", "application-boundary/policy"), "policy", (d) => {
          d.Statement[0].Action = "*";
        });
        return s.dev;
      },
    ],
    [
      "artifacts-writable-by-target",
      "the bucket policy lets the dev and prod deploy roles write",
      (s) => {
        editPolicy(resourceAt(s.build, "aws_s3_bucket_policy", "artifact-store/policy"), "policy", (d) => {
          d.Statement.find((st: any) => st.Sid === "TargetDeployRolesObjects").Action.push("s3:PutObject");
        });
        return s.build;
      },
    ],
    [
      "artifacts-writable-by-target",
      "the key policy lets the prod deploy role encrypt",
      (s) => {
        editPolicy(resourceAt(s.build, "aws_kms_key", "artifact-store/key"), "policy", (d) => {
          d.Statement.find((st: any) => st.Sid === "ProdDeployRoleRead").Action = "kms:*";
        });
        return s.build;
      },
    ],
    [
      "artifacts-writable-by-target",
      "the dev deploy role's own policy writes artifacts",
      (s) => {
        editPolicy(resourceAt(s.dev, "aws_iam_role_policy", "deploy-roles/deploy-permissions"), "policy", (d) => {
          d.Statement.find((st: any) => st.Sid === "Artifacts").Action.push("s3:PutObject");
        });
        return s.dev;
      },
    ],
    [
      "trust-zone-crossed",
      "the PR CodeBuild role may write main's store",
      (s) => {
        editPolicy(resourceAt(s.build, "aws_iam_role_policy", "pr-artifact-store/role-1-read-write"), "policy", (d) => {
          d.Statement[0].Resource = `arn:aws:s3:::${names.artifactBucket}/*`;
        });
        return s.build;
      },
    ],
    [
      "trust-zone-crossed",
      "main's key is shared with the PR pipeline role",
      (s) => {
        const prRole = Object.keys(s.build.resource.aws_iam_role).find((name) => name.startsWith("pr-pipeline-roles_pipeline_"));
        editPolicy(resourceAt(s.build, "aws_kms_key", "artifact-store/key"), "policy", (d) => {
          d.Statement.find((st: any) => st.Sid === "BuildAccountUse").Principal.AWS.push(`\${aws_iam_role.${prRole}.arn}`);
        });
        return s.build;
      },
    ],
    [
      "trust-zone-crossed",
      "main's CodeBuild role may read the PR store",
      (s) => {
        editPolicy(resourceAt(s.build, "aws_iam_role_policy", "artifact-store/role-1-read-write"), "policy", (d) => {
          const prBucket = Object.keys(s.build.resource.aws_s3_bucket).find((name) => name.startsWith("pr-artifact-store_bucket_"));
          d.Statement[0].Resource = `arn:aws:s3:::\${aws_s3_bucket.${prBucket}.bucket}/*`;
        });
        return s.build;
      },
    ],
    [
      "ecr-scan-on-push",
      "a repository that does not scan pushed images",
      (s) => {
        resourceAt(s.build, "aws_ecr_repository", "image-repositories/repository-storefront").image_scanning_configuration.scan_on_push = false;
        return s.build;
      },
    ],
    [
      "ecr-immutable-tags",
      "a repository whose tags can be moved",
      (s) => {
        resourceAt(s.build, "aws_ecr_repository", "pr-image-repositories/repository-storefront").image_tag_mutability = "MUTABLE";
        return s.build;
      },
    ],
    [
      "ecr-encryption",
      "a repository with S3-managed encryption",
      (s) => {
        resourceAt(s.build, "aws_ecr_repository", "image-repositories/repository-storefront").encryption_configuration = [
          { encryption_type: "AES256" },
        ];
        return s.build;
      },
    ],
    [
      "ecr-encryption",
      "a repository with ECR's AWS-managed key",
      (s) => {
        resourceAt(s.build, "aws_ecr_repository", "image-repositories/repository-storefront").encryption_configuration = [{ encryption_type: "KMS" }];
        return s.build;
      },
    ],
    [
      "wildcard-principal",
      "a repository anyone may pull from",
      (s) => {
        editPolicy(resourceAt(s.build, "aws_ecr_repository_policy", "image-repositories/policy-storefront"), "policy", (d) => {
          d.Statement.find((st: any) => st.Sid === "PullFromTargetAccounts").Principal = "*";
        });
        return s.build;
      },
    ],
    [
      "ecr-policy-principal",
      "a repository the whole prod account may pull from",
      (s) => {
        editPolicy(resourceAt(s.build, "aws_ecr_repository_policy", "image-repositories/policy-storefront"), "policy", (d) => {
          d.Statement.find((st: any) => st.Sid === "PullFromTargetAccounts").Principal.AWS[1] = "arn:aws:iam::333333333333:root";
        });
        return s.build;
      },
    ],
    [
      "ecr-policy-principal",
      "a repository every role of dev may pull from",
      (s) => {
        editPolicy(resourceAt(s.build, "aws_ecr_repository_policy", "image-repositories/policy-storefront"), "policy", (d) => {
          d.Statement.find((st: any) => st.Sid === "PullFromTargetAccounts").Principal.AWS[0] = "arn:aws:iam::222222222222:role/*";
        });
        return s.build;
      },
    ],
    [
      "ecr-policy-principal",
      "a repository an AWS service may pull from",
      (s) => {
        editPolicy(resourceAt(s.build, "aws_ecr_repository_policy", "image-repositories/policy-storefront"), "policy", (d) => {
          d.Statement.find((st: any) => st.Sid === "PullFromTargetAccounts").Principal = { Service: "ecs-tasks.amazonaws.com" };
        });
        return s.build;
      },
    ],
    [
      "trust-zone-crossed",
      "the PR CodeBuild role may push to main's repository",
      (s) => {
        const main = Object.keys(s.build.resource.aws_ecr_repository).find((name) => name.startsWith("image-repositories_repository-storefront_"));
        editPolicy(resourceAt(s.build, "aws_iam_role_policy", "pr-image-repositories/push"), "policy", (d) => {
          d.Statement.find((st: any) => st.Sid === "PushImages").Resource.push(`\${aws_ecr_repository.${main}.arn}`);
        });
        return s.build;
      },
    ],
  ];

  it.each(violations)("report %s for a deliberate violation: %s", (rule, _what, mutate) => {
    const findings = securityFindings(mutate(synthPlatform()));
    expect(findings.map((f) => f.rule)).toContain(rule);
  });

  it("accept * for actions that have no resource-level permissions", () => {
    const stack = withResource(synthPlatform().build, "aws_iam_role_policy", {
      role: "x",
      policy: JSON.stringify({
        Statement: [{ Effect: "Allow", Action: ["xray:PutTraceSegments", "cloudwatch:PutMetricData", "ecr:GetAuthorizationToken"], Resource: "*" }],
      }),
    });
    expect(securityFindings(stack)).toEqual([]);
  });
});
