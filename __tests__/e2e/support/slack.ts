/**
 * The sandbox's Slack as the end-to-end tests use it: requests signed as
 * Slack signs them (sandbox/slack-requests.ts, what `npm run sandbox --
 * slack` sends too), and what the Slack stand-in received from pipewright.
 */
import { randomUUID } from "node:crypto";
import {
  type ApprovalMessage,
  approvalMessages,
  postSlackRequest,
  type SignedSlackRequest,
  type SlackAppAnswer,
  signedBlockAction,
  signedSlashCommand,
} from "../../../sandbox/slack-requests";
import { readRecordedSlackCalls, type RecordedSlackCall } from "../../../sandbox/slack-standin";
import type { SandboxSlack } from "../../../sandbox/state";

/** Who sends a request, and when; `tamper` changes the signed request before it is sent. */
export interface SlackSender {
  readonly userId?: string;
  readonly sentAt?: Date;
  readonly tamper?: (request: SignedSlackRequest) => SignedSlackRequest;
}

/** A request sent to pipewright's Slack app: its HTTP answer and where its later answers go. */
export interface SlackExchange {
  readonly answer: SlackAppAnswer;
  readonly responseUrl: string;
}

export class SandboxSlackSide {
  constructor(readonly slack: SandboxSlack) {}

  /** An approver of every service (config/sandbox.json's approvers.slackUserIds). */
  get approver(): string {
    return this.slack.approvers[0] as string;
  }

  async command(text: string, sender: SlackSender = {}): Promise<SlackExchange> {
    const responseUrl = this.newResponseUrl();
    const request = signedSlashCommand({ ...this.common(sender, responseUrl), command: "/pipewright", text });
    return { answer: await postSlackRequest(this.slack.commandsUrl, (sender.tamper ?? ((r) => r))(request)), responseUrl };
  }

  async click(approval: ApprovalMessage, actionId: string, sender: SlackSender & { comment?: string } = {}): Promise<SlackExchange> {
    const responseUrl = this.newResponseUrl();
    const request = signedBlockAction({ ...this.common(sender, responseUrl), message: approval.message, actionId, comment: sender.comment });
    return { answer: await postSlackRequest(this.slack.interactionsUrl, (sender.tamper ?? ((r) => r))(request)), responseUrl };
  }

  recorded(): Promise<RecordedSlackCall[]> {
    return readRecordedSlackCalls(this.slack.standInUrl);
  }

  /** The texts pipewright posted to one response_url. */
  async answersAt(responseUrl: string): Promise<string[]> {
    return (await this.recorded())
      .filter((call) => call.kind === "response" && responseUrl.endsWith(`/response/${call.responseId}`))
      .map((call) => JSON.stringify(call.body));
  }

  /** The approval request posted for one execution; throws until it is there (for `eventually`). */
  async approvalOf(pipeline: string, executionId: string): Promise<ApprovalMessage> {
    const found = approvalMessages(await this.recorded()).find(
      (approval) => approval.target.pipeline === pipeline && approval.target.executionId === executionId,
    );
    if (found === undefined) throw new Error(`No approval request for ${pipeline} execution ${executionId} in Slack yet`);
    return found;
  }

  /** The newest chat.update of a message, as the message then reads (blocks as JSON). */
  async updateOf(ts: string): Promise<string> {
    const update = (await this.recorded()).filter((call) => call.kind === "update" && call.ts === ts).at(-1);
    if (update === undefined) throw new Error(`Message ${ts} was not updated yet`);
    return JSON.stringify(update.body);
  }

  private common(sender: SlackSender, responseUrl: string) {
    return {
      signingSecret: this.slack.signingSecret,
      userId: sender.userId ?? this.approver,
      channelId: this.slack.channel,
      responseUrl,
      sentAt: sender.sentAt,
    };
  }

  private newResponseUrl(): string {
    return `${this.slack.standInUrl}/response/${randomUUID()}`;
  }
}
