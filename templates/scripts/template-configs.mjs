/**
 * Writes the CloudFormation template configurations the pipeline's deploy
 * actions use (TemplateConfiguration: BuildOutput::<env>.json), one per
 * environment, into the folder given (default "."):
 *
 *   PROJECT_NAME=pipewright node templates/scripts/template-configs.mjs out/
 *
 * dev and pr stacks shift traffic all at once; prod shifts 10% a minute, so the
 * alarms and the post-traffic hook can stop a bad version before it has all traffic.
 * Environment: PROJECT_NAME (default pipewright; names the CodeDeployHook_<project>-*
 * functions and the <project>-application-boundary policy pipewright deploys into
 * dev and prod), LOG_RETENTION_DAYS (default 30).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ENVIRONMENTS = {
  dev: "AllAtOnce",
  pr: "AllAtOnce",
  prod: "Linear10PercentEvery1Minute",
};
const RETENTION_DAYS = new Set([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]);

function fail(message) {
  console.error(`template-configs: ${message}`);
  process.exit(1);
}

const project = process.env.PROJECT_NAME?.trim() || "pipewright";
// pipewright's projectName rule (README): 3-20 of [a-z0-9-], starting with a letter.
if (!/^[a-z][a-z0-9-]{2,19}$/.test(project)) fail(`PROJECT_NAME "${project}" is not 3-20 characters of [a-z0-9-] starting with a letter`);
const retention = Number(process.env.LOG_RETENTION_DAYS?.trim() || "30");
if (!RETENTION_DAYS.has(retention))
  fail(`LOG_RETENTION_DAYS "${process.env.LOG_RETENTION_DAYS}" is not a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, ...)`);

const folder = process.argv[2] ?? ".";
mkdirSync(folder, { recursive: true });
for (const [environment, deploymentType] of Object.entries(ENVIRONMENTS)) {
  const configuration = {
    // Template configuration values are strings, whatever the parameter's type.
    Parameters: {
      Environment: environment,
      DeploymentType: deploymentType,
      PreTrafficHookName: `CodeDeployHook_${project}-pre-traffic`,
      PostTrafficHookName: `CodeDeployHook_${project}-post-traffic`,
      PermissionsBoundaryPolicyName: `${project}-application-boundary`,
      LogRetentionDays: String(retention),
    },
    Tags: { project, environment },
  };
  const file = join(folder, `${environment}.json`);
  writeFileSync(file, `${JSON.stringify(configuration, null, 2)}\n`);
  console.log(`wrote ${file}: ${deploymentType}`);
}
