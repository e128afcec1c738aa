import type { OperationCounts } from "./calls";

/**
 * The README's sample deliveries (sandbox/samples) and the AWS calls each
 * must cost, by function folder: the budget. One call more is one that a
 * cache or the event itself should have answered, and fails the benchmark.
 * The samples are sent one at a time, in this order, right after `up`: pull
 * request 7 of the sandbox's first repository, the shop (two services), opened, then closed,
 * then a push to main that touches one service.
 */
export interface SampleEvent {
  readonly name: string;
  /** X-GitHub-Event. */
  readonly event: "pull_request" | "push";
  /** Relative to the repository. */
  readonly payloadFile: string;
  /** The function the bus hands the event to. */
  readonly consumer: string;
  readonly expected: Readonly<Record<string, OperationCounts>>;
}

export const SAMPLE_EVENTS: readonly SampleEvent[] = [
  {
    name: "pull request opened",
    event: "pull_request",
    payloadFile: "sandbox/samples/pull-request-opened.json",
    consumer: "pr-pipelines",
    expected: {
      // The webhook's first delivery: its secret is read once, then cached (the later samples read nothing).
      webhook: { GetSecretValue: 1, PutEvents: 1 },
      "pr-pipelines": {
        // Claim the pull request's state (conditional on updated_at), reserve its pipelines under the cap
        // (the capacity ledger read, then written on its version), and mark the state done.
        GetItem: 1,
        UpdateItem: 3,
        // Per service: the main pipeline's declaration to clone, the clone, its pinned run,
        // and the unpinned run CreatePipeline started by itself, found and stopped.
        GetPipeline: 2,
        CreatePipeline: 2,
        StartPipelineExecution: 2,
        ListPipelineExecutions: 2,
        StopPipelineExecution: 2,
      },
    },
  },
  {
    name: "pull request closed",
    event: "pull_request",
    payloadFile: "sandbox/samples/pull-request-closed.json",
    consumer: "pr-pipelines",
    expected: {
      webhook: { PutEvents: 1 },
      "pr-pipelines": {
        // Claim, the artifact keys recorded before anything is deleted, the pipelines released
        // (the capacity ledger read, then written on its version), done.
        GetItem: 1,
        UpdateItem: 4,
        // Per pipeline: its declaration (its role, and the preview stacks it deploys), is it ours (its tags),
        // and which artifacts its runs wrote.
        GetPipeline: 2,
        ListTagsForResource: 2,
        ListActionExecutions: 2,
        DeletePipeline: 2,
        // The preview stacks, through dev's cleanup role: one session for the pull request.
        AssumeRole: 1,
        DeleteStack: 2,
        // Every version of each artifact key (two runs of two pipelines), then one delete of them all.
        ListObjectVersions: 4,
        DeleteObjects: 1,
      },
    },
  },
  {
    name: "push to main touching one service",
    event: "push",
    payloadFile: "sandbox/samples/push-orders.json",
    consumer: "push-router",
    expected: {
      webhook: { PutEvents: 1 },
      // The conditional write that admits the push (is it newer?), then the pinned run.
      "push-router": { UpdateItem: 1, StartPipelineExecution: 1 },
    },
  },
];
