/**
 * The emulator's ECR (sandbox/emulator: ecr_repositories, ecr_images) can prove the boundaries of
 * issue 16's image repositories: the build account holds main's `<project>/<service>` and the pull
 * requests' `<project>-pr/<service>` repositories; each CodeBuild role may push only to its own
 * repositories, and only the dev and prod `<project>-image-pull` roles the repository policy names
 * may pull, across accounts. Every identity below acts with its own credentials (sts:AssumeRole
 * sessions) after IAM checks are switched on, as pipewright's roles act in AWS.
 */
import { createHash } from "node:crypto";
import {
  BatchCheckLayerAvailabilityCommand,
  BatchGetImageCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  DeleteLifecyclePolicyCommand,
  DeleteRepositoryCommand,
  DeleteRepositoryPolicyCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  GetDownloadUrlForLayerCommand,
  GetLifecyclePolicyCommand,
  GetRepositoryPolicyCommand,
  InitiateLayerUploadCommand,
  ListTagsForResourceCommand,
  PutImageCommand,
  PutLifecyclePolicyCommand,
  SetRepositoryPolicyCommand,
  UploadLayerPartCommand,
} from "@aws-sdk/client-ecr";
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentials } from "../../sandbox/aws/clients";
import { assumeRole } from "../../sandbox/aws/iam";
import { EMULATOR_REGION } from "../../sandbox/emulator";
import { useEmulator } from "../support/emulator";
import { type PolicyStatement, policy, roleArn, useEmulatorAccounts } from "./support/emulator-accounts";

const BUILD = "111111111111";
const DEV = "222222222222";
const PROD = "333333333333";
const PLATFORM_KEY = `arn:aws:kms:${EMULATOR_REGION}:${BUILD}:key/0b9a3c1e-5d2f-4e6a-8b7c-1d2e3f4a5b6c`;
const MAIN_REPOSITORY = "pipewright/orders";
const PR_REPOSITORY = "pipewright-pr/orders";
const PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"];
const PUSH_ACTIONS = [
  ...PULL_ACTIONS,
  "ecr:CompleteLayerUpload",
  "ecr:DescribeImages",
  "ecr:InitiateLayerUpload",
  "ecr:PutImage",
  "ecr:UploadLayerPart",
];
const LIFECYCLE_POLICY = JSON.stringify({
  rules: [
    {
      action: { type: "expire" },
      description: "Keep the last 20 images",
      rulePriority: 1,
      selection: { countNumber: 20, countType: "imageCountMoreThan", tagStatus: "any" },
    },
  ],
});

const emulator = useEmulator();
const { administrator, sdkConfig, client } = useEmulatorAccounts(emulator, [BUILD, DEV, PROD]);

const repositoryArn = (name: string, account = BUILD) => `arn:aws:ecr:${EMULATOR_REGION}:${account}:repository/${name}`;
const sha256 = (content: string | Uint8Array) => `sha256:${createHash("sha256").update(content).digest("hex")}`;
const authorizationToken: PolicyStatement = { Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" };

const ecr = (credentials: AwsCredentials): ECRClient => client(new ECRClient(sdkConfig(credentials)));

/**
 * A session of a new role of `account`, which that account's administrator may assume, with an
 * inline policy of `statements`.
 */
async function actingAs(account: string, name: string, ...statements: PolicyStatement[]): Promise<ECRClient> {
  const iam = client(new IAMClient(sdkConfig(administrator(account))));
  const trust = policy({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "sts:AssumeRole" });
  await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
  await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "permissions", PolicyDocument: policy(...statements) }));
  const sts = client(new STSClient(sdkConfig(administrator(account))));
  return ecr(await assumeRole(sts, roleArn(account, name), "emulator-ecr-test"));
}

/** What Terraform's provider sends for aws_ecr_repository: KMS with the platform key, immutable tags, scan on push. */
function createRepository(administrator: ECRClient, name: string) {
  return administrator.send(
    new CreateRepositoryCommand({
      repositoryName: name,
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: "KMS", kmsKey: PLATFORM_KEY },
      tags: [{ Key: "pipewright:service", Value: "orders" }],
    }),
  );
}

/** The pull statement of a repository policy, naming exact role ARNs as the stacks write it. */
function pullPolicy(...principals: string[]): string {
  return policy({ Sid: "ImagePull", Effect: "Allow", Principal: { AWS: principals }, Action: PULL_ACTIONS });
}

interface PushedImage {
  layer: Uint8Array;
  layerDigest: string;
  manifest: string;
  digest: string;
}

/**
 * A one-layer image built from `content`, with a config blob: what `docker push` sends, call by
 * call (blobs the repository has are not uploaded again).
 */
async function push(builder: ECRClient, repositoryName: string, tag: string, content: string): Promise<PushedImage> {
  const layer = new TextEncoder().encode(content);
  const layerDigest = sha256(layer);
  const config = new TextEncoder().encode(JSON.stringify({ architecture: "arm64", os: "linux", tag }));
  const { failures } = await builder.send(new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: [layer, config].map(sha256) }));
  const missing = new Set(failures?.map((failure) => failure.layerDigest));
  for (const blob of [layer, config].filter((candidate) => missing.has(sha256(candidate)))) {
    const { uploadId } = await builder.send(new InitiateLayerUploadCommand({ repositoryName }));
    await builder.send(
      new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: 0, partLastByte: blob.length - 1, layerPartBlob: blob }),
    );
    await builder.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [sha256(blob)] }));
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.docker.distribution.manifest.v2+json",
    config: { mediaType: "application/vnd.docker.container.image.v1+json", size: config.length, digest: sha256(config) },
    layers: [{ mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: layer.length, digest: layerDigest }],
  });
  await builder.send(new PutImageCommand({ repositoryName, imageManifest: manifest, imageTag: tag }));
  return { layer, layerDigest, manifest, digest: sha256(manifest) };
}

let buildAdministrator: ECRClient;

beforeAll(() => {
  buildAdministrator = ecr(administrator(BUILD));
});

describe("AWS emulator ECR: the calls Terraform's provider makes", () => {
  const name = "pipewright/terraform-shaped";

  it("create a KMS-encrypted repository with immutable tags and scan on push, and read it back", async () => {
    const { repository } = await createRepository(buildAdministrator, name);
    expect(repository).toMatchObject({
      repositoryArn: repositoryArn(name),
      registryId: BUILD,
      repositoryUri: `${BUILD}.dkr.ecr.${EMULATOR_REGION}.amazonaws.com/${name}`,
      createdAt: expect.any(Date),
    });
    const { repositories } = await buildAdministrator.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
    expect(repositories).toEqual([
      expect.objectContaining({
        repositoryArn: repositoryArn(name),
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: { encryptionType: "KMS", kmsKey: PLATFORM_KEY },
      }),
    ]);
    const { tags } = await buildAdministrator.send(new ListTagsForResourceCommand({ resourceArn: repositoryArn(name) }));
    expect(tags).toEqual([{ Key: "pipewright:service", Value: "orders" }]);
  });

  it("keep a lifecycle policy and a repository policy naming roles of other accounts as written", async () => {
    await buildAdministrator.send(new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: LIFECYCLE_POLICY }));
    await expect(buildAdministrator.send(new GetLifecyclePolicyCommand({ repositoryName: name }))).resolves.toMatchObject({
      registryId: BUILD,
      lifecyclePolicyText: LIFECYCLE_POLICY,
    });
    const iam = client(new IAMClient(sdkConfig(administrator(DEV))));
    const trust = policy({ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" });
    await iam.send(new CreateRoleCommand({ RoleName: "terraform-shaped-pull", AssumeRolePolicyDocument: trust }));
    const written = pullPolicy(roleArn(DEV, "terraform-shaped-pull"));
    await buildAdministrator.send(new SetRepositoryPolicyCommand({ repositoryName: name, policyText: written }));
    await expect(buildAdministrator.send(new GetRepositoryPolicyCommand({ repositoryName: name }))).resolves.toMatchObject({
      registryId: BUILD,
      repositoryName: name,
      policyText: written,
    });
  });

  it("refuse a repository policy naming a role that does not exist, as ECR does", async () => {
    await expect(
      buildAdministrator.send(new SetRepositoryPolicyCommand({ repositoryName: name, policyText: pullPolicy(roleArn(PROD, "not-created-yet")) })),
    ).rejects.toMatchObject({ name: "InvalidParameterException", message: expect.stringContaining("Principal not found") });
  });

  it("delete the policies and the repository as Terraform's destroy does", async () => {
    await buildAdministrator.send(new DeleteRepositoryPolicyCommand({ registryId: BUILD, repositoryName: name }));
    await buildAdministrator.send(new DeleteLifecyclePolicyCommand({ registryId: BUILD, repositoryName: name }));
    await buildAdministrator.send(new DeleteRepositoryCommand({ registryId: BUILD, repositoryName: name, force: false }));
    await expect(buildAdministrator.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }))).rejects.toMatchObject({
      name: "RepositoryNotFoundException",
    });
  });
});

describe("AWS emulator ECR: pushes and cross-account pulls", () => {
  let mainBuild: ECRClient;
  let prBuild: ECRClient;
  let devPull: ECRClient;
  let devOtherRole: ECRClient;
  let prodPullWithoutPullActions: ECRClient;
  let devPreviewPull: ECRClient;
  let image: PushedImage;

  const refusal = (action: string, repository: string, because: "identity" | "resource") => ({
    name: "AccessDeniedException",
    message: expect.stringContaining(`${action} on resource: ${repositoryArn(repository)} because no ${because}-based policy allows`),
  });

  beforeAll(async () => {
    for (const repository of [MAIN_REPOSITORY, PR_REPOSITORY]) await createRepository(buildAdministrator, repository);
    // The shapes of the contract's statements: push to exact repository ARNs, the token on "*".
    const pushTo = (repository: string): PolicyStatement => ({ Effect: "Allow", Action: PUSH_ACTIONS, Resource: repositoryArn(repository) });
    mainBuild = await actingAs(BUILD, "main-build", pushTo(MAIN_REPOSITORY), authorizationToken);
    prBuild = await actingAs(BUILD, "pr-build", pushTo(PR_REPOSITORY), authorizationToken);
    const pullFromMain: PolicyStatement = {
      Effect: "Allow",
      Action: [...PULL_ACTIONS, "ecr:DescribeImages"],
      Resource: repositoryArn(MAIN_REPOSITORY),
    };
    devPull = await actingAs(DEV, "pipewright-image-pull", pullFromMain, authorizationToken);
    devOtherRole = await actingAs(DEV, "other-service", pullFromMain, authorizationToken);
    prodPullWithoutPullActions = await actingAs(PROD, "pipewright-image-pull", authorizationToken);
    const pullFromPr: PolicyStatement = { Effect: "Allow", Action: [...PULL_ACTIONS, "ecr:DescribeImages"], Resource: repositoryArn(PR_REPOSITORY) };
    devPreviewPull = await actingAs(DEV, "pipewright-preview-image-pull", pullFromPr, authorizationToken);
    await buildAdministrator.send(
      new SetRepositoryPolicyCommand({
        repositoryName: MAIN_REPOSITORY,
        policyText: pullPolicy(roleArn(DEV, "pipewright-image-pull"), roleArn(PROD, "pipewright-image-pull")),
      }),
    );
    // DescribeImages granted too, to show that a call naming the build registry reads the build account's images.
    await buildAdministrator.send(
      new SetRepositoryPolicyCommand({
        repositoryName: PR_REPOSITORY,
        policyText: policy({
          Effect: "Allow",
          Principal: { AWS: roleArn(DEV, "pipewright-preview-image-pull") },
          Action: [...PULL_ACTIONS, "ecr:DescribeImages"],
        }),
      }),
    );
  });

  it("give the build and pull roles an authorization token (no resource-level permissions)", async () => {
    for (const role of [mainBuild, devPull]) {
      const { authorizationData } = await role.send(new GetAuthorizationTokenCommand({}));
      expect(authorizationData?.[0]?.authorizationToken).toEqual(expect.any(String));
    }
  });

  it("refuse the token to a role allowed it only on a repository's ARN: it is authorized on *", async () => {
    const onRepository = await actingAs(BUILD, "token-on-repository", {
      Effect: "Allow",
      Action: "ecr:GetAuthorizationToken",
      Resource: repositoryArn(MAIN_REPOSITORY),
    });
    await expect(onRepository.send(new GetAuthorizationTokenCommand({}))).rejects.toMatchObject({
      name: "AccessDeniedException",
      message: expect.stringContaining("ecr:GetAuthorizationToken"),
    });
  });

  it("let the main build role push to main's repository, layer by layer, under the digest of its manifest", async () => {
    image = await push(mainBuild, MAIN_REPOSITORY, "0f1e2d3c", "main layer");
    const { imageDetails } = await mainBuild.send(
      new DescribeImagesCommand({ repositoryName: MAIN_REPOSITORY, imageIds: [{ imageTag: "0f1e2d3c" }] }),
    );
    expect(imageDetails?.[0]).toMatchObject({ imageDigest: image.digest, imageTags: ["0f1e2d3c"] });
    const { layers } = await mainBuild.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName: MAIN_REPOSITORY, layerDigests: [image.layerDigest] }),
    );
    expect(layers).toEqual([{ layerDigest: image.layerDigest, layerAvailability: "AVAILABLE", layerSize: image.layer.length }]);
  });

  it("refuse another manifest under a tag in use (immutable tags), and a repository with images is not deleted without force", async () => {
    await expect(push(mainBuild, MAIN_REPOSITORY, "0f1e2d3c", "rebuilt layer")).rejects.toMatchObject({ name: "ImageTagAlreadyExistsException" });
    await expect(
      buildAdministrator.send(new DeleteRepositoryCommand({ registryId: BUILD, repositoryName: MAIN_REPOSITORY, force: false })),
    ).rejects.toMatchObject({ name: "RepositoryNotEmptyException" });
  });

  it("answer mistaken pushes with the errors ECR names, not HTTP 500", async () => {
    const repositoryName = MAIN_REPOSITORY;
    const part = new TextEncoder().encode("part");
    const { uploadId } = await mainBuild.send(new InitiateLayerUploadCommand({ repositoryName }));
    await expect(
      mainBuild.send(new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: 1, partLastByte: part.length, layerPartBlob: part })),
    ).rejects.toMatchObject({ name: "InvalidLayerPartException" });
    await mainBuild.send(
      new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: 0, partLastByte: part.length - 1, layerPartBlob: part }),
    );
    await expect(
      mainBuild.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [sha256("another part")] })),
    ).rejects.toMatchObject({ name: "InvalidLayerException" });
    await mainBuild.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [sha256(part)] }));
    // Uploaded, but no image references it.
    await expect(mainBuild.send(new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: sha256(part) }))).rejects.toMatchObject({
      name: "LayersNotFoundException",
    });
    await expect(
      buildAdministrator.send(new PutImageCommand({ repositoryName: "pipewright/missing", imageManifest: image.manifest, imageTag: "0f1e2d3c" })),
    ).rejects.toMatchObject({ name: "RepositoryNotFoundException" });
  });

  it("refuse the main build role on the PR repository and the PR build role on main's", async () => {
    await expect(mainBuild.send(new InitiateLayerUploadCommand({ repositoryName: PR_REPOSITORY }))).rejects.toMatchObject(
      refusal("ecr:InitiateLayerUpload", PR_REPOSITORY, "identity"),
    );
    await expect(
      mainBuild.send(new PutImageCommand({ repositoryName: PR_REPOSITORY, imageManifest: image.manifest, imageTag: "0f1e2d3c" })),
    ).rejects.toMatchObject(refusal("ecr:PutImage", PR_REPOSITORY, "identity"));
    await expect(
      prBuild.send(new PutImageCommand({ repositoryName: MAIN_REPOSITORY, imageManifest: image.manifest, imageTag: "pr-7" })),
    ).rejects.toMatchObject(refusal("ecr:PutImage", MAIN_REPOSITORY, "identity"));
    await expect(push(prBuild, PR_REPOSITORY, "pr-7", "pull request layer")).resolves.toBeDefined();
  });

  it("let the dev pull role the repository policy names pull main's image from the build account by digest", async () => {
    const where = { registryId: BUILD, repositoryName: MAIN_REPOSITORY };
    const { images, failures } = await devPull.send(new BatchGetImageCommand({ ...where, imageIds: [{ imageDigest: image.digest }] }));
    expect(failures).toEqual([]);
    expect(images?.[0]).toMatchObject({ registryId: BUILD, imageManifest: image.manifest, imageId: { imageDigest: image.digest } });
    const { layers } = await devPull.send(new BatchCheckLayerAvailabilityCommand({ ...where, layerDigests: [image.layerDigest] }));
    expect(layers?.[0]?.layerAvailability).toBe("AVAILABLE");
    const { downloadUrl } = await devPull.send(new GetDownloadUrlForLayerCommand({ ...where, layerDigest: image.layerDigest }));
    const download = await fetch(downloadUrl ?? "");
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(image.layer);
  });

  it("refuse a dev role with the same identity policy that the repository policy does not name", async () => {
    const where = { registryId: BUILD, repositoryName: MAIN_REPOSITORY };
    await expect(devOtherRole.send(new BatchGetImageCommand({ ...where, imageIds: [{ imageDigest: image.digest }] }))).rejects.toMatchObject(
      refusal("ecr:BatchGetImage", MAIN_REPOSITORY, "resource"),
    );
    await expect(devOtherRole.send(new GetDownloadUrlForLayerCommand({ ...where, layerDigest: image.layerDigest }))).rejects.toMatchObject(
      refusal("ecr:GetDownloadUrlForLayer", MAIN_REPOSITORY, "resource"),
    );
    await expect(devOtherRole.send(new BatchCheckLayerAvailabilityCommand({ ...where, layerDigests: [image.layerDigest] }))).rejects.toMatchObject(
      refusal("ecr:BatchCheckLayerAvailability", MAIN_REPOSITORY, "resource"),
    );
  });

  it("refuse the prod pull role, which the repository policy names, while its own policy lacks the pull actions", async () => {
    await expect(
      prodPullWithoutPullActions.send(
        new BatchGetImageCommand({ registryId: BUILD, repositoryName: MAIN_REPOSITORY, imageIds: [{ imageDigest: image.digest }] }),
      ),
    ).rejects.toMatchObject(refusal("ecr:BatchGetImage", MAIN_REPOSITORY, "identity"));
  });

  it("refuse the dev pull role a call its identity policy allows but the repository policy does not grant", async () => {
    await expect(devPull.send(new DescribeImagesCommand({ registryId: BUILD, repositoryName: MAIN_REPOSITORY }))).rejects.toMatchObject(
      refusal("ecr:DescribeImages", MAIN_REPOSITORY, "resource"),
    );
  });

  it("let DescribeImages naming the build registry read the build account's repository, where the policy grants it", async () => {
    const { imageDetails } = await devPreviewPull.send(new DescribeImagesCommand({ registryId: BUILD, repositoryName: PR_REPOSITORY }));
    expect(imageDetails?.map((detail) => detail.imageTags)).toEqual([["pr-7"]]);
    await expect(devPreviewPull.send(new DescribeImagesCommand({ repositoryName: PR_REPOSITORY }))).rejects.toMatchObject({
      name: "AccessDeniedException",
      message: expect.stringContaining(repositoryArn(PR_REPOSITORY, DEV)),
    });
  });

  it("refuse even the administrator what an explicit Deny in the repository policy forbids", async () => {
    const name = "pipewright/protected";
    await createRepository(buildAdministrator, name);
    await buildAdministrator.send(
      new SetRepositoryPolicyCommand({
        repositoryName: name,
        policyText: policy({ Sid: "KeepIt", Effect: "Deny", Principal: "*", Action: "ecr:DeleteRepository" }),
      }),
    );
    await expect(buildAdministrator.send(new DeleteRepositoryCommand({ repositoryName: name }))).rejects.toMatchObject({
      name: "AccessDeniedException",
      message: expect.stringContaining("explicit deny in a resource-based policy"),
    });
  });
});
