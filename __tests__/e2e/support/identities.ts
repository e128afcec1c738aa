/**
 * The sandbox's identities as the end-to-end tests act as them: each with
 * its own credentials (a service role's session as its AWS service gets it,
 * or a role assumed from one), signing real calls the emulator checks
 * against IAM. A refusal is asserted by its error, never assumed.
 */
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { CreateRoleCommand, DeleteRolePermissionsBoundaryCommand, IAMClient } from "@aws-sdk/client-iam";
import { GetBucketEncryptionCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { CodePipelineClient, PutApprovalResultCommand, StartPipelineExecutionCommand } from "@aws-sdk/client-codepipeline";
import { EventBridgeClient, PutEventsCommand, type PutEventsResultEntry } from "@aws-sdk/client-eventbridge";
import { ECRClient } from "@aws-sdk/client-ecr";
import { pullImage, pushImage, type TestImage } from "./images";
import type { AccountCredentials, SandboxState } from "../../../sandbox/state";

type Outcome = "allowed" | "refused";

/** What a call came to: allowed, or refused by IAM (any other failure is thrown: it proves nothing). */
async function outcomeOf(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    await call();
    return "allowed";
  } catch (error) {
    const name = (error as Error).name;
    if (name === "AccessDenied" || name === "AccessDeniedException" || name === "AccessDeniedError") return "refused";
    throw error;
  }
}

const TRUST_LAMBDA = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

export class Identity {
  private readonly config: { endpoint: string; region: string; credentials: AccountCredentials; maxAttempts: number; forcePathStyle: boolean };

  constructor(
    private readonly state: SandboxState,
    /** Who this is, for messages. */
    readonly name: string,
    credentials: AccountCredentials,
  ) {
    this.config = { endpoint: state.awsEndpoint, region: state.region, credentials, maxAttempts: 1, forcePathStyle: true };
  }

  /** A service role as its AWS service (CodePipeline, CodeBuild, CloudFormation) assumes it. */
  static serviceRole(state: SandboxState, account: keyof SandboxState["accounts"], roleName: string): Identity {
    const arn = `arn:aws:iam::${state.accounts[account]}:role/${roleName}`;
    const credentials = state.serviceRoleCredentials[arn];
    if (credentials === undefined) throw new Error(`The sandbox holds no credentials of ${arn} (state.json serviceRoleCredentials)`);
    return new Identity(state, roleName, credentials);
  }

  private async using<C extends { destroy(): void }, T>(client: C, run: (client: C) => Promise<T>): Promise<T> {
    try {
      return await run(client);
    } finally {
      client.destroy();
    }
  }

  /** This identity assumes another role: the session, or the refusal. */
  async assume(roleArn: string): Promise<Identity | "refused"> {
    let credentials: AccountCredentials | undefined;
    const outcome = await outcomeOf(async () => {
      const { Credentials } = await this.using(new STSClient(this.config), (sts) =>
        sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "e2e" })),
      );
      credentials = {
        accessKeyId: Credentials?.AccessKeyId ?? "",
        secretAccessKey: Credentials?.SecretAccessKey ?? "",
        sessionToken: Credentials?.SessionToken ?? "",
      };
    });
    return outcome === "refused" || credentials === undefined
      ? "refused"
      : new Identity(this.state, roleArn.split("/").pop() ?? roleArn, credentials);
  }

  /** An object put as a build would put it: SSE-KMS with the store's own key. */
  putArtifact(bucket: string, keyArn: string, key: string): Promise<Outcome> {
    return outcomeOf(() =>
      this.using(new S3Client(this.config), (s3) =>
        s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "e2e", ServerSideEncryption: "aws:kms", SSEKMSKeyId: keyArn })),
      ),
    );
  }

  /** A build log line, as CodeBuild writes it with the project's service role. */
  writeBuildLog(logGroup: string): Promise<Outcome> {
    return outcomeOf(() =>
      this.using(new CloudWatchLogsClient(this.config), async (logs) => {
        const logStreamName = `e2e-${Date.now()}`;
        await logs.send(new CreateLogStreamCommand({ logGroupName: logGroup, logStreamName }));
        await logs.send(new PutLogEventsCommand({ logGroupName: logGroup, logStreamName, logEvents: [{ timestamp: Date.now(), message: "e2e" }] }));
      }),
    );
  }

  /** Pushes an image to a repository of its own account, as a build's `docker push` does. */
  pushImage(repositoryName: string, image: TestImage, tag: string): Promise<Outcome> {
    return outcomeOf(() => this.using(new ECRClient(this.config), (ecr) => pushImage(ecr, repositoryName, image, tag)));
  }

  /** Pulls an image by digest from the build account's registry, as an ECS task's execution role does. */
  pullImage(registryId: string, repositoryName: string, digest: string): Promise<Outcome> {
    return outcomeOf(() => this.using(new ECRClient(this.config), (ecr) => pullImage(ecr, registryId, repositoryName, digest)));
  }

  /** A role as a template would make one, with or without a permissions boundary. */
  createRole(roleName: string, permissionsBoundary?: string): Promise<Outcome> {
    return outcomeOf(() =>
      this.using(new IAMClient(this.config), (iam) =>
        iam.send(
          new CreateRoleCommand({
            RoleName: roleName,
            AssumeRolePolicyDocument: TRUST_LAMBDA,
            ...(permissionsBoundary ? { PermissionsBoundary: permissionsBoundary } : {}),
          }),
        ),
      ),
    );
  }

  removeBoundary(roleName: string): Promise<Outcome> {
    return outcomeOf(() =>
      this.using(new IAMClient(this.config), (iam) => iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: roleName }))),
    );
  }

  /**
   * Puts one event on a bus. Refused when IAM refuses the call, or EventBridge
   * the entry (it authorizes entries one by one, e.g. by their source).
   */
  async putEvent(bus: string, source: string, detailType: string, detail: unknown): Promise<Outcome> {
    let entry: PutEventsResultEntry | undefined;
    const call = await outcomeOf(async () => {
      const output = await this.using(new EventBridgeClient(this.config), (events) =>
        events.send(
          new PutEventsCommand({ Entries: [{ EventBusName: bus, Source: source, DetailType: detailType, Detail: JSON.stringify(detail) }] }),
        ),
      );
      entry = output.Entries?.[0];
    });
    if (call === "refused") return "refused";
    const code = entry?.ErrorCode;
    if (code === undefined) return "allowed";
    if (code === "AccessDeniedException" || code.startsWith("NotAuthorizedFor")) return "refused";
    throw new Error(`PutEvents failed the entry with ${code}: ${entry?.ErrorMessage ?? ""}`);
  }

  /**
   * Answers an approval action with a token that is no approval's: IAM
   * decides first, so "allowed" means the call got past IAM and only the
   * token was refused (InvalidApprovalTokenException).
   */
  async answerApproval(pipelineName: string, stageName: string, actionName: string): Promise<Outcome> {
    try {
      return await outcomeOf(() =>
        this.using(new CodePipelineClient(this.config), (codepipeline) =>
          codepipeline.send(
            new PutApprovalResultCommand({
              pipelineName,
              stageName,
              actionName,
              token: "00000000-0000-0000-0000-000000000000",
              result: { status: "Approved", summary: "e2e" },
            }),
          ),
        ),
      );
    } catch (error) {
      if ((error as Error).name === "InvalidApprovalTokenException") return "allowed";
      throw error;
    }
  }

  /** Starts a pipeline; a pipeline that does not exist still answers IAM's refusal first. */
  async startPipeline(name: string): Promise<Outcome> {
    try {
      return await outcomeOf(() =>
        this.using(new CodePipelineClient(this.config), (codepipeline) => codepipeline.send(new StartPipelineExecutionCommand({ name }))),
      );
    } catch (error) {
      if ((error as Error).name === "PipelineNotFoundException") return "allowed";
      throw error;
    }
  }

  /** The KMS key a bucket encrypts with by default (read as an administrator would). */
  async bucketKey(bucket: string): Promise<string> {
    const output = await this.using(new S3Client(this.config), (s3) => s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })));
    const key = output.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID;
    if (key === undefined) throw new Error(`Bucket ${bucket} has no default KMS key`);
    return key;
  }
}
