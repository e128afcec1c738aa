/** The sample events of __tests__/fixtures/codepipeline-events, loaded fresh for each use. */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { EventBridgeEvent } from "aws-lambda";

const FIXTURES = path.join(__dirname, "..", "..", "fixtures", "codepipeline-events");

export const FIXTURE_NAMES = [
  "pipeline-started",
  "pipeline-failed",
  "pipeline-succeeded",
  "pipeline-superseded",
  "pipeline-stopped",
  "pipeline-canceled",
  "pipeline-resumed",
  "pipeline-stopping",
  "pipeline-failed-aws-cn",
  "stage-failed",
  "action-build-failed",
  "action-approval-started",
  "action-source-succeeded",
] as const;
export type FixtureName = (typeof FIXTURE_NAMES)[number];

export type SampleEvent = EventBridgeEvent<string, Record<string, unknown>> & { detail: Record<string, unknown> };

/** A documented sample event, as AWS shows it (pipeline "myPipeline"). */
export function sample(name: FixtureName): SampleEvent {
  return JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), "utf8")) as SampleEvent;
}

/**
 * A sample event of another pipeline (and optionally execution), with the
 * resource ARN renamed to match, as EventBridge would deliver it for that pipeline.
 */
export function sampleFor(name: FixtureName, pipeline: string, overrides: { executionId?: string; state?: string } = {}): SampleEvent {
  const event = sample(name);
  event.resources = event.resources.map((arn) => arn.replace(/:myPipeline$/, `:${pipeline}`));
  event.detail.pipeline = pipeline;
  if (overrides.executionId) event.detail["execution-id"] = overrides.executionId;
  if (overrides.state) event.detail.state = overrides.state;
  return event;
}
