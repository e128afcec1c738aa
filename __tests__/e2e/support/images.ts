/**
 * Container images as `docker push` sends them to ECR, call by call: a
 * one-layer image whose digest is known before it is pushed.
 */
import { createHash } from "node:crypto";
import {
  BatchCheckLayerAvailabilityCommand,
  BatchGetImageCommand,
  CompleteLayerUploadCommand,
  type ECRClient,
  InitiateLayerUploadCommand,
  PutImageCommand,
  UploadLayerPartCommand,
} from "@aws-sdk/client-ecr";

export interface TestImage {
  readonly blobs: readonly Uint8Array[];
  readonly manifest: string;
  /** `sha256:<hex>` of the manifest: what the pipeline deploys. */
  readonly digest: string;
}

const sha256 = (bytes: Uint8Array | string) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** A one-layer arm64 image made of `content`. */
export function testImage(content: string): TestImage {
  const layer = new TextEncoder().encode(content);
  const config = new TextEncoder().encode(JSON.stringify({ architecture: "arm64", os: "linux" }));
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.docker.distribution.manifest.v2+json",
    config: { mediaType: "application/vnd.docker.container.image.v1+json", size: config.length, digest: sha256(config) },
    layers: [{ mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: layer.length, digest: sha256(layer) }],
  });
  return { blobs: [layer, config], manifest, digest: sha256(manifest) };
}

/** Uploads the image's blobs the repository lacks, then its manifest under `tag`. */
export async function pushImage(ecr: ECRClient, repositoryName: string, image: TestImage, tag: string): Promise<void> {
  const { failures } = await ecr.send(new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: image.blobs.map(sha256) }));
  const missing = new Set(failures?.map((failure) => failure.layerDigest));
  for (const blob of image.blobs.filter((candidate) => missing.has(sha256(candidate)))) {
    const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
    await ecr.send(new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: 0, partLastByte: blob.length - 1, layerPartBlob: blob }));
    await ecr.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [sha256(blob)] }));
  }
  await ecr.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageTag: tag }));
}

/** Reads the image's manifest by digest from another account's registry, as ECS does before it starts a task. */
export async function pullImage(ecr: ECRClient, registryId: string, repositoryName: string, digest: string): Promise<void> {
  const { images, failures } = await ecr.send(new BatchGetImageCommand({ registryId, repositoryName, imageIds: [{ imageDigest: digest }] }));
  if (images?.length !== 1) throw new Error(`${repositoryName}@${digest} was not pulled: ${JSON.stringify(failures)}`);
}
