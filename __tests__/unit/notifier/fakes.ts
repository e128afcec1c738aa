/** Stand-ins for the notifier's adapters: CodePipeline, SNS, the thread table and Slack's Web API, recording what they were asked. */
import type { ChannelOutcome, TopicPublisher } from "../../../functions/notifier/channels";
import type { EmailMessage } from "../../../functions/notifier/email";
import type { ActionExecutionFacts, ExecutionFacts, PipelineFacts } from "../../../functions/notifier/facts";
import type { NotifierDeps } from "../../../functions/notifier/handler";
import type { ExecutionSummaryFacts } from "../../../functions/notifier/routing";
import type { ThreadClaim, ThreadParent, ThreadStore } from "../../../functions/notifier/slack-bot";
import type { SlackApiError, SlackChat } from "../../../functions/shared/slack/web-api";

/** CodePipeline as a map of what each call answers; a thrown error is answered as such. */
export class FakeFacts implements PipelineFacts {
  calls: string[] = [];
  executions = new Map<string, ExecutionFacts | Error>();
  actions = new Map<string, ActionExecutionFacts[] | Error>();
  tagsByArn = new Map<string, Record<string, string> | Error>();
  recent = new Map<string, ExecutionSummaryFacts[] | Error>();

  private answer<T>(call: string, value: T | Error | undefined, fallback: T): Promise<T> {
    this.calls.push(call);
    if (value instanceof Error) return Promise.reject(value);
    return Promise.resolve(value ?? fallback);
  }
  execution(pipeline: string, executionId: string) {
    return this.answer(`GetPipelineExecution ${pipeline}`, this.executions.get(`${pipeline}/${executionId}`), {
      status: "InProgress",
      revisions: [],
    });
  }
  actionExecutions(pipeline: string, executionId: string) {
    return this.answer(`ListActionExecutions ${pipeline}`, this.actions.get(`${pipeline}/${executionId}`), []);
  }
  tags(arn: string) {
    return this.answer(`ListTagsForResource ${arn}`, this.tagsByArn.get(arn), {});
  }
  recentExecutions(pipeline: string) {
    return this.answer(`ListPipelineExecutions ${pipeline}`, this.recent.get(pipeline), []);
  }
}

export class RecordingTopic implements TopicPublisher {
  published: EmailMessage[] = [];
  fail?: unknown;
  async publish(message: EmailMessage): Promise<ChannelOutcome> {
    if (this.fail) throw this.fail;
    this.published.push(message);
    return { status: "delivered", detail: "message m-1" };
  }
}

export function recordingLogger() {
  const entries: Array<{ level: string; message: string; attributes: Record<string, unknown> }> = [];
  const at =
    (level: string) =>
    (message: string, ...attributes: unknown[]) => {
      entries.push({ level, message, attributes: Object.assign({}, ...(attributes as object[])) });
    };
  return { entries, info: at("info"), warn: at("warn"), error: at("error") } as unknown as NotifierDeps["logger"] & {
    entries: typeof entries;
  };
}

/** The thread table's rules in memory: each call is atomic, as DynamoDB's conditional writes are. */
export class MemoryThreadStore implements ThreadStore {
  readonly items = new Map<string, { channel: string; ts?: string; claimant: string; posted: Set<string> }>();
  claims = 0;

  async claim(thread: string, claim: { channel: string; claimant: string }): Promise<ThreadClaim> {
    this.claims++;
    const item = this.items.get(thread);
    if (item === undefined) {
      this.items.set(thread, { channel: claim.channel, claimant: claim.claimant, posted: new Set() });
      return { claimed: true };
    }
    return { claimed: false, parent: item.ts ? { channel: item.channel, ts: item.ts } : undefined };
  }
  async recordParent(thread: string, claimant: string, parent: ThreadParent): Promise<boolean> {
    const item = this.items.get(thread);
    if (item?.claimant !== claimant || item.ts !== undefined) return false;
    Object.assign(item, parent);
    return true;
  }
  async release(thread: string, claimant: string): Promise<void> {
    const item = this.items.get(thread);
    if (item?.claimant === claimant && item.ts === undefined) this.items.delete(thread);
  }
  async reserveReply(thread: string, replyKey: string): Promise<boolean> {
    const item = this.items.get(thread);
    if (item === undefined) return true;
    if (item.posted.has(replyKey)) return false;
    item.posted.add(replyKey);
    return true;
  }
  async releaseReply(thread: string, replyKey: string): Promise<void> {
    this.items.get(thread)?.posted.delete(replyKey);
  }
}

export type ChatCall =
  | { method: "chat.postMessage"; channel: string; text: string; threadTs?: string; replyBroadcast?: boolean; blocks?: readonly unknown[] }
  | { method: "chat.update"; channel: string; ts: string; text: string };

/** Slack's Web API as a recorder: each post gets the next ts; `failNext` makes the next call fail as Slack would. */
export class FakeChat implements SlackChat {
  readonly calls: ChatCall[] = [];
  delayMs = 0;
  failNext?: SlackApiError;
  private nextTs = 100;

  async postMessage(message: Parameters<SlackChat["postMessage"]>[0]) {
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    this.throwIfFailing();
    const { channel, text, threadTs, replyBroadcast, blocks } = message;
    this.calls.push({ method: "chat.postMessage", channel, text, threadTs, replyBroadcast, blocks });
    return { channel: message.channel, ts: `1711461552.000${this.nextTs++}` };
  }
  async update(message: Parameters<SlackChat["update"]>[0]) {
    this.throwIfFailing();
    this.calls.push({ method: "chat.update", channel: message.channel, ts: message.ts, text: message.text });
  }
  private throwIfFailing() {
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
  }
  posts() {
    return this.calls.filter((call) => call.method === "chat.postMessage");
  }
}
