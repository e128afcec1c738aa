/**
 * The container build's buildspec, run for real: its commands run with bash
 * in a temporary checkout, one after the other as CodeBuild runs them (each
 * in its own shell, with the environment the previous ones exported; the
 * first that fails ends the phase), against fake `docker` and `aws`
 * executables first on PATH. The fakes log every call and answer like the
 * real ones: a registry in a folder, ImageNotFoundException with exit 254,
 * tests that fail when FAKE_TESTS_FAIL exists.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CONTAINER_BUILD_FILES, CONTAINER_BUILD_VARIABLES, containerBuildEnvironment, containerBuildspec } from "../../stacks/container-buildspec";
import { PlatformNames } from "../../stacks/names";
import { exampleConfig } from "../support/synth";

const REGISTRY = "111111111111.dkr.ecr.eu-west-1.amazonaws.com";
const REPOSITORY = "pipewright/storefront";
const URI = `${REGISTRY}/${REPOSITORY}`;
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const TEST_COMMAND = `node --test test/ && echo "it's fine"`;
const SEPARATOR = "\u001f";

/** Logs the call (arguments separated by SEPARATOR), then answers like the AWS CLI for the calls the build makes. */
const FAKE_AWS = `#!/usr/bin/env bash
(IFS=$'\\x1f'; printf 'aws\\x1f%s\\n' "$*") >> "$FAKE_DIR/calls.log"
digest_of() { printf 'sha256:%s' "$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)"; }
if [ "$1 $2" = "ecr get-login-password" ]; then echo fake-password; exit 0; fi
if [ "$1 $2" != "ecr describe-images" ]; then echo "fake aws: unexpected call: $*" >&2; exit 2; fi
shift 2
while [ $# -gt 0 ]; do
  case "$1" in
    --registry-id) registry="$2"; shift 2 ;;
    --repository-name) repository="$2"; shift 2 ;;
    --image-ids) tag="\${2#imageTag=}"; shift 2 ;;
    --query) query="$2"; shift 2 ;;
    --output) output="$2"; shift 2 ;;
    *) echo "fake aws: unexpected argument $1" >&2; exit 2 ;;
  esac
done
if [ -f "$FAKE_DIR/DESCRIBE_DENIED" ]; then
  echo "An error occurred (AccessDeniedException) when calling the DescribeImages operation: not authorized to perform ecr:DescribeImages" >&2
  exit 254
fi
if ! grep -qxF "$repository:$tag" "$FAKE_DIR/registry" 2>/dev/null; then
  echo "An error occurred (ImageNotFoundException) when calling the DescribeImages operation: The image with imageId {imageDigest:'null', imageTag:'$tag'} does not exist within the repository with name '$repository' in the registry with id '$registry'" >&2
  exit 254
fi
digest="$(digest_of "$repository:$tag")"
if [ -f "$FAKE_DIR/BAD_DIGEST" ]; then digest=None; fi
if [ "$query" = "imageDetails[0].imageDigest" ] && [ "$output" = text ]; then echo "$digest"; exit 0; fi
printf '{"imageDetails": [{"registryId": "%s", "repositoryName": "%s", "imageDigest": "%s", "imageTags": ["%s"]}]}\\n' "$registry" "$repository" "$digest" "$tag"
`;

/** Logs the call, then: login reads the password, build remembers the tag, run fails with FAKE_TESTS_FAIL, push needs a built image. */
const FAKE_DOCKER = `#!/usr/bin/env bash
(IFS=$'\\x1f'; printf 'docker\\x1f%s\\n' "$*") >> "$FAKE_DIR/calls.log"
case "$1" in
  login)
    password="$(cat)"
    [ "$password" = fake-password ] || { echo "Error: Cannot perform an interactive login from a non TTY device" >&2; exit 1; }
    echo "Login Succeeded" ;;
  build)
    while [ $# -gt 0 ]; do [ "$1" = --tag ] && echo "$2" >> "$FAKE_DIR/built"; shift; done ;;
  run)
    if [ -f "$FAKE_DIR/FAKE_TESTS_FAIL" ]; then echo "not ok 1 - health answers ok" >&2; exit 1; fi
    echo "ok 1 - health answers ok" ;;
  push)
    grep -qxF "$2" "$FAKE_DIR/built" 2>/dev/null || { echo "An image does not exist locally with the tag: $2" >&2; exit 1; }
    echo "\${2#*/}" >> "$FAKE_DIR/registry" ;;
  *) echo "fake docker: unexpected call: $*" >&2; exit 2 ;;
esac
`;

interface BuildRun {
  readonly status: number;
  readonly output: string;
  /** Each call of docker or aws: the program, then its arguments. */
  readonly calls: string[][];
  /** The environment after the last command that ran. */
  readonly env: NodeJS.ProcessEnv;
  readonly dir: string;
}

const buildspec = containerBuildspec() as any;
const commands: string[] = buildspec.phases.build.commands;
const settings = {
  imageRepositoryUri: URI,
  dockerfile: "services/store front/Dockerfile",
  context: "services/store front",
  testCommand: TEST_COMMAND,
  template: "services/store front/template.yaml",
  project: "pipewright",
  logRetentionDays: 14,
};

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "pipewright-container-build-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let runs = 0;
/** A checkout with the service's files, the fakes, and what the registry holds already. */
function checkout(options: { registry?: string[]; markers?: string[] } = {}): string {
  const dir = path.join(root, `run-${runs++}`);
  const fakes = path.join(dir, ".fakes");
  mkdirSync(path.join(dir, "services/store front"), { recursive: true });
  mkdirSync(path.join(fakes, "bin"), { recursive: true });
  writeFileSync(path.join(dir, "services/store front/Dockerfile"), "FROM scratch\n");
  writeFileSync(path.join(dir, "services/store front/template.yaml"), "Resources: {}\n");
  for (const [name, body] of [
    ["aws", FAKE_AWS],
    ["docker", FAKE_DOCKER],
  ]) {
    writeFileSync(path.join(fakes, "bin", name), body);
    chmodSync(path.join(fakes, "bin", name), 0o755);
  }
  writeFileSync(path.join(fakes, "registry"), (options.registry ?? []).map((line) => `${line}\n`).join(""));
  for (const marker of options.markers ?? []) writeFileSync(path.join(fakes, marker), "");
  return dir;
}

/** Runs the build phase's commands in `dir` as CodeBuild does. */
function runBuild(dir: string, env: Record<string, string | undefined>): BuildRun {
  const fakes = path.join(dir, ".fakes");
  const envFile = path.join(fakes, "env");
  let current: NodeJS.ProcessEnv = {
    PATH: `${path.join(fakes, "bin")}:${process.env.PATH}`,
    HOME: dir,
    FAKE_DIR: fakes,
    ...Object.fromEntries(containerBuildEnvironment(settings).map((v) => [v.name, v.value])),
    CODEBUILD_RESOLVED_SOURCE_VERSION: COMMIT,
    ...env,
  };
  for (const [name, value] of Object.entries(current)) if (value === undefined) delete current[name];
  let status = 0;
  let output = "";
  for (const command of commands) {
    const run = spawnSync("bash", ["-c", `${command}\n__status=$?\nenv -0 > "$__ENV_FILE"\nexit $__status`], {
      cwd: dir,
      env: { ...current, __ENV_FILE: envFile },
      encoding: "utf8",
      timeout: 20_000,
    });
    output += run.stdout + run.stderr;
    status = run.status ?? 1;
    if (status !== 0) break;
    current = Object.fromEntries(
      readFileSync(envFile, "utf8")
        .split("\0")
        .filter((entry) => entry.includes("=") && !entry.startsWith("__ENV_FILE="))
        .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
    );
  }
  const log = path.join(fakes, "calls.log");
  const calls = existsSync(log)
    ? readFileSync(log, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => line.split(SEPARATOR))
    : [];
  return { status, output, calls, env: current, dir };
}

const json = (run: BuildRun, file: string) => JSON.parse(readFileSync(path.join(run.dir, file), "utf8"));
const callsOf = (run: BuildRun, program: string, subcommand: string) => run.calls.filter((c) => c[0] === program && c[1] === subcommand);
const digestOf = (reference: string) => `sha256:${createHash("sha256").update(reference).digest("hex")}`;

describe("container buildspec", () => {
  it("is a version 0.2 bash buildspec that exports the image variables and hands on the deploy files", () => {
    expect(buildspec).toMatchObject({
      version: "0.2",
      env: { shell: "bash", "exported-variables": ["IMAGE_URI", "IMAGE_DIGEST", "IMAGE_TAG"] },
      artifacts: { files: ["packaged.yaml", "dev.json", "prod.json", "pr.json", "imageDetail.json"] },
    });
    // Everything in build: CodeBuild runs post_build even after a failed build.
    expect(Object.keys(buildspec.phases)).toEqual(["build"]);
    expect(JSON.parse(JSON.stringify(buildspec))).toEqual(buildspec);
  });

  it("gives a container project exactly the variables the buildspec reads", () => {
    expect(containerBuildEnvironment(settings)).toEqual([
      { name: "IMAGE_REPOSITORY_URI", value: URI },
      { name: "DOCKERFILE", value: "services/store front/Dockerfile" },
      { name: "BUILD_CONTEXT", value: "services/store front" },
      { name: "TEST_COMMAND", value: TEST_COMMAND },
      { name: "TEMPLATE_FILE", value: "services/store front/template.yaml" },
      { name: "PROJECT_NAME", value: "pipewright" },
      { name: "LOG_RETENTION_DAYS", value: "14" },
    ]);
  });

  describe("a commit not built before", () => {
    let run: BuildRun;
    beforeAll(() => {
      run = runBuild(checkout(), {});
    });

    it("logs in, builds, tests inside the image, then pushes, tagged with the commit", () => {
      expect(run.status).toBe(0);
      const docker = run.calls.filter((c) => c[0] === "docker").map((c) => c.slice(1));
      expect(docker).toEqual([
        ["login", "--username", "AWS", "--password-stdin", REGISTRY],
        ["build", "--file", "services/store front/Dockerfile", "--tag", `${URI}:${COMMIT}`, "services/store front"],
        ["run", "--rm", "--entrypoint", "/bin/sh", `${URI}:${COMMIT}`, "-c", TEST_COMMAND],
        ["push", `${URI}:${COMMIT}`],
      ]);
      // Looked up before building, then the digest read back from the registry after the push.
      const lookups = callsOf(run, "aws", "ecr").filter((c) => c[2] === "describe-images");
      expect(lookups).toHaveLength(2);
      expect(lookups[0]).toEqual([
        "aws",
        "ecr",
        "describe-images",
        "--registry-id",
        "111111111111",
        "--repository-name",
        REPOSITORY,
        "--image-ids",
        `imageTag=${COMMIT}`,
        "--query",
        "imageDetails[0].imageDigest",
        "--output",
        "text",
      ]);
      expect(run.calls.findIndex((c) => c[1] === "push")).toBeLessThan(run.calls.lastIndexOf(lookups[1]));
    });

    it("names the image by its digest in imageDetail.json, the template configurations and the exported variables", () => {
      const digest = digestOf(`${REPOSITORY}:${COMMIT}`);
      expect(json(run, "imageDetail.json")).toEqual({ ImageURI: `${URI}@${digest}` });
      expect(run.env).toMatchObject({ IMAGE_URI: `${URI}@${digest}`, IMAGE_DIGEST: digest, IMAGE_TAG: COMMIT });
      for (const environment of ["dev", "prod", "pr"]) {
        const configuration = json(run, `${environment}.json`);
        expect(configuration.Parameters.ImageUri).toBe(`${URI}@${digest}`);
        expect(configuration.Parameters.ImageUri).not.toContain(COMMIT);
      }
    });

    it("writes each environment's template configuration, with the network parameters named as PlatformNames names them", () => {
      const network = new PlatformNames(exampleConfig()).networkParameters;
      expect(json(run, "prod.json")).toEqual({
        Parameters: {
          ImageUri: expect.stringMatching(/@sha256:[0-9a-f]{64}$/),
          Environment: "prod",
          ProjectName: "pipewright",
          LogRetentionDays: "14",
          VpcId: network.vpcId,
          SubnetIds: network.subnetIds,
        },
        Tags: { project: "pipewright", environment: "prod" },
      });
      expect(json(run, "dev.json").Parameters.Environment).toBe("dev");
      expect(json(run, "pr.json").Tags).toEqual({ project: "pipewright", environment: "pr" });
    });

    it("hands on the service's template as packaged.yaml", () => {
      expect(readFileSync(path.join(run.dir, "packaged.yaml"), "utf8")).toBe("Resources: {}\n");
      for (const file of CONTAINER_BUILD_FILES) expect(existsSync(path.join(run.dir, file))).toBe(true);
    });
  });

  it("pushes nothing and says so when the tests fail inside the image", () => {
    const run = runBuild(checkout({ markers: ["FAKE_TESTS_FAIL"] }), {});
    expect(run.status).not.toBe(0);
    expect(run.output).toContain("pipewright: the tests failed inside the image");
    expect(run.output).toContain("nothing was pushed");
    expect(callsOf(run, "docker", "run")).toHaveLength(1);
    expect(callsOf(run, "docker", "push")).toEqual([]);
    expect(existsSync(path.join(run.dir, "imageDetail.json"))).toBe(false);
    expect(existsSync(path.join(run.dir, "dev.json"))).toBe(false);
  });

  it("reuses the digest of a commit built before, without building, testing or pushing again", () => {
    const run = runBuild(checkout({ registry: [`${REPOSITORY}:${COMMIT}`] }), {});
    expect(run.status).toBe(0);
    expect(run.output).toContain("exists already");
    expect(run.calls.filter((c) => c[0] === "docker").map((c) => c[1])).toEqual(["login"]);
    expect(json(run, "imageDetail.json")).toEqual({ ImageURI: `${URI}@${digestOf(`${REPOSITORY}:${COMMIT}`)}` });
    expect(run.env.IMAGE_DIGEST).toBe(digestOf(`${REPOSITORY}:${COMMIT}`));
  });

  it.each(CONTAINER_BUILD_VARIABLES.map((name) => [name]))("fails before calling docker or aws when %s is missing, naming it", (name) => {
    const run = runBuild(checkout(), { [name]: undefined });
    expect(run.status).not.toBe(0);
    expect(run.output).toContain(`the environment variable ${name} is missing or empty`);
    expect(run.calls).toEqual([]);
  });

  it.each([
    ["a branch name", "main"],
    ["a short commit", "0123456"],
    ["nothing", undefined],
  ])("fails before calling docker or aws when the source version is %s", (_what, version) => {
    const run = runBuild(checkout(), { CODEBUILD_RESOLVED_SOURCE_VERSION: version });
    expect(run.status).not.toBe(0);
    expect(run.output).toContain(`CODEBUILD_RESOLVED_SOURCE_VERSION "${version ?? ""}" is not a 40-character commit id`);
    expect(run.calls).toEqual([]);
  });

  it("fails clearly when the Dockerfile is not in the checkout", () => {
    const dir = checkout();
    rmSync(path.join(dir, "services/store front/Dockerfile"));
    const run = runBuild(dir, {});
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('the Dockerfile "services/store front/Dockerfile" is not in the repository at this commit');
    expect(run.calls).toEqual([]);
  });

  it("stops without writing anything when the registry gives something that is not a digest", () => {
    const run = runBuild(checkout({ markers: ["BAD_DIGEST"] }), {});
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('the registry gave "None" as the digest');
    expect(existsSync(path.join(run.dir, "imageDetail.json"))).toBe(false);
  });

  it("does not build when the image cannot be looked up for another reason than its absence", () => {
    const run = runBuild(checkout({ markers: ["DESCRIBE_DENIED"] }), {});
    expect(run.status).not.toBe(0);
    expect(run.output).toContain("AccessDeniedException");
    expect(run.output).toContain("could not look up");
    expect(run.calls.filter((c) => c[0] === "docker").map((c) => c[1])).toEqual(["login"]);
  });
});
