"""S3 DeleteObjects (multi-object delete) authorized per object, as in AWS.

With IAM checks on, moto authorizes DeleteObjects once, as s3:DeleteObject
on the bucket's ARN. AWS checks each object: s3:DeleteObject on
`arn:aws:s3:::<bucket>/<key>`, or s3:DeleteObjectVersion when a version is
named. So a role allowed exactly what AWS requires (delete on `<bucket>/*`)
had every object refused. Here each object is checked against the caller's
identity policies and the bucket policy; refused objects are reported in
`Errors`, the others deleted. The bucket policy is asked with the caller and
the request's context (s3_bucket_policies).
"""

from typing import Any

import xmltodict
from moto.core.common_types import TYPE_RESPONSE
from moto.core.responses import ActionResult
from moto.iam.access_control import PermissionResult, S3IAMRequest
from moto.s3.exceptions import BucketAccessDeniedError, MalformedXML, S3AccessDeniedError
from moto.s3.responses import S3Response
from moto.utilities.utils import get_partition

import iam_checks
import iam_context


def caller_request(response: Any) -> S3IAMRequest:
    """The caller, authenticated (signature checked) as moto does for every S3 call."""
    request = iam_checks.request_of(response, S3IAMRequest, "DeleteObject")
    request.check_signature()
    return request


def identity_allows(request: S3IAMRequest, action: str, resource: str) -> bool:
    request._action = action
    try:
        iam_checks.check_action_permitted(request, resource)
    except (BucketAccessDeniedError, S3AccessDeniedError):
        return False
    return True


def delete_keys_per_object(self: Any, bucket_name: str) -> TYPE_RESPONSE:
    objects = xmltodict.parse(self.body, strip_whitespace=False)["Delete"].get("Object", [])
    objects = objects if isinstance(objects, list) else [objects]
    if not objects:
        raise MalformedXML()
    bypass_retention = self.headers.get("x-amz-bypass-governance-retention", "").lower() == "true"
    caller = caller_request(self)
    context = iam_context.of_request(caller)
    bucket = self.backend.get_bucket(bucket_name)
    partition = get_partition(self.region)
    allowed, refused = [], []
    for obj in objects:
        resource = f"arn:{partition}:s3:::{bucket_name}/{obj['Key']}"
        action = "s3:DeleteObjectVersion" if obj.get("VersionId") else "s3:DeleteObject"
        bucket_policy = bucket.get_permission(action, resource, caller._access_key.arn, context)
        permitted = identity_allows(caller, action, resource) and bucket_policy != PermissionResult.DENIED
        (allowed if permitted else refused).append(obj)
    deleted, locked = self.backend.delete_objects(bucket_name, allowed, bypass_retention) if allowed else ([], [])
    errors = [{"Key": o["Key"], "Code": "AccessDenied", "Message": "Access Denied"} for o in refused]
    errors += [{"Key": k, "Code": "AccessDenied", "Message": "Access Denied because object protected by object lock."} for k in locked]
    self.data["Action"] = "DeleteObjects"
    return self.serialized(
        ActionResult(
            {
                "Deleted": [
                    {"Key": k, "VersionId": v or None, "DeleteMarkerVersionId": dv or None, "DeleteMarker": True if dv else None}
                    for k, v, dv in deleted
                ],
                "Errors": errors,
            }
        )
    )


def install() -> None:
    bucket_response_post = S3Response._bucket_response_post

    def bucket_response_post_per_object(self: Any, request: Any, bucket_name: str) -> TYPE_RESPONSE:
        self.path = self._get_path(request)
        if iam_checks.auth_enforced() and self.is_delete_keys() and request.headers.get("Content-Length"):
            return delete_keys_per_object(self, bucket_name)
        return bucket_response_post(self, request, bucket_name)

    S3Response._bucket_response_post = bucket_response_post_per_object
