import type { OperationCounts } from "./calls";

/**
 * The README's sample deliveries (sandbox/samples) and the AWS calls each
 * must cost, by function folder: the budget. One call more is one that a
 * cache or the event itself should have answered, and fails the benchmark.
 * The samples are sent one at a time, in this order, right after `up`: pull
 * request 7 of the sandbox's first repository, the shop (two services), opened, then closed,
 * then a push to main that touches one service, which runs to its prod approval; then from
 * Slack: `/pipewright status`, the approver's click on that approval, and a deploy pinned to a
 * commit.
 */
/** What a sample sends: a GitHub delivery, or a request from Slack signed as Slack signs it. */
export type SampleRequest =
  | {
      readonly kind: "github";
      /** X-GitHub-Event. */
      readonly event: "pull_request" | "push";
      /** Relative to the repository. */
      readonly payloadFile: string;
    }
  /** `/pipewright <text>` from the sandbox's Slack approver. */
  | { readonly kind: "slack-command"; readonly text: string }
  /** The approver's click on Approve in the newest approval message of the pipeline. */
  | { readonly kind: "slack-approval"; readonly pipeline: string };

export interface SampleEvent {
  readonly name: string;
  readonly request: SampleRequest;
  /** The function the bus hands the event to. */
  readonly consumer: string;
  readonly expected: Readonly<Record<string, OperationCounts>>;
}

export const SAMPLE_EVENTS: readonly SampleEvent[] = [
  {
    name: "pull request opened",
    request: { kind: "github", event: "pull_request", payloadFile: "sandbox/samples/pull-request-opened.json" },
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
    request: { kind: "github", event: "pull_request", payloadFile: "sandbox/samples/pull-request-closed.json" },
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
    request: { kind: "github", event: "push", payloadFile: "sandbox/samples/push-orders.json" },
    consumer: "push-router",
    expected: {
      webhook: { PutEvents: 1 },
      // The conditional write that admits the push (is it newer?), then the pinned run.
      "push-router": { UpdateItem: 1, StartPipelineExecution: 1 },
    },
  },
  {
    name: "Slack: /pipewright status",
    request: { kind: "slack-command", text: "status" },
    consumer: "slack-actions",
    expected: {
      // The front's first request: its signing secret is read once, then cached.
      slack: { GetSecretValue: 1, PutEvents: 1 },
      // The signing secret again (the worker verifies the request itself), then per main pipeline
      // of the sandbox (four) its latest execution and its stages, side by side.
      "slack-actions": { GetSecretValue: 1, ListPipelineExecutions: 4, GetPipelineState: 4 },
    },
  },
  {
    name: "Slack: Approve clicked on the push's approval",
    request: { kind: "slack-approval", pipeline: "pipewright-shop-orders" },
    consumer: "slack-actions",
    expected: {
      slack: { PutEvents: 1 },
      // The approval's token, the answer, and the bot token to rewrite the message (read once, then cached).
      "slack-actions": { GetPipelineState: 1, PutApprovalResult: 1, GetSecretValue: 1 },
    },
  },
  {
    name: "Slack: /pipewright deploy orders <commit>",
    request: { kind: "slack-command", text: "deploy orders 1111111111111111111111111111111111111111" },
    consumer: "slack-actions",
    expected: {
      slack: { PutEvents: 1 },
      "slack-actions": { StartPipelineExecution: 1 },
    },
  },
];
