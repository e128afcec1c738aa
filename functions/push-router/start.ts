import { clientRequestToken } from "./token";

/** One pipeline start pinned to the pushed commit. */
export interface StartRequest {
  pipeline: string;
  /** The source action whose revision is pinned. */
  sourceActionName: string;
  commitId: string;
  clientRequestToken: string;
}

/** Starts pipeline executions; aws.ts holds the CodePipeline implementation. */
export interface PipelineStarter {
  start(request: StartRequest): Promise<{ executionId?: string }>;
}

export interface StartedPipeline {
  pipeline: string;
  executionId?: string;
}

export interface FailedStart {
  pipeline: string;
  cause: unknown;
}

/** "Name: message" of an error, also of one from another realm or a plain object. */
export function describeError(cause: unknown): string {
  const { name, message } = (typeof cause === "object" && cause !== null ? cause : {}) as { name?: unknown; message?: unknown };
  if (typeof message !== "string") return String(cause);
  return `${typeof name === "string" ? name : "Error"}: ${message}`;
}

/**
 * Some pipelines of a push could not be started. Thrown after every other
 * pipeline was attempted, so the invocation is retried and finally lands in
 * the dead-letter queue; the started ones are not started again on retry,
 * because their clientRequestToken is the same.
 */
export class PipelineStartsFailedError extends Error {
  constructor(
    readonly deliveryId: string,
    readonly commitId: string,
    readonly failures: readonly FailedStart[],
    readonly started: readonly StartedPipeline[],
  ) {
    super(
      `Could not start ${failures.length} pipeline(s) for commit ${commitId} (delivery ${deliveryId}): ` +
        failures.map((f) => `${f.pipeline} (${describeError(f.cause)})`).join("; ") +
        (started.length > 0 ? `. Started: ${started.map((s) => s.pipeline).join(", ")}` : "") +
        ". Fix the cause (a missing pipeline, a permission, a throttle); a retry or a redrive of this event starts " +
        `only what is missing, or start the pipeline by hand at commit ${commitId}`,
      {
        cause: new AggregateError(
          failures.map((f) => f.cause),
          "StartPipelineExecution failures",
        ),
      },
    );
    this.name = "PipelineStartsFailedError";
  }
}

/** Starts every pipeline in parallel; throws PipelineStartsFailedError if any failed, after all were attempted. */
export async function startPipelines(
  starter: PipelineStarter,
  pipelines: readonly string[],
  push: { deliveryId: string; commitId: string; sourceActionName: string },
): Promise<StartedPipeline[]> {
  const results = await Promise.all(
    pipelines.map(async (pipeline): Promise<StartedPipeline | FailedStart> => {
      try {
        const { executionId } = await starter.start({
          pipeline,
          sourceActionName: push.sourceActionName,
          commitId: push.commitId,
          clientRequestToken: clientRequestToken(push.deliveryId, pipeline),
        });
        return { pipeline, executionId };
      } catch (cause) {
        return { pipeline, cause };
      }
    }),
  );
  const started: StartedPipeline[] = [];
  const failures: FailedStart[] = [];
  for (const result of results) {
    if ("cause" in result) failures.push(result);
    else started.push(result);
  }
  if (failures.length > 0) throw new PipelineStartsFailedError(push.deliveryId, push.commitId, failures, started);
  return started;
}
