import {
  ListPipelineExecutionsCommand,
  ListPipelinesCommand,
  ListTagsForResourceCommand,
  type CodePipelineClient,
  type Tag,
} from "@aws-sdk/client-codepipeline";
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import { mapWithConcurrency } from "../shared/concurrency";
import type { RepositoryCatalog } from "../shared/repositories";
import { checkPrPipelineTags, matchPrPipelineName, type PrPipeline } from "./discover";

/**
 * The CodePipeline calls of the reconciler's discovery: which pull request
 * pipelines exist, and when each last ran. The client is injected. Deleting
 * goes through pr-pipelines' CodePipelineGateway.
 */

export interface IgnoredPipeline {
  readonly name: string;
  readonly reason: string;
}

export interface InventoryFailure {
  readonly pipeline: string;
  /** The repository of the main pipeline its name says it was cloned from. */
  readonly repository: string;
  /** The pull request its name says it belongs to. */
  readonly pullRequest: number;
  readonly operation: string;
  readonly message: string;
}

export interface Inventory {
  readonly pipelines: PrPipeline[];
  /** Named like a pull request pipeline, but its tags disagree: left alone. */
  readonly ignored: IgnoredPipeline[];
  /** Candidates whose tags could not be read: left alone this run. */
  readonly failures: InventoryFailure[];
}

/** "missing" when the pipeline was deleted in the meantime. */
export type Activity = Date | undefined | "missing";

export interface PrPipelineInventory {
  /** Every pull request pipeline of the configured main pipelines, of every repository. Throws when ListPipelines fails. */
  listPrPipelines(): Promise<Inventory>;
  /** Start of the newest execution, else the pipeline's creation; undefined when neither is known. */
  lastActivity(pipeline: PrPipeline): Promise<Activity>;
}

export interface CodePipelineInventoryOptions {
  /** A pull request pipeline belongs to the repository whose service pipeline it was cloned from. */
  readonly repositories: RepositoryCatalog;
  /** `arn:<partition>:codepipeline:<region>:<account>:`, for ListTagsForResource. */
  readonly arnPrefix: () => Promise<string>;
}

/** Parallel ListTagsForResource calls. */
const TAG_CONCURRENCY = 4;
/** Executions read to find the newest start (CodePipeline lists newest first). */
const EXECUTIONS_PAGE = 10;

function isNamed(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export class CodePipelineInventory implements PrPipelineInventory {
  private readonly servicePipelines: readonly string[];

  constructor(
    private readonly client: CodePipelineClient,
    private readonly options: CodePipelineInventoryOptions,
  ) {
    this.servicePipelines = options.repositories.pipelines;
  }

  async listPrPipelines(): Promise<Inventory> {
    const candidates: Array<{ name: string; basePipeline: string; number: number; created?: Date }> = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(new ListPipelinesCommand({ maxResults: 1000, nextToken }));
      for (const summary of page.pipelines ?? []) {
        const name = summary.name;
        if (name === undefined) continue;
        const match = matchPrPipelineName(name, this.servicePipelines);
        if (match !== undefined) candidates.push({ name, ...match, ...(summary.created === undefined ? {} : { created: summary.created }) });
      }
      nextToken = page.nextToken;
    } while (nextToken !== undefined && nextToken !== "");

    const inventory: Inventory = { pipelines: [], ignored: [], failures: [] };
    if (candidates.length === 0) return inventory;
    const prefix = await this.options.arnPrefix();
    const checked = await mapWithConcurrency(candidates, TAG_CONCURRENCY, async (candidate) => {
      const arn = `${prefix}${candidate.name}`;
      try {
        return { candidate, arn, tags: await this.tagsOf(arn) };
      } catch (error) {
        return { candidate, arn, error };
      }
    });
    for (const result of checked) {
      const { candidate, arn } = result;
      const owner = this.options.repositories.ownerOfPipeline(candidate.basePipeline);
      if (owner === undefined) continue; // matched against the catalog's own pipelines
      const repository = owner.repository.repository;
      if ("error" in result) {
        if (isNamed(result.error, "ResourceNotFoundException", "PipelineNotFoundException")) continue; // deleted meanwhile
        inventory.failures.push({
          pipeline: candidate.name,
          repository,
          pullRequest: candidate.number,
          operation: "ListTagsForResource",
          message: describe(result.error),
        });
        continue;
      }
      const check = checkPrPipelineTags({ ...candidate, arn }, result.tags, repository);
      if (check.managed) inventory.pipelines.push(check.pipeline);
      else inventory.ignored.push({ name: candidate.name, reason: check.reason });
    }
    return inventory;
  }

  private async tagsOf(resourceArn: string): Promise<Tag[]> {
    const tags: Tag[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(new ListTagsForResourceCommand({ resourceArn, nextToken }));
      tags.push(...(page.tags ?? []));
      nextToken = page.nextToken;
    } while (nextToken !== undefined && nextToken !== "");
    return tags;
  }

  async lastActivity(pipeline: PrPipeline): Promise<Activity> {
    try {
      const page = await this.client.send(new ListPipelineExecutionsCommand({ pipelineName: pipeline.name, maxResults: EXECUTIONS_PAGE }));
      const starts = (page.pipelineExecutionSummaries ?? [])
        .map((summary) => summary.startTime?.getTime())
        .filter((time): time is number => time !== undefined);
      if (starts.length > 0) return new Date(Math.max(...starts));
      return pipeline.created;
    } catch (error) {
      if (isNamed(error, "PipelineNotFoundException")) return "missing";
      throw error;
    }
  }
}

/**
 * The ARN prefix of this account's pipelines in `region`, from
 * GetCallerIdentity (which needs no permission), read once.
 */
export function stsPipelineArnPrefix(sts: Pick<STSClient, "send">, region: string): () => Promise<string> {
  let cached: Promise<string> | undefined;
  return () => {
    if (cached === undefined) {
      const pending = sts.send(new GetCallerIdentityCommand({})).then((identity) => {
        const partition = identity.Arn?.split(":")[1];
        if (identity.Account === undefined || partition === undefined) throw new Error("GetCallerIdentity returned no account or ARN");
        return `arn:${partition}:codepipeline:${region}:${identity.Account}:`;
      });
      cached = pending;
      // A failure is not remembered: the next run asks again.
      pending.catch(() => {
        if (cached === pending) cached = undefined;
      });
    }
    return cached;
  };
}
