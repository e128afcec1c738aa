// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import { parseYamlSubset, YamlSubsetError } from "./traffic-hook-yaml";

/**
 * The Lambda function a CodeDeploy deployment shifts traffic for, read from
 * the deployment's AppSpec. CloudFormation (SAM's AutoPublishAlias with a
 * DeploymentPreference) writes it as JSON:
 *   {"version":0.0,"Resources":[{"<name>":{"Type":"AWS::Lambda::Function",
 *    "Properties":{"Name":"...","Alias":"live","CurrentVersion":"3","TargetVersion":"4"}}}]}
 * Hand-made deployments may use YAML of the same shape. Pure.
 */

export interface LambdaDeploymentTarget {
  /** The AppSpec's key for the resource. */
  resourceName: string;
  functionName: string;
  alias: string;
  /** Absent on a first deployment made by hand. */
  currentVersion?: string;
  targetVersion: string;
}

/** The AppSpec is missing, not JSON/YAML, or does not name exactly one Lambda function. */
export class AppSpecError extends Error {
  constructor(
    readonly deploymentId: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`The AppSpec of deployment ${deploymentId} cannot be used: ${problem}`, options);
    this.name = "AppSpecError";
  }
}

// Versions are strings in the API, but hand-written YAML or JSON may give numbers.
const version = z.union([z.string().trim().min(1), z.number().int().positive()]).transform(String);

const lambdaResource = z.object({
  Type: z.literal("AWS::Lambda::Function"),
  Properties: z.object({
    Name: z.string().trim().min(1),
    Alias: z.string().trim().min(1),
    CurrentVersion: version.optional(),
    TargetVersion: version,
  }),
});

const appSpec = z.object({
  Resources: z.array(z.record(z.string(), z.unknown())).min(1, { error: "lists no resource" }),
});

const KNOWN_KEYS = new Set(["resources", "type", "properties", "name", "alias", "currentversion", "targetversion", "hooks"]);

/** AppSpec keys are documented capitalised; accept any case, as CodeDeploy does for "version". */
function capitaliseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(capitaliseKeys);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      /^[a-z]/.test(key) && KNOWN_KEYS.has(key.toLowerCase()) ? key.charAt(0).toUpperCase() + key.slice(1) : key,
      capitaliseKeys(inner),
    ]),
  );
}

function decode(deploymentId: string, content: string): unknown {
  const text = content.trim();
  if (text === "") throw new AppSpecError(deploymentId, "its content is empty");
  if (text.startsWith("{")) {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new AppSpecError(deploymentId, `it starts with "{" but is not JSON (${(error as Error).message})`, { cause: error });
    }
  }
  try {
    return parseYamlSubset(text);
  } catch (error) {
    if (error instanceof YamlSubsetError) throw new AppSpecError(deploymentId, `it is neither JSON nor readable YAML (${error.message})`, { cause: error });
    throw error;
  }
}

function issues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "AppSpec"}: ${issue.message}`).join("; ");
}

/** The one Lambda function of an AppSpec (JSON or YAML). Throws AppSpecError. */
export function parseAppSpec(deploymentId: string, content: string): LambdaDeploymentTarget {
  const parsed = appSpec.safeParse(capitaliseKeys(decode(deploymentId, content)));
  if (!parsed.success) throw new AppSpecError(deploymentId, issues(parsed.error));
  const targets: LambdaDeploymentTarget[] = [];
  parsed.data.Resources.forEach((entry, index) => {
    for (const [resourceName, resource] of Object.entries(entry)) {
      const lambda = lambdaResource.safeParse(resource);
      if (!lambda.success) {
        throw new AppSpecError(deploymentId, `Resources[${index}].${resourceName} is not a Lambda function resource: ${issues(lambda.error)}`);
      }
      const { Name, Alias, CurrentVersion, TargetVersion } = lambda.data.Properties;
      targets.push({ resourceName, functionName: Name, alias: Alias, currentVersion: CurrentVersion, targetVersion: TargetVersion });
    }
  });
  // CodeDeploy deploys one Lambda function per deployment; more would leave the check ambiguous.
  if (targets.length !== 1) {
    throw new AppSpecError(deploymentId, `it names ${targets.length} Lambda functions; a Lambda deployment has exactly one`);
  }
  return targets[0] as LambdaDeploymentTarget;
}

/** The parts of a GetDeployment revision that can carry an AppSpec. */
export interface DeploymentRevision {
  revisionType?: string;
  appSpecContent?: { content?: string };
  string?: { content?: string };
}

/** The AppSpec text of a deployment's revision: AppSpecContent, or the older String revision. */
export function appSpecText(deploymentId: string, revision: DeploymentRevision | undefined): string {
  if (!revision) throw new AppSpecError(deploymentId, "the deployment has no revision");
  const content = revision.appSpecContent?.content ?? revision.string?.content;
  if (content === undefined) {
    throw new AppSpecError(
      deploymentId,
      `its revision (type ${revision.revisionType ?? "unknown"}) carries no AppSpec content; ` +
        "the traffic hooks read AppSpecContent or String revisions, as CloudFormation creates them",
    );
  }
  return content;
}
