import { type ConsoleLocation, executionUrl, pipelineViewUrl } from "../shared/links";
import { escapeMrkdwn, mrkdwnLink } from "../shared/slack/mrkdwn";
import { cut } from "../shared/text";
import type { ExecutionView } from "./pipelines";
import type { CatalogService } from "./services";

/** What the worker tells users through response_url. Pure. */

/** The console of a Region's partition (aws, aws-cn, aws-us-gov); links to other partitions are left out. */
export function consoleLocation(region: string): ConsoleLocation {
  const partition = region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
  return { partition, region };
}

const STATE_ICONS: Readonly<Record<string, string>> = {
  InProgress: ":arrows_counterclockwise:",
  Stopping: ":double_vertical_bar:",
  Succeeded: ":white_check_mark:",
  Failed: ":x:",
  Stopped: ":black_square_for_stop:",
  Superseded: ":fast_forward:",
  Cancelled: ":heavy_minus_sign:",
};

export interface StatusRow {
  entry: CatalogService;
  /** False when the pipeline does not exist (not deployed yet, or the catalog is newer than the stacks). */
  exists: boolean;
  execution?: ExecutionView;
  stage?: { name: string; current: boolean };
}

function commitLink(repository: string, commit: ExecutionView["commit"]): string {
  if (commit === undefined) return "commit unknown";
  const url = commit.url?.startsWith("https://") ? commit.url : `https://github.com/${repository}/commit/${commit.sha}`;
  return `commit ${mrkdwnLink(url, commit.sha.slice(0, 7))}`;
}

/** One service's line: state, commit, stage and console link. */
export function statusLine(row: StatusRow, location: ConsoleLocation): string {
  const { repository, service } = row.entry;
  const name = `*${escapeMrkdwn(service.name)}* (${escapeMrkdwn(repository.repository)}, ${escapeMrkdwn(service.pipeline)})`;
  if (!row.exists) return `${name}: the pipeline does not exist in this account and Region`;
  const execution = row.execution;
  if (execution === undefined) return `${name}: never ran · ${mrkdwnLink(pipelineViewUrl(location, service.pipeline), "console")}`;
  const state = `${STATE_ICONS[execution.status] ?? ""} ${escapeMrkdwn(execution.status)}`.trim();
  const stage = row.stage ? ` · ${row.stage.current ? "at" : "last stage"} ${escapeMrkdwn(row.stage.name)}` : "";
  const link = mrkdwnLink(executionUrl(location, service.pipeline, execution.executionId), "console");
  return `${name}: ${state} · ${commitLink(repository.repository, execution.commit)}${stage} · ${link}`;
}

// A message holds at most 50 blocks; a section's text at most 3,000 characters.
const MAX_STATUS_ROWS = 45;

export function statusMessage(rows: readonly StatusRow[], location: ConsoleLocation): { text: string; blocks: unknown[] } {
  const shown = rows.slice(0, MAX_STATUS_ROWS);
  const blocks: unknown[] = shown.map((row) => ({ type: "section", text: { type: "mrkdwn", text: cut(statusLine(row, location), 3000) } }));
  if (rows.length > shown.length) {
    blocks.push({
      type: "context",
      elements: [{ type: "mrkdwn", text: `and ${rows.length - shown.length} more services: ask for one with \`status <service>\`` }],
    });
  }
  const text = rows.length === 1 ? `Status of ${rows[0]?.entry.service.name}` : `Status of ${rows.length} services`;
  return { text, blocks };
}

/** The answer to a started deploy, with the execution's link. */
export function deployStartedText(entry: CatalogService, executionId: string, commit: string | undefined, location: ConsoleLocation): string {
  const { repository, service } = entry;
  const at = commit ? `commit \`${commit.slice(0, 7)}\`` : `the head of ${escapeMrkdwn(repository.mainBranch)}`;
  const link = mrkdwnLink(executionUrl(location, service.pipeline, executionId), executionId);
  return `Started ${escapeMrkdwn(service.pipeline)} at ${at}: execution ${link}. Its prod stage still waits for its approval.`;
}

/** The answer to someone who may not approve or deploy a service. */
export function notAllowedText(what: "approve" | "deploy", entry: CatalogService | undefined, user: string): string {
  if (entry === undefined) return `<@${user}>, pipewright does not know this pipeline, so nobody may ${what} it from Slack.`;
  const { service } = entry;
  const who =
    service.slackApprovers.length === 0
      ? "Nobody may do that from Slack for this service; use the CodePipeline console"
      : `Ask one of ${service.slackApprovers.map((id) => `<@${id}>`).join(", ")}`;
  return `You may not ${what} ${escapeMrkdwn(service.name)} from Slack. ${who}.`;
}
