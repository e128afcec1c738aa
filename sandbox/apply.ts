import type { SandboxPaths } from "./paths";
import type { Progress } from "./progress";
import { STACKS, type StackName } from "./synth";
import { terraform, writeTerraformRc } from "./terraform";

/**
 * Resources the build stack creates in parallel. Most of an apply is the
 * AWS provider's own propagation waits (KMS key ~12 s, each SQS queue and
 * queue policy ~25 s, S3 lifecycle ~55 s), so more parallelism shortens
 * the chains; the emulator is not the bottleneck.
 */
const PARALLELISM = 32;

function run(paths: SandboxPaths, stack: StackName) {
  return { stack, cwd: paths.stackDir(stack), rcFile: paths.terraformRc, logFile: paths.terraformLog(stack) };
}

/**
 * Runs `work` for every stack at once. When one fails the others are
 * interrupted, and the first failure is thrown once all have stopped: no
 * terraform process outlives the command.
 */
async function forEachStack(work: (stack: StackName, signal: AbortSignal) => Promise<void>): Promise<void> {
  const abort = new AbortController();
  const results = await Promise.allSettled(
    STACKS.map((stack) =>
      work(stack, abort.signal).catch((error: unknown) => {
        abort.abort();
        throw error;
      }),
    ),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

/** `terraform init` of every stack, offline through the provider mirror. */
export async function initStacks(paths: SandboxPaths): Promise<void> {
  writeTerraformRc(paths.terraformRc);
  await forEachStack((stack, signal) => terraform(run(paths, stack), ["init", "-input=false", "-no-color"], signal));
}

/**
 * Applies dev, prod and build at the same time. In AWS the build stack goes
 * first without the dev/prod grants (KMS and S3 reject policies naming
 * roles that do not exist yet); the emulator does not validate KMS or S3
 * policy principals, so one parallel pass gives the same end state. It does
 * validate ECR repository policies' principals, as ECR does: the AWS
 * provider retries a repository policy naming a pull role not created yet
 * until dev's and prod's applies have created it.
 */
export async function applyStacks(paths: SandboxPaths, progress: Progress): Promise<Record<StackName, number>> {
  const seconds = {} as Record<StackName, number>;
  await forEachStack(async (stack, signal) => {
    const start = Date.now();
    await terraform(run(paths, stack), ["apply", "-auto-approve", "-input=false", "-no-color", `-parallelism=${PARALLELISM}`], signal);
    seconds[stack] = (Date.now() - start) / 1000;
    progress.record(`apply ${stack}`, seconds[stack]);
  });
  return seconds;
}
