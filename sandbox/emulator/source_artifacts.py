"""Source artifacts that a simulated pipeline execution leaves in S3.

Real CodePipeline zips each source action's output into the pipeline's
artifact bucket under `<pipeline name[:20]>/<artifact name[:10]>/<7 random
alphanumerics>`, and never deletes it. Writing an object with that key lets
tests check that artifact clean-up finds and removes what a run left behind.
"""

import random
import string
from typing import Any

from moto.s3.exceptions import MissingBucket
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

# An empty but valid ZIP archive (end-of-central-directory record only): source
# artifacts are CODE_ZIP archives, so consumers may open what they download.
EMPTY_ZIP = b"PK\x05\x06" + b"\x00" * 18

KEY_SUFFIX_ALPHABET = string.ascii_letters + string.digits


def artifact_key(pipeline_name: str, artifact_name: str) -> str:
    suffix = "".join(random.choices(KEY_SUFFIX_ALPHABET, k=7))
    return f"{pipeline_name[:20]}/{artifact_name[:10]}/{suffix}"


def artifact_store_for(pipeline: dict[str, Any], region: str) -> dict[str, Any] | None:
    """The store CodePipeline writes to: per Region for cross-Region pipelines."""
    regional_stores = pipeline.get("artifactStores") or {}
    return regional_stores.get(region) or pipeline.get("artifactStore")


def put_source_artifact(
    account_id: str, region: str, pipeline: dict[str, Any], artifact_name: str
) -> dict[str, str] | None:
    """Store one output artifact and return its S3 location.

    Returns None when the pipeline names no S3 store or the bucket does not
    exist: an emulated run must not fail just because a test skipped S3.
    """
    store = artifact_store_for(pipeline, region)
    if not store or store.get("type", "S3") != "S3" or not store.get("location"):
        return None
    bucket = store["location"]
    key = artifact_key(pipeline["name"], artifact_name)
    # CodePipeline encrypts artifacts with the store's KMS key when one is set.
    kms_key_id = (store.get("encryptionKey") or {}).get("id")
    try:
        s3_backends[account_id][get_partition(region)].put_object(
            bucket,
            key,
            EMPTY_ZIP,
            encryption="aws:kms" if kms_key_id else None,
            kms_key_id=kms_key_id,
        )
    except MissingBucket:
        return None
    return {"bucket": bucket, "key": key}
