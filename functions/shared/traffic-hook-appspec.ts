// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";

/**
 * The Lambda function a CodeDeploy deployment shifts traffic for, read from
 * the deployment's AppSpec. CloudFormation (the CodeDeployLambdaAliasUpdate
 * policy behind SAM's AutoPublishAlias with a DeploymentPreference) writes it
 * as JSON:
 *   {"version":"0.0","Resources":[{"<name>":{"Type":"AWS::Lambda::Function",
 *    "Properties":{"Name":"...","Alias":"live","CurrentVersion":"3","TargetVersion":"4"}}}]}
 * Pure.
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

/** The AppSpec is missing, not JSON, or does not name exactly one Lambda function. */
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

// Versions are strings in the API, but an AppSpec written by hand may give numbers.
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

function decode(deploymentId: string, content: string): unknown {
  if (content.trim() === "") throw new AppSpecError(deploymentId, "its content is empty");
  try {
    return JSON.parse(content) as unknown;
  } catch (error) {
    throw new AppSpecError(
      deploymentId,
      `it is not JSON (${(error as Error).message}). The traffic hooks read the JSON AppSpec CloudFormation writes; ` +
        "a deployment made by hand must give its AppSpec as JSON too",
      { cause: error },
    );
  }
}

function issues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "AppSpec"}: ${issue.message}`).join("; ");
}

/** The one Lambda function of a JSON AppSpec. Throws AppSpecError. */
export function parseAppSpec(deploymentId: string, content: string): LambdaDeploymentTarget {
  const parsed = appSpec.safeParse(decode(deploymentId, content));
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

/** The parts of a revision (GetDeployment's, GetApplicationRevision's) that can carry an AppSpec. */
export interface DeploymentRevision {
  revisionType?: string;
  appSpecContent?: { content?: string; sha256?: string };
  string?: { content?: string; sha256?: string };
}

/** Where a deployment's AppSpec is: in its revision, or to be looked up with GetApplicationRevision. */
export type AppSpecSource<R extends DeploymentRevision> = { content: string } | { lookUp: { applicationName: string; revision: R } };

function contentOf(revision: DeploymentRevision | undefined): string | undefined {
  return revision?.appSpecContent?.content ?? revision?.string?.content;
}

/**
 * GetDeployment names a Lambda deployment's AppSpec by its SHA-256 only;
 * GetApplicationRevision gives the content. A revision that carries its
 * content (the AWS emulator's does) is read as it is. Throws AppSpecError.
 */
export function appSpecSource<R extends DeploymentRevision>(
  deploymentId: string,
  deployment: { applicationName?: string; revision?: R } | undefined,
): AppSpecSource<R> {
  const revision = deployment?.revision;
  if (!revision) throw new AppSpecError(deploymentId, "the deployment has no revision");
  const content = contentOf(revision);
  if (content !== undefined) return { content };
  if (revision.appSpecContent?.sha256 === undefined && revision.string?.sha256 === undefined) {
    throw new AppSpecError(
      deploymentId,
      `its revision (type ${revision.revisionType ?? "unknown"}) names no AppSpec; ` +
        "the traffic hooks read AppSpecContent or String revisions, as CloudFormation creates them",
    );
  }
  if (!deployment?.applicationName) throw new AppSpecError(deploymentId, "the deployment names no application to look its AppSpec up in");
  return { lookUp: { applicationName: deployment.applicationName, revision } };
}

/** The AppSpec text GetApplicationRevision returned. Throws AppSpecError. */
export function lookedUpContent(deploymentId: string, revision: DeploymentRevision | undefined): string {
  const content = contentOf(revision);
  if (content === undefined) {
    throw new AppSpecError(deploymentId, `GetApplicationRevision returned no AppSpec content (revision type ${revision?.revisionType ?? "unknown"})`);
  }
  return content;
}
