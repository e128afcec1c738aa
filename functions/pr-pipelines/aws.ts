import {
  CreatePipelineCommand,
  DeletePipelineCommand,
  GetPipelineCommand,
  ListActionExecutionsCommand,
  ListPipelineExecutionsCommand,
  ListTagsForResourceCommand,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
  TagResourceCommand,
  type CodePipelineClient,
  type PipelineDeclaration,
  type Tag,
} from "@aws-sdk/client-codepipeline";
import { DeleteObjectsCommand, ListObjectVersionsCommand, type ObjectIdentifier, type S3Client } from "@aws-sdk/client-s3";
import { mapWithConcurrency } from "../shared/concurrency";
import { ArtifactCleanupError } from "./errors";
import type { ArtifactGateway, ArtifactLocation, ExecutionSummary, ExistingPipeline, PinnedExecutionRequest, PipelineGateway } from "./gateways";

/** The CodePipeline and S3 calls of the pr-pipelines function. Clients are injected. */

function isNamed(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}

export class CodePipelineGateway implements PipelineGateway {
  constructor(private readonly client: CodePipelineClient) {}

  async getPipeline(name: string): Promise<ExistingPipeline | undefined> {
    try {
      const output = await this.client.send(new GetPipelineCommand({ name }));
      if (output.pipeline === undefined) return undefined;
      const arn = output.metadata?.pipelineArn;
      return arn === undefined ? { declaration: output.pipeline } : { declaration: output.pipeline, arn };
    } catch (error) {
      if (isNamed(error, "PipelineNotFoundException")) return undefined;
      throw error;
    }
  }

  async createPipeline(declaration: PipelineDeclaration, tags: Tag[]): Promise<"created" | "exists"> {
    try {
      await this.client.send(new CreatePipelineCommand({ pipeline: declaration, tags }));
      return "created";
    } catch (error) {
      if (isNamed(error, "PipelineNameInUseException")) return "exists";
      throw error;
    }
  }

  async deletePipeline(name: string): Promise<"deleted" | "missing"> {
    try {
      await this.client.send(new DeletePipelineCommand({ name }));
      return "deleted";
    } catch (error) {
      if (isNamed(error, "PipelineNotFoundException")) return "missing";
      throw error;
    }
  }

  async startPinnedExecution(request: PinnedExecutionRequest): Promise<string> {
    const output = await this.client.send(
      new StartPipelineExecutionCommand({
        name: request.pipelineName,
        clientRequestToken: request.clientRequestToken,
        sourceRevisions: request.sourceActionNames.map((actionName) => ({
          actionName,
          revisionType: "COMMIT_ID",
          revisionValue: request.commitId,
        })),
      }),
    );
    if (output.pipelineExecutionId === undefined) throw new Error("StartPipelineExecution returned no pipelineExecutionId");
    return output.pipelineExecutionId;
  }

  async listExecutions(pipelineName: string): Promise<ExecutionSummary[]> {
    const executions: ExecutionSummary[] = [];
    let nextToken: string | undefined;
    try {
      do {
        const page = await this.client.send(new ListPipelineExecutionsCommand({ pipelineName, maxResults: 100, nextToken }));
        for (const summary of page.pipelineExecutionSummaries ?? []) {
          if (summary.pipelineExecutionId === undefined) continue;
          executions.push({
            executionId: summary.pipelineExecutionId,
            ...(summary.status === undefined ? {} : { status: summary.status }),
            ...(summary.trigger?.triggerType === undefined ? {} : { triggerType: summary.trigger.triggerType }),
          });
        }
        nextToken = page.nextToken;
      } while (nextToken !== undefined);
    } catch (error) {
      if (isNamed(error, "PipelineNotFoundException")) return [];
      throw error;
    }
    return executions;
  }

  async abandonExecution(pipelineName: string, executionId: string, reason: string): Promise<"stopped" | "not-stoppable"> {
    try {
      await this.client.send(
        new StopPipelineExecutionCommand({ pipelineName, pipelineExecutionId: executionId, abandon: true, reason: reason.slice(0, 200) }),
      );
      return "stopped";
    } catch (error) {
      if (isNamed(error, "PipelineExecutionNotStoppableException", "DuplicatedStopRequestException")) return "not-stoppable";
      throw error;
    }
  }

  /** ListActionExecutions without a filter: every execution's actions in one listing, not one call per execution. */
  async listOutputArtifacts(pipelineName: string): Promise<ArtifactLocation[]> {
    const locations: ArtifactLocation[] = [];
    let nextToken: string | undefined;
    try {
      do {
        const page = await this.client.send(new ListActionExecutionsCommand({ pipelineName, maxResults: 100, nextToken }));
        for (const detail of page.actionExecutionDetails ?? []) {
          for (const artifact of detail.output?.outputArtifacts ?? []) {
            const { bucket, key } = artifact.s3location ?? {};
            if (bucket !== undefined && key !== undefined && key !== "") locations.push({ bucket, key });
          }
        }
        nextToken = page.nextToken;
      } while (nextToken !== undefined);
    } catch (error) {
      if (isNamed(error, "PipelineNotFoundException")) return locations;
      throw error;
    }
    return locations;
  }

  async tagPipeline(arn: string, tags: Tag[]): Promise<void> {
    await this.client.send(new TagResourceCommand({ resourceArn: arn, tags }));
  }

  async listTags(arn: string): Promise<Tag[]> {
    const tags: Tag[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(new ListTagsForResourceCommand({ resourceArn: arn, nextToken }));
      tags.push(...(page.tags ?? []));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    return tags;
  }
}

/** DeleteObjects takes at most this many keys a call. */
export const DELETE_BATCH_SIZE = 1000;

/** Keys whose versions are listed at once. */
export const LISTING_CONCURRENCY = 4;

export class S3ArtifactGateway implements ArtifactGateway {
  constructor(private readonly client: S3Client) {}

  /** Every version and delete marker of `key` itself; ListObjectVersions' Prefix also returns longer keys, which are dropped. */
  private async versionsOf(bucket: string, key: string): Promise<ObjectIdentifier[]> {
    const found: ObjectIdentifier[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (;;) {
      const page = await this.client.send(
        new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }),
      );
      for (const entry of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
        if (entry.Key === key) found.push({ Key: key, VersionId: entry.VersionId ?? "null" });
      }
      if (page.IsTruncated !== true) return found;
      keyMarker = page.NextKeyMarker;
      versionIdMarker = page.NextVersionIdMarker;
      // Past the exact key, every further entry is a longer key.
      if (keyMarker !== undefined && keyMarker !== key) return found;
    }
  }

  async deleteAllVersions(bucket: string, keys: readonly string[]): Promise<number> {
    const listed = await mapWithConcurrency([...new Set(keys)], LISTING_CONCURRENCY, (key) => this.versionsOf(bucket, key));
    const objects = listed.flat();
    const failures: Array<{ key: string; versionId?: string; code?: string; message?: string }> = [];
    for (let start = 0; start < objects.length; start += DELETE_BATCH_SIZE) {
      const batch = objects.slice(start, start + DELETE_BATCH_SIZE);
      const output = await this.client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }));
      for (const error of output.Errors ?? []) {
        failures.push({
          key: error.Key ?? "",
          ...(error.VersionId === undefined ? {} : { versionId: error.VersionId }),
          ...(error.Code === undefined ? {} : { code: error.Code }),
          ...(error.Message === undefined ? {} : { message: error.Message }),
        });
      }
    }
    if (failures.length > 0) throw new ArtifactCleanupError(bucket, failures);
    return objects.length;
  }
}
