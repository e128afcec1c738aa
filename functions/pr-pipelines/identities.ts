// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";

/**
 * Who a pull request pipeline acts as, instead of whom its main pipeline
 * acts as: the stacks write this map (PR_IDENTITIES), clone.ts applies it, and
 * anything of main's that it does not map fails the clone.
 */

const roleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, "an IAM role ARN");
const keyArn = z.string().regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/, "a KMS key ARN");
const store = z.strictObject({
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name"),
  keyArn,
});

export const prIdentitiesSchema = z.strictObject({
  /** The role main pipelines run as, and the one pull request pipelines run as. */
  pipelineRole: z.strictObject({ main: roleArn, pr: roleArn }),
  /** Main's artifact store, and the pull requests' (bucket and key). */
  artifactStore: z.strictObject({ main: store, pr: store }),
  /** The project name: main's CodeBuild project `<project>-<rest>` has the twin `<project>-pr-<rest>`. */
  project: z.string().regex(/^[a-z][a-z0-9-]{1,18}[a-z0-9]$/, "a pipewright project name"),
  /** Roles deploy actions assume: main's dev deploy role → the preview deploy role. */
  deployRoles: z.record(roleArn, roleArn),
  /** Roles CloudFormation acts as: main's dev execution role → the preview execution role. */
  cloudFormationRoles: z.record(roleArn, roleArn),
});

export type PrIdentities = z.infer<typeof prIdentitiesSchema>;
