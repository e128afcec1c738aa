/**
 * The build of a container service: pipewright's own buildspec, the same for
 * every container service, driven by the CodeBuild project's environment.
 *
 * In the build phase, in order: check the environment; tag = the commit; log
 * in to the registry; if the tag already exists (a retry of the commit: tags
 * are immutable) reuse its digest, else `docker build`, run the service's
 * tests inside the built image, push only if they pass and read the digest
 * back from the registry; then write what the deploy actions read, naming the
 * image by digest only. Everything is in the build phase: CodeBuild runs
 * post_build even after a failed build.
 *
 * Each command stands alone and passes on only exported variables, so it
 * behaves the same whether CodeBuild runs the commands in one shell or not.
 */

/** The CodeBuild environment variables the buildspec reads (all required). */
export const CONTAINER_BUILD_VARIABLES = [
  "IMAGE_REPOSITORY_URI",
  "DOCKERFILE",
  "BUILD_CONTEXT",
  "TEST_COMMAND",
  "TEMPLATE_FILE",
  "PROJECT_NAME",
  "LOG_RETENTION_DAYS",
] as const;
export type ContainerBuildVariable = (typeof CONTAINER_BUILD_VARIABLES)[number];

/** Pipeline variables the build exports (namespace `BuildVariables`): the image by digest, its digest and its tag (the commit). */
export const CONTAINER_BUILD_EXPORTED_VARIABLES = ["IMAGE_URI", "IMAGE_DIGEST", "IMAGE_TAG"] as const;

/** The build's output artifact: the template, the deploy actions' template configurations, the image's detail. */
export const CONTAINER_BUILD_FILES = ["packaged.yaml", "dev.json", "prod.json", "pr.json", "imageDetail.json"] as const;

/** What one container build project builds, where it pushes, and what the template gets. */
export interface ContainerBuildSettings {
  /** The ECR repository the image goes to: `<account>.dkr.ecr.<region>.<domain>/<name>`. */
  readonly imageRepositoryUri: string;
  /** The Dockerfile (repository path). */
  readonly dockerfile: string;
  /** The build context folder (repository path). */
  readonly context: string;
  /** Run inside the built image as `/bin/sh -c "<testCommand>"`; the image is pushed only if it succeeds. */
  readonly testCommand: string;
  /** The CloudFormation template deployed with the image (repository path). */
  readonly template: string;
  /** pipewright's projectName: names the pull roles, the boundary and the network parameters the template reads. */
  readonly project: string;
  /** Retention of the service's log group. */
  readonly logRetentionDays: number;
}

/** The environment variables of a container build project. */
export function containerBuildEnvironment(settings: ContainerBuildSettings): { name: ContainerBuildVariable; value: string }[] {
  const values: Record<ContainerBuildVariable, string> = {
    IMAGE_REPOSITORY_URI: settings.imageRepositoryUri,
    DOCKERFILE: settings.dockerfile,
    BUILD_CONTEXT: settings.context,
    TEST_COMMAND: settings.testCommand,
    TEMPLATE_FILE: settings.template,
    PROJECT_NAME: settings.project,
    LOG_RETENTION_DAYS: String(settings.logRetentionDays),
  };
  return CONTAINER_BUILD_VARIABLES.map((name) => ({ name, value: values[name] }));
}

const checkEnvironment = `for variable in ${CONTAINER_BUILD_VARIABLES.join(" ")}; do
  if [ -z "\${!variable:-}" ]; then
    echo "pipewright: the environment variable $variable is missing or empty. Fix: pipewright sets it on the CodeBuild project of a container service; apply the build stack again and do not override it when starting a build" >&2
    exit 1
  fi
done
if [[ ! "$IMAGE_REPOSITORY_URI" =~ ^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.[a-z0-9.-]+/[a-z0-9][a-z0-9._/-]*$ ]]; then
  echo "pipewright: IMAGE_REPOSITORY_URI \\"$IMAGE_REPOSITORY_URI\\" is not an ECR repository URI (<account>.dkr.ecr.<region>.<domain>/<name>). Fix: apply the build stack again, which sets it" >&2
  exit 1
fi
if [ ! -f "$DOCKERFILE" ]; then
  echo "pipewright: the Dockerfile \\"$DOCKERFILE\\" is not in the repository at this commit. Fix: add it, or correct the service's dockerfile in pipewright's configuration" >&2
  exit 1
fi
if [ ! -d "$BUILD_CONTEXT" ]; then
  echo "pipewright: the build context \\"$BUILD_CONTEXT\\" is not a folder of the repository at this commit. Fix: correct the service's context in pipewright's configuration" >&2
  exit 1
fi
if [ ! -f "$TEMPLATE_FILE" ]; then
  echo "pipewright: the template \\"$TEMPLATE_FILE\\" is not in the repository at this commit. Fix: add it, or correct the service's template in pipewright's configuration" >&2
  exit 1
fi
if [[ ! "$PROJECT_NAME" =~ ^[a-z][a-z0-9-]{1,18}[a-z0-9]$ ]]; then
  echo "pipewright: PROJECT_NAME \\"$PROJECT_NAME\\" is not a pipewright project name. Fix: apply the build stack again, which sets it" >&2
  exit 1
fi
if [[ ! "$LOG_RETENTION_DAYS" =~ ^[1-9][0-9]*$ ]]; then
  echo "pipewright: LOG_RETENTION_DAYS \\"$LOG_RETENTION_DAYS\\" is not a number of days. Fix: apply the build stack again, which sets it" >&2
  exit 1
fi`;

// The image is tagged with its commit: a retry of the commit finds its image, and the tag tells where an image came from.
const tagWithCommit = `if [[ ! "\${CODEBUILD_RESOLVED_SOURCE_VERSION:-}" =~ ^[0-9a-f]{40}$ ]]; then
  echo "pipewright: CODEBUILD_RESOLVED_SOURCE_VERSION \\"\${CODEBUILD_RESOLVED_SOURCE_VERSION:-}\\" is not a 40-character commit id, so the image cannot be tagged with its commit. Fix: start this project from its pipeline, whose source action hands it a commit of the repository" >&2
  exit 1
fi
export IMAGE_TAG="$CODEBUILD_RESOLVED_SOURCE_VERSION"
export IMAGE_REGISTRY="\${IMAGE_REPOSITORY_URI%%/*}"
export IMAGE_REGISTRY_ID="\${IMAGE_REGISTRY%%.*}"
export IMAGE_REPOSITORY_NAME="\${IMAGE_REPOSITORY_URI#*/}"`;

const logIn = `if ! (set -o pipefail; aws ecr get-login-password | docker login --username AWS --password-stdin "$IMAGE_REGISTRY"); then
  echo "pipewright: logging in to the registry $IMAGE_REGISTRY failed (above). Fix: the project's role needs ecr:GetAuthorizationToken" >&2
  exit 1
fi`;

const describeImage = `aws ecr describe-images --registry-id "$IMAGE_REGISTRY_ID" --repository-name "$IMAGE_REPOSITORY_NAME" --image-ids imageTag="$IMAGE_TAG" --query 'imageDetails[0].imageDigest' --output text`;

const lookUpTag = `lookup_errors="$(mktemp)"
if existing_digest="$(${describeImage} 2>"$lookup_errors")"; then
  echo "pipewright: $IMAGE_REPOSITORY_URI:$IMAGE_TAG exists already (this commit was built before); reusing it, without building it again"
  export IMAGE_DIGEST="$existing_digest"
  export IMAGE_BUILD_NEEDED=false
elif grep -q ImageNotFoundException "$lookup_errors"; then
  echo "pipewright: building $IMAGE_REPOSITORY_URI:$IMAGE_TAG"
  export IMAGE_DIGEST=""
  export IMAGE_BUILD_NEEDED=true
else
  cat "$lookup_errors" >&2
  echo "pipewright: could not look up $IMAGE_REPOSITORY_URI:$IMAGE_TAG (aws ecr describe-images failed, above). Fix: the project's role needs ecr:DescribeImages on the repository" >&2
  exit 1
fi`;

const build = `if [ "$IMAGE_BUILD_NEEDED" = true ]; then
  if ! docker build --file "$DOCKERFILE" --tag "$IMAGE_REPOSITORY_URI:$IMAGE_TAG" "$BUILD_CONTEXT"; then
    echo "pipewright: docker build of $DOCKERFILE in $BUILD_CONTEXT failed (above); nothing was pushed. Fix: make the image build" >&2
    exit 1
  fi
fi`;

const test = `if [ "$IMAGE_BUILD_NEEDED" = true ]; then
  if ! docker run --rm --entrypoint /bin/sh "$IMAGE_REPOSITORY_URI:$IMAGE_TAG" -c "$TEST_COMMAND"; then
    echo "pipewright: the tests failed inside the image (/bin/sh -c with the service's testCommand, output above); nothing was pushed. Fix: make the tests pass, or correct the service's testCommand" >&2
    exit 1
  fi
fi`;

// The digest comes from the registry, not from docker's output: it is what the registry will serve.
const push = `if [ "$IMAGE_BUILD_NEEDED" = true ]; then
  if ! docker push "$IMAGE_REPOSITORY_URI:$IMAGE_TAG"; then
    echo "pipewright: docker push of $IMAGE_REPOSITORY_URI:$IMAGE_TAG failed (above). Fix: the project's role needs the push actions on the repository" >&2
    exit 1
  fi
  if ! pushed_digest="$(${describeImage})"; then
    echo "pipewright: could not read the digest of $IMAGE_REPOSITORY_URI:$IMAGE_TAG after pushing it (above)" >&2
    exit 1
  fi
  export IMAGE_DIGEST="$pushed_digest"
fi`;

// Deployments name the image by digest only: a tag could be made to point elsewhere, a digest cannot.
const checkDigest = `if [[ ! "\${IMAGE_DIGEST:-}" =~ ^sha256:[0-9a-f]{64}$ ]]; then
  echo "pipewright: the registry gave \\"\${IMAGE_DIGEST:-}\\" as the digest of $IMAGE_REPOSITORY_URI:$IMAGE_TAG, not sha256:<64 hex>; the deployments take the image by digest only, so the build stops here" >&2
  exit 1
fi
export IMAGE_URI="$IMAGE_REPOSITORY_URI@$IMAGE_DIGEST"`;

/**
 * Written by Node from the environment (never by pasting values into JSON
 * text): the image detail, and the template configurations of the deploy
 * actions. The network parameters are named as PlatformNames.networkParameters
 * names them. Single-quoted for bash, so the script holds no single quote.
 */
const WRITE_CONFIGURATIONS_SCRIPT = `
const fs = require("node:fs");
const env = process.env;
const project = env.PROJECT_NAME;
fs.writeFileSync("imageDetail.json", JSON.stringify({ ImageURI: env.IMAGE_URI }) + "\\n");
for (const environment of ["dev", "prod", "pr"]) {
  const configuration = {
    Parameters: {
      ImageUri: env.IMAGE_URI,
      Environment: environment,
      ProjectName: project,
      LogRetentionDays: env.LOG_RETENTION_DAYS,
      VpcId: "/" + project + "/network/vpc-id",
      SubnetIds: "/" + project + "/network/subnet-ids",
    },
    Tags: { project: project, environment: environment },
  };
  fs.writeFileSync(environment + ".json", JSON.stringify(configuration, null, 2) + "\\n");
}
`;

const writeOutputs = `if [ "$TEMPLATE_FILE" != packaged.yaml ] && ! cp -- "$TEMPLATE_FILE" packaged.yaml; then
  echo "pipewright: could not copy the template $TEMPLATE_FILE to packaged.yaml (above)" >&2
  exit 1
fi
if ! node -e '${WRITE_CONFIGURATIONS_SCRIPT}'; then
  echo "pipewright: could not write imageDetail.json and the template configurations (above)" >&2
  exit 1
fi
echo "pipewright: the deployments take $IMAGE_URI"`;

/**
 * The buildspec of every container build project, as an object: render it
 * with JSON.stringify (JSON is YAML) as the project's inline buildspec.
 */
export function containerBuildspec(): Record<string, unknown> {
  return {
    version: "0.2",
    env: { shell: "bash", "exported-variables": [...CONTAINER_BUILD_EXPORTED_VARIABLES] },
    phases: {
      build: {
        commands: [checkEnvironment, tagWithCommit, logIn, lookUpTag, build, test, push, checkDigest, writeOutputs],
      },
    },
    artifacts: { files: [...CONTAINER_BUILD_FILES] },
  };
}
