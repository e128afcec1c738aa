import {
  CodePipelineClient,
  CreatePipelineCommand,
  DeletePipelineCommand,
  GetPipelineCommand,
  ListActionExecutionsCommand,
  ListPipelineExecutionsCommand,
  ListTagsForResourceCommand,
  PipelineExecutionNotStoppableException,
  PipelineNameInUseException,
  PipelineNotFoundException,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
  TagResourceCommand,
  type PipelineDeclaration,
  type SourceRevisionOverride,
  type Tag,
} from "@aws-sdk/client-codepipeline";
import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client, type ObjectIdentifier } from "@aws-sdk/client-s3";
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { FakeDynamoTable } from "./fake-dynamodb";

/**
 * Stateful fakes behind aws-sdk-client-mock: the real adapters (aws.ts,
 * state.ts) send real SDK commands, and these answer them the way the
 * services do, so tests can check what is left in CodePipeline and S3.
 */

export const ACCOUNT = "111111111111";
export const REGION = "eu-west-1";

export interface FakeExecution {
  id: string;
  status: string;
  triggerType: string;
  sourceRevisions?: SourceRevisionOverride[];
  clientRequestToken?: string;
  /** Output artifacts of the execution's actions. */
  artifacts: Array<{ bucket: string; key: string }>;
}

interface StoredPipeline {
  declaration: PipelineDeclaration;
  arn: string;
  tags: Tag[];
  /** Newest last. */
  executions: FakeExecution[];
}

type CommandName =
  | "GetPipeline"
  | "CreatePipeline"
  | "DeletePipeline"
  | "StartPipelineExecution"
  | "ListPipelineExecutions"
  | "StopPipelineExecution"
  | "ListActionExecutions"
  | "TagResource"
  | "ListTagsForResource"
  | "ListObjectVersions"
  | "DeleteObjects"
  | "UpdateItem"
  | "GetItem";

export function throttling(): Error {
  const error = new Error("Rate exceeded");
  error.name = "ThrottlingException";
  return error;
}

function notFound(name: string): PipelineNotFoundException {
  return new PipelineNotFoundException({ message: `Account '${ACCOUNT}' does not have a pipeline with name '${name}'`, $metadata: {} });
}

export interface S3Entry {
  bucket: string;
  key: string;
  versionId: string;
  deleteMarker?: boolean;
}

export class FakeAws {
  readonly codepipeline = mockClient(CodePipelineClient);
  readonly s3 = mockClient(S3Client);
  readonly dynamodb = mockClient(DynamoDBClient);
  readonly pipelines = new Map<string, StoredPipeline>();
  readonly objects: S3Entry[] = [];
  readonly table: FakeDynamoTable;
  /** Errors to throw, once each, the next time a command is sent. */
  private readonly failures = new Map<CommandName, Error[]>();
  private executionCounter = 0;
  /** ListObjectVersions page size: small, to exercise pagination. */
  listPageSize = 2;

  constructor(tableName: string) {
    this.table = new FakeDynamoTable(tableName);
    this.install();
  }

  /** Makes the next `count` calls of `command` fail with `error`. */
  failNext(command: CommandName, error: Error, count = 1): void {
    this.failures.set(command, [...(this.failures.get(command) ?? []), ...Array.from({ length: count }, () => error)]);
  }

  private maybeFail(command: CommandName): void {
    const queued = this.failures.get(command);
    const error = queued?.shift();
    if (error !== undefined) throw error;
  }

  restore(): void {
    this.codepipeline.restore();
    this.s3.restore();
    this.dynamodb.restore();
  }

  addPipeline(declaration: PipelineDeclaration, tags: Tag[] = []): StoredPipeline {
    const name = declaration.name ?? "";
    const stored: StoredPipeline = {
      declaration: structuredClone(declaration),
      arn: `arn:aws:codepipeline:${REGION}:${ACCOUNT}:${name}`,
      tags,
      executions: [],
    };
    this.pipelines.set(name, stored);
    return stored;
  }

  addExecution(pipeline: string, execution: Partial<FakeExecution> & { artifacts?: FakeExecution["artifacts"] }): FakeExecution {
    const stored = this.pipelines.get(pipeline);
    if (stored === undefined) throw new Error(`no pipeline ${pipeline}`);
    const created: FakeExecution = {
      id: execution.id ?? `exec-${++this.executionCounter}`,
      status: execution.status ?? "Succeeded",
      triggerType: execution.triggerType ?? "StartPipelineExecution",
      artifacts: execution.artifacts ?? [],
      ...(execution.sourceRevisions === undefined ? {} : { sourceRevisions: execution.sourceRevisions }),
      ...(execution.clientRequestToken === undefined ? {} : { clientRequestToken: execution.clientRequestToken }),
    };
    stored.executions.push(created);
    return created;
  }

  addObject(bucket: string, key: string, versionIds: string[], deleteMarkers: string[] = []): void {
    for (const versionId of versionIds) this.objects.push({ bucket, key, versionId });
    for (const versionId of deleteMarkers) this.objects.push({ bucket, key, versionId, deleteMarker: true });
  }

  objectsIn(bucket: string): S3Entry[] {
    return this.objects.filter((entry) => entry.bucket === bucket);
  }

  /** Calls of a command, by its input. */
  sent<T>(command: new (input: T) => unknown): T[] {
    // aws-sdk-client-mock records calls per client; look in all three.
    return [this.codepipeline, this.s3, this.dynamodb].flatMap((client) =>
      client
        .calls()
        .filter((call) => call.args[0] instanceof command)
        .map((call) => call.args[0].input as T),
    );
  }

  private install(): void {
    const cp = this.codepipeline;
    cp.on(GetPipelineCommand).callsFake(async ({ name }) => {
      this.maybeFail("GetPipeline");
      const stored = this.pipelines.get(name);
      if (stored === undefined) throw notFound(name);
      return { pipeline: structuredClone(stored.declaration), metadata: { pipelineArn: stored.arn } };
    });
    cp.on(CreatePipelineCommand).callsFake(async ({ pipeline, tags }) => {
      this.maybeFail("CreatePipeline");
      const name = pipeline?.name ?? "";
      if (this.pipelines.has(name)) throw new PipelineNameInUseException({ message: `Pipeline name ${name} is in use`, $metadata: {} });
      const stored = this.addPipeline({ ...pipeline, version: 1 } as PipelineDeclaration, tags ?? []);
      // CreatePipeline starts an execution by itself, unpinned.
      this.addExecution(name, { status: "InProgress", triggerType: "CreatePipeline" });
      return { pipeline: stored.declaration, tags };
    });
    cp.on(DeletePipelineCommand).callsFake(async ({ name }) => {
      this.maybeFail("DeletePipeline");
      this.pipelines.delete(name);
      return {};
    });
    cp.on(StartPipelineExecutionCommand).callsFake(async ({ name, clientRequestToken, sourceRevisions }) => {
      this.maybeFail("StartPipelineExecution");
      const stored = this.pipelines.get(name);
      if (stored === undefined) throw notFound(name);
      const same = stored.executions.find((execution) => clientRequestToken !== undefined && execution.clientRequestToken === clientRequestToken);
      if (same !== undefined) return { pipelineExecutionId: same.id };
      const execution = this.addExecution(name, { status: "InProgress", triggerType: "StartPipelineExecution", sourceRevisions, clientRequestToken });
      return { pipelineExecutionId: execution.id };
    });
    cp.on(ListPipelineExecutionsCommand).callsFake(async ({ pipelineName, maxResults, nextToken }) => {
      this.maybeFail("ListPipelineExecutions");
      const stored = this.pipelines.get(pipelineName);
      if (stored === undefined) throw notFound(pipelineName);
      const newestFirst = [...stored.executions].reverse();
      const start = nextToken === undefined ? 0 : Number(nextToken);
      const size = Math.min(maxResults ?? 100, 2);
      const page = newestFirst.slice(start, start + size);
      return {
        pipelineExecutionSummaries: page.map((execution) => ({
          pipelineExecutionId: execution.id,
          status: execution.status,
          trigger: { triggerType: execution.triggerType },
        })),
        ...(start + size < newestFirst.length ? { nextToken: String(start + size) } : {}),
      } as never;
    });
    cp.on(StopPipelineExecutionCommand).callsFake(async ({ pipelineName, pipelineExecutionId, abandon }) => {
      this.maybeFail("StopPipelineExecution");
      const execution = this.pipelines.get(pipelineName)?.executions.find((candidate) => candidate.id === pipelineExecutionId);
      if (execution === undefined || execution.status !== "InProgress") {
        throw new PipelineExecutionNotStoppableException({ message: "not stoppable", $metadata: {} });
      }
      execution.status = abandon === true ? "Stopped" : "Stopping";
      return { pipelineExecutionId };
    });
    cp.on(ListActionExecutionsCommand).callsFake(async ({ pipelineName, filter, nextToken }) => {
      this.maybeFail("ListActionExecutions");
      const stored = this.pipelines.get(pipelineName);
      if (stored === undefined) throw notFound(pipelineName);
      const executions = stored.executions.filter(
        (execution) => filter?.pipelineExecutionId === undefined || execution.id === filter.pipelineExecutionId,
      );
      // One action execution per artifact, one per page: exercises pagination.
      const details = executions.flatMap((execution) =>
        execution.artifacts.map((artifact, index) => ({
          pipelineExecutionId: execution.id,
          actionName: `Action${index}`,
          output: { outputArtifacts: [{ name: `Artifact${index}`, s3location: { bucket: artifact.bucket, key: artifact.key } }] },
        })),
      );
      const start = nextToken === undefined ? 0 : Number(nextToken);
      return {
        actionExecutionDetails: details.slice(start, start + 1),
        ...(start + 1 < details.length ? { nextToken: String(start + 1) } : {}),
      } as never;
    });
    cp.on(TagResourceCommand).callsFake(async ({ resourceArn, tags }) => {
      this.maybeFail("TagResource");
      const stored = [...this.pipelines.values()].find((pipeline) => pipeline.arn === resourceArn);
      if (stored === undefined) throw new Error(`ResourceNotFoundException: ${resourceArn}`);
      for (const tag of tags ?? []) {
        stored.tags = [...stored.tags.filter((existing) => existing.key !== tag.key), tag];
      }
      return {};
    });

    cp.on(ListTagsForResourceCommand).callsFake(async ({ resourceArn }) => {
      this.maybeFail("ListTagsForResource");
      const stored = [...this.pipelines.values()].find((pipeline) => pipeline.arn === resourceArn);
      if (stored === undefined) throw new Error(`ResourceNotFoundException: ${resourceArn}`);
      return { tags: stored.tags };
    });

    this.s3.on(ListObjectVersionsCommand).callsFake(async ({ Bucket, Prefix, KeyMarker, VersionIdMarker }) => {
      this.maybeFail("ListObjectVersions");
      const all = this.objects
        .filter((entry) => entry.bucket === Bucket && entry.key.startsWith(Prefix ?? ""))
        .sort((a, b) => (a.key === b.key ? a.versionId.localeCompare(b.versionId) : a.key < b.key ? -1 : 1));
      const start = KeyMarker === undefined ? 0 : all.findIndex((entry) => entry.key === KeyMarker && entry.versionId === VersionIdMarker) + 1;
      const page = all.slice(start, start + this.listPageSize);
      const last = page[page.length - 1];
      const truncated = start + this.listPageSize < all.length;
      return {
        Versions: page.filter((entry) => entry.deleteMarker !== true).map((entry) => ({ Key: entry.key, VersionId: entry.versionId })),
        DeleteMarkers: page.filter((entry) => entry.deleteMarker === true).map((entry) => ({ Key: entry.key, VersionId: entry.versionId })),
        IsTruncated: truncated,
        ...(truncated && last !== undefined ? { NextKeyMarker: last.key, NextVersionIdMarker: last.versionId } : {}),
      };
    });
    this.s3.on(DeleteObjectsCommand).callsFake(async ({ Bucket, Delete }) => {
      this.maybeFail("DeleteObjects");
      for (const identifier of Delete?.Objects ?? []) {
        const index = this.objects.findIndex(
          (entry) => entry.bucket === Bucket && entry.key === identifier.Key && entry.versionId === identifier.VersionId,
        );
        if (index >= 0) this.objects.splice(index, 1);
      }
      return { Deleted: (Delete?.Objects ?? []).map((identifier: ObjectIdentifier) => ({ Key: identifier.Key, VersionId: identifier.VersionId })) };
    });

    this.dynamodb.on(UpdateItemCommand).callsFake(async (input) => {
      this.maybeFail("UpdateItem");
      return this.table.updateItem(input);
    });
    this.dynamodb.on(GetItemCommand).callsFake(async ({ TableName, Key }) => {
      this.maybeFail("GetItem");
      if (TableName !== this.table.tableName) throw new Error(`ResourceNotFoundException: table ${TableName}`);
      const item = this.table.get(Key?.[this.table.keyAttribute]?.S ?? "");
      return item === undefined ? {} : { Item: structuredClone(item) };
    });
  }
}
