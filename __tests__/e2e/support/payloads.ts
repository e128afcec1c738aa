import { createHash } from "node:crypto";
import examples from "@octokit/webhooks-examples";

/**
 * Real GitHub payloads (@octokit/webhooks-examples), moved to one of the
 * sandbox's repositories (or any other) and given the numbers, commits and
 * files a test needs.
 */

type Payload = Record<string, any>;

function example(event: string, matches: (payload: Payload) => boolean): Payload {
  const definition = examples.find((candidate) => candidate.name === event);
  const found = (definition?.examples as Payload[] | undefined)?.find(matches);
  if (!found) throw new Error(`@octokit/webhooks-examples has no matching ${event} example`);
  return structuredClone(found);
}

/** A 40-hex commit id, the same for the same label. */
export function commit(label: string): string {
  return createHash("sha1").update(label).digest("hex");
}

function moveToRepository(repository: Payload, fullName: string): void {
  const [owner, name] = fullName.split("/") as [string, string];
  repository.full_name = fullName;
  repository.name = name;
  repository.owner.login = owner;
}

/** The `installation` a GitHub App's webhook adds to every delivery (an organization webhook's have none). */
function fromInstallation(payload: Payload, installation: number | undefined): void {
  delete payload.installation;
  if (installation === undefined) return;
  payload.installation = { id: installation, node_id: Buffer.from(`023:IntegrationInstallation${installation}`).toString("base64") };
}

export interface PullRequestOptions {
  readonly repository: string;
  readonly number: number;
  /** opened, synchronize, closed, reopened, ... */
  readonly action: string;
  readonly headSha: string;
  readonly headRef?: string;
  /** The pull request's updated_at: orders deliveries of one pull request. */
  readonly updatedAt: Date;
  readonly merged?: boolean;
  /** The head repository, when the pull request comes from a fork. @default the repository itself */
  readonly fork?: string;
  /** The pull request's labels. @default none */
  readonly labels?: readonly string[];
  /** For `labeled`: the label added. */
  readonly label?: string;
  /** The GitHub App installation that delivers it. @default none: an organization or repository webhook's delivery */
  readonly installation?: number;
}

export function pullRequestPayload(options: PullRequestOptions): Payload {
  const payload = example("pull_request", (p) => p.action === "opened" && p.pull_request?.head?.repo);
  const pr = payload.pull_request;
  moveToRepository(payload.repository, options.repository);
  moveToRepository(pr.base.repo, options.repository);
  moveToRepository(pr.head.repo, options.fork ?? options.repository);
  payload.action = options.action;
  payload.number = options.number;
  pr.number = options.number;
  pr.head.sha = options.headSha;
  pr.head.ref = options.headRef ?? `feature/pr-${options.number}`;
  pr.base.ref = "main";
  pr.updated_at = options.updatedAt.toISOString().replace(/\.\d{3}Z$/, "Z");
  pr.draft = false;
  pr.labels = (options.labels ?? []).map((name) => ({ name, color: "0e8a16", default: false }));
  pr.state = options.action === "closed" ? "closed" : "open";
  pr.merged = options.merged ?? false;
  delete payload.label;
  if (options.label !== undefined) payload.label = { name: options.label, color: "0e8a16", default: false };
  fromInstallation(payload, options.installation);
  return payload;
}

export interface PushOptions {
  readonly repository: string;
  /** Full ref, e.g. refs/heads/main. */
  readonly ref: string;
  readonly before: string;
  readonly after: string;
  /** Files the pushed commit touched. */
  readonly modified: readonly string[];
  /** repository.pushed_at: when GitHub received the push, epoch seconds; orders pushes. @default the current second */
  readonly pushedAt?: number;
  /** The GitHub App installation that delivers it. @default none */
  readonly installation?: number;
}

export function pushPayload(options: PushOptions): Payload {
  const payload = example("push", (p) => Array.isArray(p.commits));
  moveToRepository(payload.repository, options.repository);
  payload.repository.pushed_at = options.pushedAt ?? Math.floor(Date.now() / 1000);
  payload.ref = options.ref;
  payload.before = options.before;
  payload.after = options.after;
  payload.created = false;
  payload.deleted = false;
  payload.forced = false;
  const head = {
    id: options.after,
    tree_id: commit(`tree ${options.after}`),
    distinct: true,
    message: "Change the sandbox service",
    timestamp: new Date().toISOString(),
    url: `https://github.com/${options.repository}/commit/${options.after}`,
    author: { name: "Sandbox", email: "sandbox@example.com", username: "sandbox" },
    committer: { name: "Sandbox", email: "sandbox@example.com", username: "sandbox" },
    added: [],
    removed: [],
    modified: [...options.modified],
  };
  payload.commits = [head];
  payload.head_commit = head;
  fromInstallation(payload, options.installation);
  return payload;
}
