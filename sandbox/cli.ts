/**
 * npm run sandbox -- up | down | status | send <event> <payload.json> [--delivery <id>]
 *
 * pipewright on the AWS emulator, on this machine. See sandbox/README.md.
 */
import { down } from "./commands/down";
import { send } from "./commands/send";
import { status } from "./commands/status";
import { up } from "./commands/up";
import { SandboxError, UsageError } from "./errors";
import { SandboxPaths } from "./paths";

const USAGE = `Usage: npm run sandbox -- <command>
  up [--config <file>]                          bring pipewright up on the AWS emulator (background), write .sandbox/state.json
  down                                          stop everything up started; exit 0 also when nothing runs
  status                                        what runs and whether it answers
  send <event> <payload.json> [--delivery <id>] sign and post a webhook delivery, print the answer`;

/** Environments per function; enough for bursts, few enough for a 2-core machine. */
const DEFAULT_MAX_ENVIRONMENTS = 4;

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
        maxEnvironments: Number(process.env.PIPEWRIGHT_SANDBOX_ENVIRONMENTS ?? DEFAULT_MAX_ENVIRONMENTS),
        logEmulatorRequests: process.env.PIPEWRIGHT_SANDBOX_EMULATOR_LOG === "1",
      });
      console.log(`\nSandbox ready.\n  webhook  ${state.webhookUrl}\n  AWS      ${state.awsEndpoint} (region ${state.region})\n  state    ${paths.stateFile}\n  logs     ${state.logDir}`);
      return 0;
    }
    case "down":
      await down(paths);
      return 0;
    case "status":
      return (await status(paths)) ? 0 : 1;
    case "send": {
      const deliveryId = option(args, "--delivery");
      const [event, payloadFile] = args;
      if (!event || !payloadFile) throw new UsageError(`send needs an event name and a payload file\n${USAGE}`);
      return (await send(paths, event, payloadFile, deliveryId)) ? 0 : 1;
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
