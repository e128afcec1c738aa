"""ECR's layer API, which moto lacks, and images that carry the digest of their manifest.

moto answers the five calls an image push and pull go through besides
PutImage and BatchGetImage with NotImplementedError (HTTP 500): an image
could not be pushed or pulled layer by layer, and a pull role's
GetDownloadUrlForLayer could never be shown to work or to be refused. Here,
as the ECR API reference describes them:

- InitiateLayerUpload gives an upload id; UploadLayerPart appends a part,
  which must start at the next byte (else InvalidLayerPartException);
  CompleteLayerUpload keeps the layer under the sha256 digest of its bytes,
  which must be among `layerDigests` (else InvalidLayerException; nothing
  uploaded: EmptyUploadException; a layer the repository has:
  LayerAlreadyExistsException). An unknown upload id:
  UploadNotFoundException.
- BatchCheckLayerAvailability answers AVAILABLE and the size for each layer
  the repository has, and a MissingLayerDigest failure for the others.
- GetDownloadUrlForLayer answers for a layer the repository has and one of
  its images references (manifest `layers` or `config`), else
  LayersNotFoundException. The URL is the emulator's own,
  `/pipewright/ecr-layers/<account>/<region>/<repository>/<digest>`
  (`layer_response` serves it), unsigned, where ECR gives a pre-signed S3 URL.

Layers belong to the repository and go with it when it is deleted.

moto computed an image's digest from its layers' digests (or, for a manifest
without layers, at random from a hundred values, so two images could share
one); a registry's digest is the sha256 of the manifest as pushed. Here it
is, so a digest the build reads from the registry is the one a pull by
digest asks for. PutImage to a repository that does not exist answered HTTP
500 (an SDK retries that); it is RepositoryNotFoundException, and a manifest
that is not JSON InvalidParameterException, as in AWS. In a repository with
IMMUTABLE tags, a push of another manifest under a tag in use is
ImageTagAlreadyExistsException, as the PutImage reference says (moto gave
ImageAlreadyExistsException, which means the same image pushed again).
"""

import base64
import hashlib
import json
import threading
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlparse
from weakref import WeakKeyDictionary

from moto.core.responses import ActionResult
from moto.ecr.exceptions import InvalidParameterException, RepositoryNotFoundException
from moto.ecr.models import ECRBackend, Image, RepoTagMutability, Repository, ecr_backends
from moto.ecr.responses import ECRResponse

from aws_errors import AwsJsonError

LAYERS_PATH = "/pipewright/ecr-layers/"
# The most a part may hold (LayerPartBlob in the API reference); CompleteLayerUpload takes any size.
PART_SIZE = 20971520
DIGEST_PREFIX = "sha256:"


@dataclass
class LayerStore:
    layers: dict[str, bytes] = field(default_factory=dict)
    uploads: dict[str, bytearray] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


# Keyed by the repository object, so a repository deleted and created again starts empty.
STORES: "WeakKeyDictionary[Repository, LayerStore]" = WeakKeyDictionary()
STORES_LOCK = threading.Lock()


def store_of(repository: Repository) -> LayerStore:
    with STORES_LOCK:
        store = STORES.get(repository)
        if store is None:
            store = STORES[repository] = LayerStore()
        return store


def sha256_digest(content: bytes) -> str:
    return DIGEST_PREFIX + hashlib.sha256(content).hexdigest()


def repository_of(response: ECRResponse) -> Repository:
    return response.ecr_backend._get_repository(response._get_param("repositoryName"), response._get_param("registryId"))


def upload_of(store: LayerStore, upload_id: str | None, repository: Repository) -> bytearray:
    upload = store.uploads.get(upload_id or "")
    if upload is None:
        raise AwsJsonError(
            "UploadNotFoundException",
            f"Upload with id '{upload_id}' is not found in repository '{repository.name}' of registry '{repository.registry_id}'",
        )
    return upload


def referenced_digests(repository: Repository) -> set[str]:
    """The layer and config digests the repository's image manifests name."""
    digests: set[str] = set()
    for image in repository.images:
        manifest = json.loads(image.image_manifest)
        for blob in [*(manifest.get("layers") or []), manifest.get("config") or {}]:
            if isinstance(blob, dict) and isinstance(blob.get("digest"), str):
                digests.add(blob["digest"])
    return digests


def initiate_layer_upload(self: ECRResponse) -> ActionResult:
    repository = repository_of(self)
    store = store_of(repository)
    upload_id = str(uuid.uuid4())
    with store.lock:
        store.uploads[upload_id] = bytearray()
    return ActionResult({"uploadId": upload_id, "partSize": PART_SIZE})


def upload_layer_part(self: ECRResponse) -> ActionResult:
    repository = repository_of(self)
    store = store_of(repository)
    upload_id = self._get_param("uploadId")
    # A blob travels base64-encoded in the JSON protocol, and moto's parser leaves it so.
    blob = base64.b64decode(self._get_param("layerPartBlob") or "")
    first, last = self._get_param("partFirstByte"), self._get_param("partLastByte")
    with store.lock:
        upload = upload_of(store, upload_id, repository)
        if first != len(upload) or last != first + len(blob) - 1:
            raise AwsJsonError(
                "InvalidLayerPartException",
                f"The part of {len(blob)} bytes from byte {first} to {last} does not follow the {len(upload)} bytes "
                f"received: the next part starts at byte {len(upload)} and ends at its last byte",
            )
        upload.extend(blob)
        received = len(upload) - 1
    return ActionResult(
        {"registryId": repository.registry_id, "repositoryName": repository.name, "uploadId": upload_id, "lastByteReceived": received}
    )


def complete_layer_upload(self: ECRResponse) -> ActionResult:
    repository = repository_of(self)
    store = store_of(repository)
    upload_id = self._get_param("uploadId")
    with store.lock:
        upload = upload_of(store, upload_id, repository)
        if not upload:
            raise AwsJsonError("EmptyUploadException", f"The upload with id '{upload_id}' has no parts: upload the layer's bytes first")
        digest = sha256_digest(bytes(upload))
        if digest not in (self._get_param("layerDigests") or []):
            raise AwsJsonError(
                "InvalidLayerException", f"The layer digest calculated for the upload, {digest}, is not among the layerDigests given"
            )
        if digest in store.layers:
            raise AwsJsonError("LayerAlreadyExistsException", f"The layer {digest} already exists in the repository '{repository.name}'")
        store.layers[digest] = bytes(store.uploads.pop(upload_id))
    return ActionResult(
        {"registryId": repository.registry_id, "repositoryName": repository.name, "uploadId": upload_id, "layerDigest": digest}
    )


def batch_check_layer_availability(self: ECRResponse) -> ActionResult:
    repository = repository_of(self)
    store = store_of(repository)
    layers, failures = [], []
    with store.lock:
        for digest in self._get_param("layerDigests") or []:
            if digest in store.layers:
                layers.append({"layerDigest": digest, "layerAvailability": "AVAILABLE", "layerSize": len(store.layers[digest])})
            else:
                failures.append({"layerDigest": digest, "failureCode": "MissingLayerDigest", "failureReason": "Could not find layer"})
    return ActionResult({"layers": layers, "failures": failures})


def get_download_url_for_layer(self: ECRResponse) -> ActionResult:
    repository = repository_of(self)
    store = store_of(repository)
    digest = self._get_param("layerDigest")
    with store.lock:
        known = digest in store.layers
    if not known or digest not in referenced_digests(repository):
        raise AwsJsonError(
            "LayersNotFoundException",
            f"The layer {digest} is not in the repository '{repository.name}' of registry '{repository.registry_id}', "
            "or no image of the repository references it",
        )
    origin = urlparse(self.uri)
    url = f"{origin.scheme}://{origin.netloc}{LAYERS_PATH}{repository.registry_id}/{repository.region_name}/{repository.name}/{digest}"
    return ActionResult({"downloadUrl": url, "layerDigest": digest})


def layer_bytes(path: str) -> bytes | None:
    """The layer `/pipewright/ecr-layers/<account>/<region>/<repository>/<digest>` names, or None."""
    account, _, rest = path.removeprefix(LAYERS_PATH).partition("/")
    region, _, rest = rest.partition("/")
    name, _, digest = rest.rpartition("/")
    try:
        repository = ecr_backends[account][region].repositories.get(name)
    except KeyError:
        return None
    if repository is None:
        return None
    store = store_of(repository)
    with store.lock:
        return store.layers.get(digest)


def manifest_digest(self: Image) -> None:
    self._image_digest = sha256_digest(self.image_manifest.encode())


def install() -> None:
    ECRResponse.initiate_layer_upload = initiate_layer_upload
    ECRResponse.upload_layer_part = upload_layer_part
    ECRResponse.complete_layer_upload = complete_layer_upload
    ECRResponse.batch_check_layer_availability = batch_check_layer_availability
    ECRResponse.get_download_url_for_layer = get_download_url_for_layer
    Image._create_digest = manifest_digest

    put_image = ECRBackend.put_image

    def put_image_answering_errors(
        self: ECRBackend,
        repository_name: str,
        image_manifest: str,
        image_tag: str,
        image_manifest_mediatype: str | None = None,
        digest: str | None = None,
    ) -> Image:
        repository = self.repositories.get(repository_name)
        if repository is None:
            raise RepositoryNotFoundException(repository_name, self.account_id)
        try:
            json.loads(image_manifest)
        except json.JSONDecodeError:
            raise InvalidParameterException("Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'") from None
        if image_tag and repository.image_tag_mutability == RepoTagMutability.IMMUTABLE:
            if any(image_tag in image.image_tags and image.image_manifest != image_manifest for image in repository.images):
                raise AwsJsonError(
                    "ImageTagAlreadyExistsException",
                    f"The image tag '{image_tag}' already exists in the '{repository_name}' repository and cannot be overwritten "
                    "because the repository is immutable.",
                )
        return put_image(self, repository_name, image_manifest, image_tag, image_manifest_mediatype, digest)

    ECRBackend.put_image = put_image_answering_errors
