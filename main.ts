import { App } from "cdktf";
import { ConfigError, chooseConfigFile, loadConfig } from "./stacks/config";
import { addPlatformStacks } from "./stacks/platform";

try {
  const config = loadConfig(chooseConfigFile(process.argv.slice(2), process.env, process.cwd()));
  const bootstrap = process.argv.includes("--bootstrap") || process.env.PIPEWRIGHT_BOOTSTRAP === "1";
  const app = new App();
  addPlatformStacks(app, config, { bootstrap });
  app.synth();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
