"""ListObjectVersions with a prefix, without copying the whole bucket.

moto's list_object_versions deep-copies every version of every key in the
bucket (values included) and sorts them all, and only then drops the keys
outside the prefix. The artifact bucket gains an object per pipeline run,
and closing a pull request lists the versions of each of its artifact keys
(prefix = the exact key), so the work grew with the square of the bucket's
size: a burst of closes kept the emulator busy for seconds. Here only the
keys under the prefix are handed to moto's listing, which gives the same
answer (it filters by prefix itself, and pagination markers are keys under
the prefix).
"""

import copy
from typing import Any

from moto.s3.models import S3Backend
from moto.s3.utils import _VersionedKeyStore


def install() -> None:
    list_object_versions = S3Backend.list_object_versions

    def list_versions_under_prefix(
        self: S3Backend,
        bucket_name: str,
        delimiter: str | None = None,
        key_marker: str | None = None,
        max_keys: int | None = 1000,
        prefix: str = "",
        version_id_marker: str | None = None,
    ) -> Any:
        if prefix:
            bucket = self.get_bucket(bucket_name)
            keys = _VersionedKeyStore()
            for name, versions in list(bucket.keys.iterlists()):
                if name.startswith(prefix):
                    keys.setlist(name, versions)
            # Shallow copies: the shared bucket and backend are never changed.
            view = copy.copy(bucket)
            view.keys = keys
            backend = copy.copy(self)
            backend.get_bucket = lambda _name: view  # type: ignore[method-assign]
            self = backend
        return list_object_versions(self, bucket_name, delimiter, key_marker, max_keys, prefix, version_id_marker)

    S3Backend.list_object_versions = list_versions_under_prefix
