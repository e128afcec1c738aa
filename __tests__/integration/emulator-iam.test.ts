/**
 * The emulator's IAM checks (sandbox/emulator: iam_checks, iam_conditions, iam_context,
 * s3_bucket_policies, event_bus_policies) can prove a security boundary: each boundary below is
 * set up by an administrator, then shown both ways by identities acting with their own
 * credentials (sts:AssumeRole sessions), as pipewright's roles act in AWS.
 */
import {
  CodePipelineClient,
  CreatePipelineCommand,
  GetPipelineExecutionCommand,
  GetPipelineStateCommand,
  ListPipelineExecutionsCommand,
  type PipelineDeclaration,
  PutApprovalResultCommand,
} from "@aws-sdk/client-codepipeline";
import {
  CreateEventBusCommand,
  DescribeEventBusCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  GetRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { CreateBucketCommand, PutBucketPolicyCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentials } from "../../sandbox/aws/clients";
import { assumeRole } from "../../sandbox/aws/iam";
import { EMULATOR_REGION } from "../../sandbox/emulator";
import { runEmulatorPython, useEmulator } from "../support/emulator";
import { type PolicyStatement, policy, roleArn, useEmulatorAccounts } from "./support/emulator-accounts";

const ACCOUNT_A = "111111111111";
const ACCOUNT_B = "222222222222";
const PLATFORM_KEY = `arn:aws:kms:${EMULATOR_REGION}:${ACCOUNT_A}:key/0b9a3c1e-5d2f-4e6a-8b7c-1d2e3f4a5b6c`;
const OTHER_KEY = `arn:aws:kms:${EMULATOR_REGION}:${ACCOUNT_A}:key/7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2910`;
const CONNECTION_ARN = `arn:aws:codeconnections:${EMULATOR_REGION}:${ACCOUNT_A}:connection/0f1e2d3c-aaaa-bbbb-cccc-123456789012`;

const emulator = useEmulator();
const { administrator: administratorOf, sdkConfig, client } = useEmulatorAccounts(emulator, [ACCOUNT_A, ACCOUNT_B]);

function trusting(...principals: string[]): string {
  return policy({ Effect: "Allow", Principal: { AWS: principals }, Action: "sts:AssumeRole" });
}

const accountRoot = (account: string) => `arn:aws:iam::${account}:root`;

const byIdentity = new Map<string, { destroy(): void }>();

/** One client of a kind per identity, signed as `credentials`. */
function clientOf<C extends { destroy(): void }>(Kind: new (config: ReturnType<typeof sdkConfig>) => C, credentials: AwsCredentials): C {
  const key = `${Kind.name} ${credentials.accessKeyId}`;
  let made = byIdentity.get(key) as C | undefined;
  if (!made) {
    made = client(new Kind(sdkConfig(credentials)));
    byIdentity.set(key, made);
  }
  return made;
}

const iam = (credentials: AwsCredentials): IAMClient => clientOf(IAMClient, credentials);

/** A role of `account`, created by its administrator, with an inline policy when given. */
async function createRole(account: string, name: string, trust: string, permissions?: string): Promise<string> {
  const { Role } = await iam(administratorOf(account)).send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
  if (permissions)
    await iam(administratorOf(account)).send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "permissions", PolicyDocument: permissions }));
  return Role?.Arn as string;
}

/** A role of account A that A's administrator may assume: the identities the tests act as. */
function createWorkerRole(name: string, permissions?: string): Promise<string> {
  return createRole(ACCOUNT_A, name, trusting(accountRoot(ACCOUNT_A)), permissions);
}

function session(credentials: AwsCredentials, role: string): Promise<AwsCredentials> {
  return assumeRole(client(new STSClient(sdkConfig(credentials))), role, "emulator-iam-test");
}

describe("AWS emulator IAM checks: condition operators", () => {
  // [operator, key, policy values, the request's values for the key (null: absent), holds]
  const table: [string, string, unknown, string[] | null, boolean][] = [
    ["StringEquals", "events:source", "pipewright.github", ["pipewright.github"], true],
    ["StringEquals", "events:source", "pipewright.github", ["pipewright.push"], false],
    ["StringEquals", "events:source", "pipewright.github", null, false],
    ["StringEquals", "events:source", ["pipewright.push", "pipewright.github"], ["pipewright.github"], true],
    ["StringEquals", "events:source", "Pipewright.GitHub", ["pipewright.github"], false],
    ["StringNotEquals", "events:source", ["pipewright.push", "pipewright.github"], ["pipewright.github"], false],
    ["StringNotEquals", "events:source", ["pipewright.push", "pipewright.github"], ["aws.codepipeline"], true],
    ["StringNotEquals", "events:source", "pipewright.github", null, true],
    ["StringEqualsIgnoreCase", "events:source", "Pipewright.GitHub", ["pipewright.github"], true],
    ["StringNotEqualsIgnoreCase", "events:source", "Pipewright.GitHub", ["pipewright.github"], false],
    ["StringLike", "events:source", "pipewright.*", ["pipewright.github"], true],
    ["StringLike", "events:source", "pipe?right.github", ["pipewright.github"], true],
    ["StringLike", "events:source", "pipewright.*", ["aws.codepipeline"], false],
    ["StringLike", "events:source", "pipewright.*", null, false],
    ["StringNotLike", "events:source", "pipewright.*", ["pipewright.github"], false],
    ["StringNotLike", "events:source", "pipewright.*", null, true],
    ["ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/webhook-?", ["arn:aws:iam::111111111111:role/webhook-1"], true],
    ["ArnLike", "aws:PrincipalArn", "arn:aws:iam::*", ["arn:aws:iam::111111111111:role/webhook-1"], false],
    ["ArnEquals", "aws:PrincipalArn", "arn:aws:iam::111111111111:role/*", ["arn:aws:iam::111111111111:role/webhook"], true],
    ["ArnEquals", "aws:PrincipalArn", "arn:aws:iam::111111111111:role/webhook", null, false],
    ["ArnNotEquals", "aws:PrincipalArn", ["arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"], ["arn:aws:iam::1:role/b"], false],
    ["ArnNotEquals", "aws:PrincipalArn", ["arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"], ["arn:aws:iam::1:role/c"], true],
    ["ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::1:role/*", null, true],
    ["Bool", "aws:SecureTransport", "false", ["true"], false],
    ["Bool", "aws:SecureTransport", true, ["TRUE"], true],
    ["Bool", "aws:SecureTransport", "true", null, false],
    ["Null", "iam:PermissionsBoundary", "true", null, true],
    ["Null", "iam:PermissionsBoundary", "true", ["arn:aws:iam::1:policy/b"], false],
    ["Null", "iam:PermissionsBoundary", "false", ["arn:aws:iam::1:policy/b"], true],
    ["StringEqualsIfExists", "iam:PermissionsBoundary", "arn:aws:iam::1:policy/b", null, true],
    ["StringEqualsIfExists", "iam:PermissionsBoundary", "arn:aws:iam::1:policy/b", ["arn:aws:iam::1:policy/c"], false],
    ["StringNotEqualsIfExists", "s3:x-amz-server-side-encryption", "aws:kms", ["aws:kms"], false],
    ["StringNotEqualsIfExists", "s3:x-amz-server-side-encryption", "aws:kms", null, true],
    ["ArnLikeIfExists", "aws:PrincipalArn", "arn:aws:iam::1:role/a", ["arn:aws:iam::1:role/b"], false],
    ["ForAnyValue:StringEquals", "events:source", "a", null, false],
    ["ForAllValues:StringEquals", "events:source", "a", null, true],
    ["ForAnyValue:StringEquals", "events:source", ["a", "b"], ["a", "c"], true],
    ["ForAllValues:StringEquals", "events:source", ["a", "b"], ["a", "c"], false],
    ["ForAllValues:StringEquals", "events:source", ["a", "b"], ["b", "a"], true],
    ["ForAllValues:StringNotEquals", "events:source", ["a"], ["b", "c"], true],
    ["StringEquals", "Events:Source", "pipewright.github", ["pipewright.push"], false],
    ["StringEquals", "kms:ViaService", "s3.us-east-1.amazonaws.com", null, true],
    ["ArnEquals", "aws:SourceArn", "arn:aws:events:us-east-1:1:rule/r", null, true],
    ["NumericLessThan", "events:source", "3", ["4"], true],
  ];

  it("hold as the IAM User Guide says, on the keys the emulator models; other keys hold", () => {
    const output = runEmulatorPython(
      [
        "import json",
        "from iam_conditions import conditions_hold",
        "rows = json.loads(sys.argv[1])",
        "print(json.dumps([conditions_hold({op: {key: value}}, {} if ctx is None else {key.lower(): tuple(ctx)}) for op, key, value, ctx, _ in rows]))",
      ],
      [JSON.stringify(table)],
    );
    const results = JSON.parse(output) as boolean[];
    const wrong = table.filter((row, index) => results[index] !== row[4]);
    expect(wrong).toEqual([]);
  });

  it("need every operator and every key of a block to hold", () => {
    const output = runEmulatorPython([
      "import json",
      "from iam_conditions import conditions_hold",
      "block = {'StringEquals': {'events:source': 'pipewright.github'}, 'ArnNotEquals': {'aws:PrincipalArn': 'arn:aws:iam::1:role/webhook'}}",
      "webhook = {'events:source': ('pipewright.github',), 'aws:principalarn': ('arn:aws:iam::1:role/webhook',)}",
      "administrator = {'events:source': ('pipewright.github',), 'aws:principalarn': ('arn:aws:iam::1:user/administrator',)}",
      "other_source = {'events:source': ('pipewright.push',), 'aws:principalarn': ('arn:aws:iam::1:user/administrator',)}",
      "print(json.dumps([conditions_hold(block, c) for c in (webhook, administrator, other_source)]))",
    ]);
    expect(JSON.parse(output)).toEqual([false, true, false]);
  });
});

describe("AWS emulator IAM checks: AssumeRole across accounts", () => {
  const deployRole = roleArn(ACCOUNT_B, "deploy");
  const mayAssumeDeployRole = policy({ Effect: "Allow", Action: "sts:AssumeRole", Resource: deployRole });
  let builder: string;
  let otherBuilder: string;
  let builderWithoutPermission: string;

  beforeAll(async () => {
    builder = await createWorkerRole("builder", mayAssumeDeployRole);
    otherBuilder = await createWorkerRole("other-builder", mayAssumeDeployRole);
    builderWithoutPermission = await createWorkerRole("builder-without-permission");
    await createRole(ACCOUNT_B, "deploy", trusting(builder, builderWithoutPermission));
  });

  it("let the role the other account's trust policy names assume its role, into that account", async () => {
    const deploy = await session(await session(administratorOf(ACCOUNT_A), builder), deployRole);
    const sts = client(new STSClient(sdkConfig(deploy)));
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    expect(identity).toMatchObject({ Account: ACCOUNT_B, Arn: `arn:aws:sts::${ACCOUNT_B}:assumed-role/deploy/emulator-iam-test` });
  });

  it("refuse a role the trust policy does not name, although its identity policy allows sts:AssumeRole", async () => {
    const other = await session(administratorOf(ACCOUNT_A), otherBuilder);
    await expect(session(other, deployRole)).rejects.toMatchObject({ name: "AccessDenied" });
  });

  it("refuse a trusted role whose identity policy does not allow sts:AssumeRole on the role", async () => {
    const trustedOnly = await session(administratorOf(ACCOUNT_A), builderWithoutPermission);
    await expect(session(trustedOnly, deployRole)).rejects.toMatchObject({ name: "AccessDenied" });
  });

  it("refuse a role that does not exist", async () => {
    const builderSession = await session(administratorOf(ACCOUNT_A), builder);
    await iam(administratorOf(ACCOUNT_A)).send(
      new PutRolePolicyCommand({
        RoleName: "builder",
        PolicyName: "missing",
        PolicyDocument: policy({ Effect: "Allow", Action: "sts:AssumeRole", Resource: roleArn(ACCOUNT_B, "missing") }),
      }),
    );
    await expect(session(builderSession, roleArn(ACCOUNT_B, "missing"))).rejects.toMatchObject({ name: "AccessDenied" });
  });
});

describe("AWS emulator IAM checks: permissions boundaries", () => {
  let boundary: string;
  let otherBoundary: string;
  let lambdaBasicExecution: string;
  let delegate: AwsCredentials;
  const trust = trusting(accountRoot(ACCOUNT_A));

  async function createPolicy(name: string): Promise<string> {
    const document = policy({ Effect: "Allow", Action: "logs:PutLogEvents", Resource: "*" });
    const { Policy } = await iam(administratorOf(ACCOUNT_A)).send(new CreatePolicyCommand({ PolicyName: name, PolicyDocument: document }));
    return Policy?.Arn as string;
  }

  beforeAll(async () => {
    [boundary, otherBoundary, lambdaBasicExecution] = await Promise.all(["deploy-boundary", "other-boundary", "function-logs"].map(createPolicy));
    const createdRoles = roleArn(ACCOUNT_A, "created-*");
    const role = await createWorkerRole(
      "delegate",
      policy(
        {
          Sid: "OnlyWithTheBoundary",
          Effect: "Allow",
          Action: ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DeleteRolePermissionsBoundary"],
          Resource: createdRoles,
          Condition: { StringEquals: { "iam:PermissionsBoundary": boundary } },
        },
        {
          Sid: "OnlyThisManagedPolicy",
          Effect: "Deny",
          Action: "iam:AttachRolePolicy",
          Resource: createdRoles,
          Condition: { ArnNotEquals: { "iam:PolicyARN": lambdaBasicExecution } },
        },
        {
          Sid: "KeepProtectedBoundary",
          Effect: "Deny",
          Action: "iam:DeleteRolePermissionsBoundary",
          Resource: roleArn(ACCOUNT_A, "created-protected"),
        },
      ),
    );
    await iam(administratorOf(ACCOUNT_A)).send(new CreateRoleCommand({ RoleName: "created-unbounded", AssumeRolePolicyDocument: trust }));
    await iam(administratorOf(ACCOUNT_A)).send(
      new CreateRoleCommand({ RoleName: "created-protected", AssumeRolePolicyDocument: trust, PermissionsBoundary: boundary }),
    );
    delegate = await session(administratorOf(ACCOUNT_A), role);
  });

  it("let CreateRole through with the required boundary, and refuse it without one or with another", async () => {
    await expect(
      iam(delegate).send(new CreateRoleCommand({ RoleName: "created-bounded", AssumeRolePolicyDocument: trust, PermissionsBoundary: boundary })),
    ).resolves.toBeDefined();
    await expect(iam(delegate).send(new CreateRoleCommand({ RoleName: "created-free", AssumeRolePolicyDocument: trust }))).rejects.toMatchObject({
      name: "AccessDenied",
    });
    await expect(
      iam(delegate).send(new CreateRoleCommand({ RoleName: "created-other", AssumeRolePolicyDocument: trust, PermissionsBoundary: otherBoundary })),
    ).rejects.toMatchObject({ name: "AccessDenied" });
    const { Role } = await iam(administratorOf(ACCOUNT_A)).send(new GetRoleCommand({ RoleName: "created-bounded" }));
    expect(Role?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(boundary);
  });

  it("let PutRolePolicy through on a role that has the boundary, and refuse it on one that has none", async () => {
    const document = policy({ Effect: "Allow", Action: "logs:PutLogEvents", Resource: "*" });
    await expect(
      iam(delegate).send(new PutRolePolicyCommand({ RoleName: "created-protected", PolicyName: "logs", PolicyDocument: document })),
    ).resolves.toBeDefined();
    await expect(
      iam(delegate).send(new PutRolePolicyCommand({ RoleName: "created-unbounded", PolicyName: "logs", PolicyDocument: document })),
    ).rejects.toMatchObject({
      name: "AccessDenied",
    });
  });

  it("check AttachRolePolicy against the boundary and the policy it attaches (iam:PolicyARN)", async () => {
    await expect(
      iam(delegate).send(new AttachRolePolicyCommand({ RoleName: "created-protected", PolicyArn: lambdaBasicExecution })),
    ).resolves.toBeDefined();
    await expect(iam(delegate).send(new AttachRolePolicyCommand({ RoleName: "created-protected", PolicyArn: otherBoundary }))).rejects.toMatchObject({
      name: "AccessDenied",
    });
    await expect(
      iam(delegate).send(new AttachRolePolicyCommand({ RoleName: "created-unbounded", PolicyArn: lambdaBasicExecution })),
    ).rejects.toMatchObject({
      name: "AccessDenied",
    });
  });

  it("refuse DeleteRolePermissionsBoundary on the role an explicit Deny names, and allow it on another", async () => {
    await iam(administratorOf(ACCOUNT_A)).send(
      new CreateRoleCommand({ RoleName: "created-expendable", AssumeRolePolicyDocument: trust, PermissionsBoundary: boundary }),
    );
    await expect(iam(delegate).send(new DeleteRolePermissionsBoundaryCommand({ RoleName: "created-protected" }))).rejects.toMatchObject({
      name: "AccessDenied",
    });
    await expect(iam(delegate).send(new DeleteRolePermissionsBoundaryCommand({ RoleName: "created-expendable" }))).resolves.toBeDefined();
  });
});

describe("AWS emulator IAM checks: the artifact bucket's encryption statements", () => {
  const artifacts = "emulator-iam-artifacts";
  const scratch = "emulator-iam-scratch";
  let writer: S3Client;
  let encryptingWriter: S3Client;

  beforeAll(async () => {
    const s3 = client(new S3Client(sdkConfig(administratorOf(ACCOUNT_A))));
    await s3.send(new CreateBucketCommand({ Bucket: artifacts }));
    await s3.send(new CreateBucketCommand({ Bucket: scratch }));
    const objects = `arn:aws:s3:::${artifacts}/*`;
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: artifacts,
        Policy: policy(
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [`arn:aws:s3:::${artifacts}`, objects],
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
            Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": PLATFORM_KEY } },
          },
        ),
      }),
    );
    const role = await createWorkerRole("artifact-writer", policy({ Effect: "Allow", Action: "s3:PutObject", Resource: objects }));
    writer = client(new S3Client(sdkConfig(await session(administratorOf(ACCOUNT_A), role))));
    const encrypting = await createWorkerRole(
      "encrypting-writer",
      policy({
        Effect: "Allow",
        Action: "s3:PutObject",
        Resource: `arn:aws:s3:::${scratch}/*`,
        Condition: { StringEquals: { "s3:x-amz-server-side-encryption": "aws:kms" } },
      }),
    );
    encryptingWriter = client(new S3Client(sdkConfig(await session(administratorOf(ACCOUNT_A), encrypting))));
  });

  const put = (s3: S3Client, bucket: string, headers: { ServerSideEncryption?: "aws:kms"; SSEKMSKeyId?: string }) =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: "pr-7/source.zip", Body: "zip", ...headers }));

  it("let a put encrypted with the platform key through the bucket policy", async () => {
    await expect(put(writer, artifacts, { ServerSideEncryption: "aws:kms", SSEKMSKeyId: PLATFORM_KEY })).resolves.toMatchObject({
      ServerSideEncryption: "aws:kms",
    });
  });

  it("refuse a put without SSE-KMS headers or with another key, even by the administrator", async () => {
    await expect(put(writer, artifacts, {})).rejects.toMatchObject({ name: "AccessDenied" });
    await expect(put(writer, artifacts, { ServerSideEncryption: "aws:kms", SSEKMSKeyId: OTHER_KEY })).rejects.toMatchObject({ name: "AccessDenied" });
    await expect(put(writer, artifacts, { ServerSideEncryption: "aws:kms" })).rejects.toMatchObject({ name: "AccessDenied" });
    const administrator = client(new S3Client(sdkConfig(administratorOf(ACCOUNT_A))));
    await expect(put(administrator, artifacts, {})).rejects.toMatchObject({ name: "AccessDenied" });
  });

  it("refuse a put into a bucket the identity policy does not name", async () => {
    await expect(put(writer, scratch, { ServerSideEncryption: "aws:kms", SSEKMSKeyId: PLATFORM_KEY })).rejects.toMatchObject({
      name: "AccessDenied",
    });
  });

  it("evaluate the encryption headers in identity policies too", async () => {
    await expect(put(encryptingWriter, scratch, { ServerSideEncryption: "aws:kms", SSEKMSKeyId: OTHER_KEY })).resolves.toBeDefined();
    await expect(put(encryptingWriter, scratch, {})).rejects.toMatchObject({ name: "AccessDenied" });
  });
});

describe("AWS emulator IAM checks: the GitHub bus policy", () => {
  const source = "pipewright.github";
  let busArn: string;
  let webhookRole: string;
  let queueUrl: string;
  let administrator: EventBridgeClient;
  let sqs: SQSClient;

  function onlyTheWebhook(...extra: PolicyStatement[]): string {
    return policy(
      {
        Sid: "OnlyTheWebhookSpeaksForGitHub",
        Effect: "Deny",
        Principal: "*",
        Action: "events:PutEvents",
        Resource: busArn,
        Condition: {
          StringEquals: { "events:source": source },
          ArnNotEquals: { "aws:PrincipalArn": [webhookRole, roleArn(ACCOUNT_A, "reconciler")] },
        },
      },
      ...extra,
    );
  }

  const entry = (entrySource: string, bus = "github") => ({
    Source: entrySource,
    DetailType: "pull_request",
    Detail: '{"number":7}',
    EventBusName: bus,
  });

  async function deliveredSources(): Promise<string[]> {
    const sources: string[] = [];
    for (;;) {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
      if (!Messages?.length) return sources;
      sources.push(...Messages.map((message) => (JSON.parse(message.Body ?? "{}") as { source: string }).source));
    }
  }

  beforeAll(async () => {
    administrator = client(new EventBridgeClient(sdkConfig(administratorOf(ACCOUNT_A))));
    sqs = client(new SQSClient(sdkConfig(administratorOf(ACCOUNT_A))));
    ({ EventBusArn: busArn = "" } = await administrator.send(new CreateEventBusCommand({ Name: "github" })));
    webhookRole = await createWorkerRole("webhook", policy({ Effect: "Allow", Action: "events:PutEvents", Resource: busArn }));
    // What Terraform's aws_cloudwatch_event_bus_policy sends.
    await administrator.send(new PutPermissionCommand({ EventBusName: "github", Policy: onlyTheWebhook() }));
    // Received messages stay hidden for the rest of the run, so each test sees only its own deliveries.
    ({ QueueUrl: queueUrl = "" } = await sqs.send(
      new CreateQueueCommand({ QueueName: "github-events", Attributes: { VisibilityTimeout: "43200" } }),
    ));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
    await administrator.send(
      new PutRuleCommand({ Name: "everything", EventBusName: "github", EventPattern: JSON.stringify({ "detail-type": ["pull_request"] }) }),
    );
    await administrator.send(
      new PutTargetsCommand({ Rule: "everything", EventBusName: "github", Targets: [{ Id: "queue", Arn: Attributes?.QueueArn }] }),
    );
  });

  it("keeps the policy as written", async () => {
    const { Policy } = await administrator.send(new DescribeEventBusCommand({ Name: "github" }));
    expect(JSON.parse(Policy ?? "{}")).toEqual(JSON.parse(onlyTheWebhook()));
  });

  it("refuse a pipewright.github event from the administrator, and let it put another source", async () => {
    await expect(administrator.send(new PutEventsCommand({ Entries: [entry(source)] }))).rejects.toMatchObject({
      name: "AccessDeniedException",
      message: expect.stringContaining("explicit deny in a resource-based policy"),
    });
    await expect(administrator.send(new PutEventsCommand({ Entries: [entry("pipewright.reconciler")] }))).resolves.toMatchObject({
      FailedEntryCount: 0,
    });
    expect(await deliveredSources()).toEqual(["pipewright.reconciler"]);
  });

  it("let the webhook role's session put pipewright.github events", async () => {
    const webhook = client(new EventBridgeClient(sdkConfig(await session(administratorOf(ACCOUNT_A), webhookRole))));
    await expect(webhook.send(new PutEventsCommand({ Entries: [entry(source)] }))).resolves.toMatchObject({ FailedEntryCount: 0 });
    expect(await deliveredSources()).toEqual([source]);
  });

  it("refuse entry by entry: the refused entry fails in its result, the others are delivered", async () => {
    const answer = await administrator.send(new PutEventsCommand({ Entries: [entry(source), entry("pipewright.reconciler")] }));
    expect(answer.FailedEntryCount).toBe(1);
    expect(answer.Entries?.[0]).toMatchObject({ ErrorCode: "AccessDeniedException" });
    expect(answer.Entries?.[1]?.EventId).toEqual(expect.any(String));
    expect(await deliveredSources()).toEqual(["pipewright.reconciler"]);
  });

  it("need an Allow in the bus policy for a caller of another account", async () => {
    const otherAccount = client(new EventBridgeClient(sdkConfig(administratorOf(ACCOUNT_B))));
    await expect(otherAccount.send(new PutEventsCommand({ Entries: [entry("pipewright.reconciler", busArn)] }))).rejects.toMatchObject({
      name: "AccessDeniedException",
      message: expect.stringContaining("no resource-based policy allows"),
    });
    const allowAccountB: PolicyStatement = {
      Sid: "AccountB",
      Effect: "Allow",
      Principal: { AWS: accountRoot(ACCOUNT_B) },
      Action: "events:PutEvents",
      Resource: busArn,
    };
    await administrator.send(new PutPermissionCommand({ EventBusName: "github", Policy: onlyTheWebhook(allowAccountB) }));
    await expect(otherAccount.send(new PutEventsCommand({ Entries: [entry("pipewright.reconciler", busArn)] }))).resolves.toMatchObject({
      FailedEntryCount: 0,
    });
    await expect(otherAccount.send(new PutEventsCommand({ Entries: [entry(source, busArn)] }))).rejects.toMatchObject({
      name: "AccessDeniedException",
    });
    expect(await deliveredSources()).toEqual(["pipewright.reconciler"]);
  });
});

describe("AWS emulator IAM checks: CloudWatch Logs resources", () => {
  const prGroup = "/aws/codebuild/pipewright-pr-7";
  const mainGroup = "/aws/codebuild/pipewright-main";
  let prBuild: AwsCredentials;

  const logs = (credentials: AwsCredentials): CloudWatchLogsClient => clientOf(CloudWatchLogsClient, credentials);
  const logEvents = [{ timestamp: Date.now(), message: "npm test" }];

  beforeAll(async () => {
    for (const group of [prGroup, mainGroup]) await logs(administratorOf(ACCOUNT_A)).send(new CreateLogGroupCommand({ logGroupName: group }));
    await logs(administratorOf(ACCOUNT_A)).send(new CreateLogStreamCommand({ logGroupName: mainGroup, logStreamName: "build-1" }));
    // The shape of the CodeBuild roles' BuildLogs statement (stacks/constructs/pipeline-roles.ts).
    const groups = `arn:aws:logs:${EMULATOR_REGION}:${ACCOUNT_A}:log-group:/aws/codebuild/pipewright-pr-*`;
    const role = await createWorkerRole(
      "pr-build",
      policy({
        Effect: "Allow",
        Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: [groups, `${groups}:log-stream:*`],
      }),
    );
    prBuild = await session(administratorOf(ACCOUNT_A), role);
  });

  it("let a role write to the log groups its policy names", async () => {
    await expect(logs(prBuild).send(new CreateLogStreamCommand({ logGroupName: prGroup, logStreamName: "build-1" }))).resolves.toBeDefined();
    await expect(logs(prBuild).send(new PutLogEventsCommand({ logGroupName: prGroup, logStreamName: "build-1", logEvents }))).resolves.toBeDefined();
    await expect(logs(prBuild).send(new CreateLogGroupCommand({ logGroupName: "/aws/codebuild/pipewright-pr-8" }))).resolves.toBeDefined();
  });

  it("refuse the same calls on another log group", async () => {
    const refused = { name: "AccessDeniedException" };
    await expect(logs(prBuild).send(new CreateLogStreamCommand({ logGroupName: mainGroup, logStreamName: "build-2" }))).rejects.toMatchObject(
      refused,
    );
    await expect(logs(prBuild).send(new PutLogEventsCommand({ logGroupName: mainGroup, logStreamName: "build-1", logEvents }))).rejects.toMatchObject(
      refused,
    );
    await expect(logs(prBuild).send(new CreateLogGroupCommand({ logGroupName: "/aws/codebuild/pipewright-main-2" }))).rejects.toMatchObject(refused);
  });
});

describe("AWS emulator IAM checks: iam:PassedToService on CreatePipeline", () => {
  const pipelineRole = roleArn(ACCOUNT_A, "pipeline");

  function declaration(name: string): PipelineDeclaration {
    return {
      name,
      roleArn: pipelineRole,
      artifactStore: { type: "S3", location: "emulator-iam-pipeline-artifacts" },
      stages: [
        {
          name: "Source",
          actions: [
            {
              name: "GitHub",
              actionTypeId: { category: "Source", owner: "AWS", provider: "CodeStarSourceConnection", version: "1" },
              configuration: { ConnectionArn: CONNECTION_ARN, FullRepositoryId: "acme/monorepo", BranchName: "main" },
              outputArtifacts: [{ name: "SourceArtifact" }],
            },
          ],
        },
        {
          name: "Approval",
          actions: [{ name: "Approve", actionTypeId: { category: "Approval", owner: "AWS", provider: "Manual", version: "1" } }],
        },
      ],
    };
  }

  async function pipelineCreator(name: string, passedToService: string): Promise<CodePipelineClient> {
    const role = await createWorkerRole(
      name,
      policy(
        { Effect: "Allow", Action: "codepipeline:CreatePipeline", Resource: `arn:aws:codepipeline:${EMULATOR_REGION}:${ACCOUNT_A}:*` },
        { Effect: "Allow", Action: "iam:PassRole", Resource: pipelineRole, Condition: { StringEquals: { "iam:PassedToService": passedToService } } },
        { Effect: "Allow", Action: "codeconnections:PassConnection", Resource: CONNECTION_ARN },
      ),
    );
    return client(new CodePipelineClient(sdkConfig(await session(administratorOf(ACCOUNT_A), role))));
  }

  beforeAll(async () => {
    await createRole(
      ACCOUNT_A,
      "pipeline",
      policy({ Effect: "Allow", Principal: { Service: "codepipeline.amazonaws.com" }, Action: "sts:AssumeRole" }),
    );
  });

  it("let a role pass the pipeline role to CodePipeline, and refuse a role allowed to pass it only to CloudFormation", async () => {
    const toCodePipeline = await pipelineCreator("passes-to-codepipeline", "codepipeline.amazonaws.com");
    await expect(toCodePipeline.send(new CreatePipelineCommand({ pipeline: declaration("pr-7") }))).resolves.toBeDefined();
    const toCloudFormation = await pipelineCreator("passes-to-cloudformation", "cloudformation.amazonaws.com");
    await expect(toCloudFormation.send(new CreatePipelineCommand({ pipeline: declaration("pr-8") }))).rejects.toMatchObject({
      name: "AccessDeniedException",
      message: expect.stringContaining("iam:PassRole"),
    });
  });
});

describe("AWS emulator IAM checks: PutApprovalResult on the approval action's ARN", () => {
  const pipeline = "pr-approvals";
  const actionArn = (pipelineName: string) => `arn:aws:codepipeline:${EMULATOR_REGION}:${ACCOUNT_A}:${pipelineName}/Prod/Approve`;
  let administrator: CodePipelineClient;

  async function approverOf(name: string, resource: string): Promise<CodePipelineClient> {
    const role = await createWorkerRole(name, policy({ Effect: "Allow", Action: "codepipeline:PutApprovalResult", Resource: resource }));
    return client(new CodePipelineClient(sdkConfig(await session(administratorOf(ACCOUNT_A), role))));
  }

  async function approve(approver: CodePipelineClient): Promise<unknown> {
    const { stageStates } = await administrator.send(new GetPipelineStateCommand({ name: pipeline }));
    const token = stageStates?.find((stage) => stage.stageName === "Prod")?.actionStates?.[0]?.latestExecution?.token;
    return approver.send(
      new PutApprovalResultCommand({
        pipelineName: pipeline,
        stageName: "Prod",
        actionName: "Approve",
        token,
        result: { status: "Approved", summary: "ok" },
      }),
    );
  }

  beforeAll(async () => {
    administrator = clientOf(CodePipelineClient, administratorOf(ACCOUNT_A));
    const pipelineRole = await createRole(
      ACCOUNT_A,
      "approvals-pipeline",
      policy({ Effect: "Allow", Principal: { Service: "codepipeline.amazonaws.com" }, Action: "sts:AssumeRole" }),
    );
    await administrator.send(
      new CreatePipelineCommand({
        pipeline: {
          name: pipeline,
          roleArn: pipelineRole,
          artifactStore: { type: "S3", location: "emulator-iam-approval-artifacts" },
          stages: [
            {
              name: "Source",
              actions: [
                {
                  name: "GitHub",
                  actionTypeId: { category: "Source", owner: "AWS", provider: "CodeStarSourceConnection", version: "1" },
                  configuration: { ConnectionArn: CONNECTION_ARN, FullRepositoryId: "acme/monorepo", BranchName: "main" },
                  outputArtifacts: [{ name: "SourceArtifact" }],
                },
              ],
            },
            { name: "Prod", actions: [{ name: "Approve", actionTypeId: { category: "Approval", owner: "AWS", provider: "Manual", version: "1" } }] },
          ],
        },
      }),
    );
  });

  it("refuse a role allowed only another pipeline's approval, or only the pipeline itself", async () => {
    const refused: [role: string, resource: string][] = [
      ["approves-another-pipeline", actionArn("other-pipeline")],
      ["approves-the-pipeline-arn", `arn:aws:codepipeline:${EMULATOR_REGION}:${ACCOUNT_A}:${pipeline}`],
    ];
    for (const [role, resource] of refused) {
      await expect(approve(await approverOf(role, resource))).rejects.toMatchObject({
        name: "AccessDeniedException",
        message: expect.stringContaining(`codepipeline:PutApprovalResult on resource: ${actionArn(pipeline)}`),
      });
    }
  });

  it("let a role allowed the exact approval action's ARN approve it", async () => {
    await expect(approve(await approverOf("approves-the-action", actionArn(pipeline)))).resolves.toMatchObject({ approvedAt: expect.any(Date) });
    const { pipelineExecutionSummaries } = await administrator.send(new ListPipelineExecutionsCommand({ pipelineName: pipeline }));
    const { pipelineExecution } = await administrator.send(
      new GetPipelineExecutionCommand({ pipelineName: pipeline, pipelineExecutionId: pipelineExecutionSummaries?.[0]?.pipelineExecutionId }),
    );
    expect(pipelineExecution?.status).toBe("Succeeded");
  });
});
