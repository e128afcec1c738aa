/**
 * The `/pipewright` slash command's text: `help`, `status [service]`,
 * `deploy <service> [commit]`. Pure; never throws: every text is exactly one
 * command, `invalid` saying why.
 */

export type SlackCommand =
  | { kind: "help" }
  | { kind: "status"; service?: string }
  | { kind: "deploy"; service: string; commit?: string }
  | { kind: "invalid"; reason: string };

/** How a service is named: its pipeline's name, the pipeline's service key (after the project prefix) or the service's name. */
const SERVICE_ARGUMENT = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/;
const COMMIT_ARGUMENT = /^[0-9A-Fa-f]{40}$/;

/** A word of the user's text, bounded and quoted, for the reason of an invalid command. */
function quoted(word: string): string {
  return JSON.stringify(word.length > 40 ? `${word.slice(0, 37)}...` : word);
}

function serviceProblem(word: string): string | undefined {
  return SERVICE_ARGUMENT.test(word) ? undefined : `${quoted(word)} is not a service name (letters, digits, ".", "_", "@" and "-")`;
}

export function parseCommandText(text: string): SlackCommand {
  const words = text
    .trim()
    .split(/\s+/)
    .filter((word) => word !== "");
  const [subcommand, ...args] = words;
  if (subcommand === undefined) return { kind: "help" };
  switch (subcommand.toLowerCase()) {
    case "help":
      return args.length === 0 ? { kind: "help" } : { kind: "invalid", reason: "help takes no arguments" };
    case "status": {
      if (args.length > 1) return { kind: "invalid", reason: "status takes at most one argument, a service" };
      const [service] = args;
      if (service === undefined) return { kind: "status" };
      const problem = serviceProblem(service);
      return problem ? { kind: "invalid", reason: problem } : { kind: "status", service };
    }
    case "deploy": {
      const [service, commit] = args;
      if (service === undefined) return { kind: "invalid", reason: "deploy needs a service: deploy <service> [commit]" };
      if (args.length > 2) return { kind: "invalid", reason: "deploy takes a service and at most a commit" };
      const problem = serviceProblem(service);
      if (problem) return { kind: "invalid", reason: problem };
      if (commit === undefined) return { kind: "deploy", service };
      if (!COMMIT_ARGUMENT.test(commit)) return { kind: "invalid", reason: `${quoted(commit)} is not a commit: give its full 40-character SHA` };
      return { kind: "deploy", service, commit: commit.toLowerCase() };
    }
    default:
      return { kind: "invalid", reason: `${quoted(subcommand)} is not a subcommand` };
  }
}

/** The text that parses to `command` (for valid commands): the inverse of parseCommandText. */
export function commandText(command: Exclude<SlackCommand, { kind: "invalid" }>): string {
  switch (command.kind) {
    case "help":
      return "help";
    case "status":
      return command.service === undefined ? "status" : `status ${command.service}`;
    case "deploy":
      return command.commit === undefined ? `deploy ${command.service}` : `deploy ${command.service} ${command.commit}`;
  }
}

/** The help answer, naming the subcommands and their arguments. */
export function helpText(slashCommand: string): string {
  return [
    `*${slashCommand}* controls pipewright's pipelines:`,
    `• \`${slashCommand} status [service]\`: the latest execution of every service's main pipeline, or of one service`,
    `• \`${slashCommand} deploy <service> [commit]\`: starts the service's main pipeline at the branch head, or at a commit (its full 40-character SHA); the prod stage still waits for its approval. Only the service's Slack approvers may deploy`,
    `• \`${slashCommand} help\`: this text`,
    "A service is named by its pipeline, its pipeline's name without the project prefix, or its name when no other service has it.",
  ].join("\n");
}
