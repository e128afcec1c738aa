import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import type { STSClient } from "@aws-sdk/client-sts";
import type { PreviewStackCleanup, PreviewStackCleanupRequest } from "./preview-stacks";

// Required on the first cleanup: most events delete no preview stack, and the
// two SDK packages would add ~17 ms to every cold start (npm run bench). A
// require, not import(): import() would load the packages' ESM builds beside
// the CommonJS ones the other clients already loaded.
const loadSts = (): typeof import("@aws-sdk/client-sts") => require("@aws-sdk/client-sts");
const loadCloudFormation = (): typeof import("@aws-sdk/client-cloudformation") => require("@aws-sdk/client-cloudformation");

/** Deleting a preview stack failed; the event is retried, then dead-lettered. */
export class PreviewStackCleanupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PreviewStackCleanupError";
  }
}

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken: string };
type StackDeleter = Pick<CloudFormationClient, "send">;
interface Session {
  readonly repository: string;
  readonly pullRequest: number;
  readonly credentials: Credentials;
  readonly expiresAt: number;
  readonly clients: Map<string, StackDeleter>;
}

export interface CloudFormationPreviewStacksOptions {
  /** The dev account's preview-cleanup role (it trusts only this function's role). */
  readonly roleArn: string;
  /** Assumes the cleanup role. @default an STSClient in the function's Region, created on the first cleanup */
  readonly sts?: Pick<STSClient, "send">;
  /** Builds a CloudFormation client for the assumed role's credentials. @default a CloudFormationClient in the stack's Region, else `region` */
  readonly cloudFormation?: (credentials: Credentials, region?: string) => StackDeleter;
  /** Region of a preview stack that names none. @default the function's Region (AWS_REGION) */
  readonly region?: string;
  readonly log: (message: string, details: Record<string, unknown>) => void;
}

const accountOf = (arn: string | undefined) => arn?.split(":")[4];

/** Assumed credentials are reused only while at least this much of their lifetime is left. */
const REUSE_MARGIN_MS = 60_000;

/**
 * Deletes a closed pull request's preview stacks through the dev account's
 * preview-cleanup role. DeleteStack succeeds for a stack that does not exist,
 * so a retry or a PR that never deployed is harmless.
 */
export class CloudFormationPreviewStacks implements PreviewStackCleanup {
  /** The last session, kept for the same pull request's other pipelines (its name names the pull request), with its clients per Region. */
  private session?: Session;

  /** An AssumeRole in progress, and for which pull request. */
  private assuming?: { readonly repository: string; readonly pullRequest: number; readonly session: Promise<Session> };

  /** The first default client's connection pool, shared by the later ones: no new connection per session. */
  private sharedRequestHandler?: CloudFormationClient["config"]["requestHandler"];

  private stsClient?: Pick<STSClient, "send">;

  constructor(private readonly options: CloudFormationPreviewStacksOptions) {}

  async deletePreviewStacks(request: PreviewStackCleanupRequest): Promise<void> {
    const account = accountOf(this.options.roleArn);
    const reachable = request.stacks.filter((stack) => accountOf(stack.actionRoleArn) === account);
    const elsewhere = request.stacks.filter((stack) => !reachable.includes(stack));
    if (elsewhere.length > 0) {
      this.options.log("Preview stacks outside the dev account are left in place", {
        prPipeline: request.prPipeline,
        stacks: elsewhere.map((s) => ({ stack: s.stackName, role: s.actionRoleArn })),
      });
    }
    if (reachable.length === 0) return;

    const session = await this.sessionFor(request);
    const { DeleteStackCommand } = loadCloudFormation();
    for (const stack of reachable) {
      const cloudFormation = this.clientFor(session, stack.region);
      await cloudFormation.send(new DeleteStackCommand({ StackName: stack.stackName })).catch((cause: unknown) => {
        throw new PreviewStackCleanupError(
          `Deleting preview stack ${stack.stackName} of PR #${request.pullRequest} failed (delivery ${request.deliveryId})`,
          { cause },
        );
      });
      this.options.log("Deleting preview stack", { prPipeline: request.prPipeline, stack: stack.stackName });
    }
  }

  private clientFor(session: Session, stackRegion: string | undefined): StackDeleter {
    const key = stackRegion ?? "";
    const known = session.clients.get(key);
    if (known !== undefined) return known;
    let client: StackDeleter;
    if (this.options.cloudFormation !== undefined) {
      client = this.options.cloudFormation(session.credentials, stackRegion);
    } else {
      const { CloudFormationClient } = loadCloudFormation();
      const region = stackRegion ?? this.options.region;
      const created = new CloudFormationClient({
        credentials: session.credentials,
        ...(region ? { region } : {}),
        ...(this.sharedRequestHandler ? { requestHandler: this.sharedRequestHandler } : {}),
      });
      this.sharedRequestHandler ??= created.config.requestHandler;
      client = created;
    }
    session.clients.set(key, client);
    return client;
  }

  private sessionFor(request: PreviewStackCleanupRequest): Promise<Session> {
    const { session, assuming } = this;
    if (
      session?.repository === request.repository &&
      session.pullRequest === request.pullRequest &&
      session.expiresAt - REUSE_MARGIN_MS > Date.now()
    ) {
      return Promise.resolve(session);
    }
    // The pull request's other pipelines, cleaned up at the same time, wait for the same AssumeRole.
    if (assuming?.repository === request.repository && assuming.pullRequest === request.pullRequest) return assuming.session;
    const next = this.assume(request).finally(() => {
      if (this.assuming?.session === next) this.assuming = undefined;
    });
    this.assuming = { repository: request.repository, pullRequest: request.pullRequest, session: next };
    return next;
  }

  private async assume(request: PreviewStackCleanupRequest): Promise<Session> {
    const { AssumeRoleCommand, STSClient } = loadSts();
    this.stsClient ??= this.options.sts ?? new STSClient(this.options.region ? { region: this.options.region } : {});
    const sts = this.stsClient;
    const assumed = await sts
      .send(new AssumeRoleCommand({ RoleArn: this.options.roleArn, RoleSessionName: `pr-${request.pullRequest}-cleanup`, DurationSeconds: 900 }))
      .catch((cause: unknown) => {
        throw new PreviewStackCleanupError(
          `Cannot assume ${this.options.roleArn} to delete the preview stacks of PR #${request.pullRequest} (delivery ${request.deliveryId})`,
          { cause },
        );
      });
    const c = assumed.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
      throw new PreviewStackCleanupError(`AssumeRole of ${this.options.roleArn} returned no credentials`);
    }
    const credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
    this.session = {
      repository: request.repository,
      pullRequest: request.pullRequest,
      credentials,
      expiresAt: c.Expiration?.getTime() ?? 0,
      clients: new Map(),
    };
    return this.session;
  }
}
