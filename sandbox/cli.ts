/**
 * npm run sandbox -- up | down | status | send <event> <payload.json> [--repository <owner/name>] [--delivery <id>]
 *                     | slack '<slash command>' [--user <id>] | slack approve|reject <pipeline> [--user <id>] [--comment "<text>"]
 *
 * pipewright on the AWS emulator, on this machine. See sandbox/README.md.
 */
import { availableParallelism } from "node:os";
import { down } from "./commands/down";
import { send } from "./commands/send";
import { parseSlackArguments, SLACK_USAGE, slack } from "./commands/slack";
import { status } from "./commands/status";
import { up } from "./commands/up";
import { SandboxError, UsageError } from "./errors";
import { SandboxPaths } from "./paths";

const USAGE = `Usage: npm run sandbox -- <command>
  up [--config <file>]             bring pipewright up on the AWS emulator (background), write .sandbox/state.json
  down                             stop everything up started; exit 0 also when nothing runs
  status                           what runs and whether it answers
  send <event> <payload.json>      sign and post a webhook delivery, print the answer
       [--repository <owner/name>] move the payload to that repository first (default: as the file has it)
       [--delivery <id>]           the X-GitHub-Delivery of a redelivery
${SLACK_USAGE}`;

/**
 * Environments per function: one per core, at most 4. More than the cores
 * only adds cold V8 code to warm up: on 2 cores a burst of pull requests cost
 * the PR function a quarter more CPU with 4 environments than with 2.
 */
export function defaultMaxEnvironments(cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(4, cores));
}

/** PIPEWRIGHT_SANDBOX_ENVIRONMENTS, or the default; anything but a whole number of 1 or more is refused. */
export function maxEnvironmentsFrom(value: string | undefined, cores?: number): number {
  if (value === undefined || value.trim() === "") return defaultMaxEnvironments(cores);
  if (!/^\s*[1-9]\d*\s*$/.test(value)) {
    throw new UsageError(
      `PIPEWRIGHT_SANDBOX_ENVIRONMENTS must be a whole number of execution environments per function, 1 or more; it is "${value}". ` +
        `Fix: set it to e.g. 2, or unset it for the default (${defaultMaxEnvironments(cores)} on this machine: one per core, at most 4)`,
    );
  }
  return Number(value);
}

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  if (index < 0) return undefined;
  const value = args[index + 1];
  if (value === undefined) throw new UsageError(`${name} needs a value\n${USAGE}`);
  args.splice(index, 2);
  return value;
}

export async function main(argv: readonly string[]): Promise<number> {
  // The SDK warns about Node 20 on every client; it says nothing about the sandbox.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const args = [...argv];
  const command = args.shift();
  const paths = SandboxPaths.fromEnvironment();
  switch (command) {
    case "up": {
      const configFile = option(args, "--config");
      const state = await up({
        paths,
        ...(configFile ? { configFile } : {}),
        maxEnvironments: maxEnvironmentsFrom(process.env.PIPEWRIGHT_SANDBOX_ENVIRONMENTS),
        logEmulatorRequests: process.env.PIPEWRIGHT_SANDBOX_EMULATOR_LOG === "1",
      });
      console.log(
        `\nSandbox ready.\n  webhook  ${state.webhookUrl}\n  AWS      ${state.awsEndpoint} (region ${state.region})\n  state    ${paths.stateFile}\n  logs     ${state.logDir}`,
      );
      return 0;
    }
    case "down":
      await down(paths);
      return 0;
    case "status":
      return (await status(paths)) ? 0 : 1;
    case "send": {
      const deliveryId = option(args, "--delivery");
      const repository = option(args, "--repository");
      const [event, payloadFile] = args;
      if (!event || !payloadFile) throw new UsageError(`send needs an event name and a payload file\n${USAGE}`);
      return (await send(paths, { event, payloadFile, ...(deliveryId ? { deliveryId } : {}), ...(repository ? { repository } : {}) })) ? 0 : 1;
    }
    case "slack": {
      const user = option(args, "--user");
      const comment = option(args, "--comment");
      const line = parseSlackArguments(args, { ...(user !== undefined ? { user } : {}), ...(comment !== undefined ? { comment } : {}) });
      return (await slack(paths, line)) ? 0 : 1;
    }
    default:
      throw new UsageError(command ? `Unknown command "${command}"\n${USAGE}` : USAGE);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof SandboxError ? error.message : error);
      process.exit(1);
    },
  );
}
