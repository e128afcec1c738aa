import type { ResourcePermission } from "./manifest";

/** IAM ARN matching: `*` any run of characters, `?` one character. */
export function arnMatches(pattern: string, arn: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${regex}$`).test(arn);
}

/**
 * Whether a function's resource policy (its aws_lambda_permission
 * resources) lets `principal` invoke it on behalf of `sourceArn`. The
 * emulator does not evaluate resource policies, so the sandbox does: a
 * permission missing from the stacks fails here as it would in AWS.
 */
export function mayInvoke(permissions: readonly ResourcePermission[], principal: string, sourceArn: string): boolean {
  return permissions.some((p) => p.principal === principal && (p.sourceArn === undefined || arnMatches(p.sourceArn, sourceArn)));
}
