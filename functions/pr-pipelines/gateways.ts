import type { PipelineDeclaration, Tag } from "@aws-sdk/client-codepipeline";
import type { Decision, Ledger } from "./capacity";

/**
 * What the pull request logic needs from AWS, as interfaces. aws.ts and
 * state.ts implement them with SDK clients; tests can too.
 */

export interface ExistingPipeline {
  readonly declaration: PipelineDeclaration;
  readonly arn?: string;
}

export interface ExecutionSummary {
  readonly executionId: string;
  readonly status?: string;
  /** e.g. CreatePipeline, StartPipelineExecution, Webhook. */
  readonly triggerType?: string;
}

export interface ArtifactLocation {
  readonly bucket: string;
  readonly key: string;
}

export interface PinnedExecutionRequest {
  readonly pipelineName: string;
  readonly sourceActionNames: readonly string[];
  readonly commitId: string;
  readonly clientRequestToken: string;
}

export interface PipelineGateway {
  /** The pipeline, or undefined when it does not exist. */
  getPipeline(name: string): Promise<ExistingPipeline | undefined>;
  /** "exists" when a pipeline of that name is already there (a retry or a race). */
  createPipeline(declaration: PipelineDeclaration, tags: Tag[]): Promise<"created" | "exists">;
  /** "missing" when there was nothing to delete. */
  deletePipeline(name: string): Promise<"deleted" | "missing">;
  /** Starts an execution of every source action at `commitId`; returns its id. */
  startPinnedExecution(request: PinnedExecutionRequest): Promise<string>;
  /** Every execution CodePipeline still lists; empty when the pipeline does not exist. */
  listExecutions(pipelineName: string): Promise<ExecutionSummary[]>;
  /** Abandons an execution; "not-stoppable" when it already ended or is already stopping. */
  abandonExecution(pipelineName: string, executionId: string, reason: string): Promise<"stopped" | "not-stoppable">;
  /** The S3 locations of the output artifacts of every action execution of the pipeline, all its executions; empty when it does not exist. */
  listOutputArtifacts(pipelineName: string): Promise<ArtifactLocation[]>;
  tagPipeline(arn: string, tags: Tag[]): Promise<void>;
  /** The pipeline's tags. */
  listTags(arn: string): Promise<Tag[]>;
}

export interface ArtifactGateway {
  /**
   * Deletes every version and delete marker of exactly these keys (never by
   * prefix). Returns how many versions were deleted.
   */
  deleteAllVersions(bucket: string, keys: readonly string[]): Promise<number>;
}

export type DesiredState = "open" | "closed";

/**
 * How a claim treats the approval of a fork's head commit:
 * - `record`: the fork label was put on; the head becomes the approved commit.
 * - `require`: a fork's run event; it claims only if its head is the approved commit.
 */
export type ForkApprovalCheck = "record" | "require";

export interface PrClaim {
  readonly key: string;
  readonly repository: string;
  readonly number: number;
  /** The pull request's updated_at in epoch milliseconds: orders deliveries. */
  readonly updatedAt: number;
  readonly desired: DesiredState;
  /** When false, a stored "closed" state refuses the claim whatever its time. */
  readonly mayReopen: boolean;
  readonly headSha: string;
  readonly deliveryId: string;
  /** Epoch seconds; DynamoDB's TTL removes the item after it. */
  readonly expiresAt: number;
  /** Only for pull requests from forks. */
  readonly forkApproval?: ForkApprovalCheck;
}

export type ClaimResult =
  | {
      readonly claimed: true;
      /** True when the same change was claimed before and did not finish: this run completes it. */
      readonly resumed: boolean;
      /** Artifact keys a previous close recorded and may not have deleted. */
      readonly pendingArtifactKeys: readonly string[];
    }
  | {
      readonly claimed: false;
      /**
       * `stale`: a stale or duplicate delivery. `awaiting-approval`: the
       * ordering would let the change in, but its head is not the fork's
       * approved commit; the state is left as it was.
       */
      readonly refusal: "stale" | "awaiting-approval";
    };

export interface PrStateStore {
  /**
   * Takes the pull request for this change: succeeds when there is no state,
   * when the stored updatedAt is older, or when it is equal and the stored
   * change is the same one, unfinished or waiting for capacity (a retry, or
   * the reconciler handing it room). A closed change also wins
   * over an open one with the same updatedAt. A claim that requires the
   * fork approval also needs its head to be the approved commit, in the same
   * conditional write; one that records it stores its head as approved.
   */
  claim(claim: PrClaim): Promise<ClaimResult>;
  /** Remembers artifact keys before their pipeline is deleted; false when a newer change took over. */
  recordPendingArtifacts(claim: PrClaim, keys: readonly string[]): Promise<boolean>;
  /** Marks the change done (and forgets pending artifacts); false when a newer change took over. */
  markDone(claim: PrClaim, options: { clearPendingArtifacts: boolean }): Promise<boolean>;
  /** Marks the change as waiting for capacity; false when a newer change took over. */
  markWaiting(claim: PrClaim): Promise<boolean>;
}

/** The capacity ledger (capacity.ts): read it, or change it by a decision, atomically. */
export interface CapacityLedger {
  read(): Promise<Ledger>;
  /** Decides on the current ledger and writes the change in one atomic step (deciding again if another writer came first). */
  update<T>(decide: (ledger: Ledger) => Decision<T>): Promise<T>;
}
