"""Bucket policies evaluated with the caller and the request's context.

Before an object call, moto asks the bucket policy about it with no caller
and no request context: a statement applied to every principal, whoever it
named, and a condition on the request (the artifact bucket's "deny puts not
encrypted with the platform key", StringNotEqualsIfExists on
s3:x-amz-server-side-encryption[-aws-kms-key-id]) held whatever the
headers, so every PutObject was refused. moto also asked as `s3:PutObject`
for any PUT and `s3:HeadObject` for HEAD. Here, with IAM checks on, the
bucket policy is evaluated for the object action the request stands for,
with the caller as principal and the context iam_context builds (the SSE
headers of a put included), and a refusal is answered as S3 answers one
(AccessDenied in XML), not with moto's empty 403.
"""

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.s3.exceptions import S3AccessDeniedError
from moto.s3.models import FakeBucket
from moto.s3.responses import ACTION_MAP, S3Response

import iam_checks
import iam_context
from iam_conditions import Context


@dataclass(frozen=True)
class ObjectRequest:
    action: str
    # The caller's ARN as a bucket policy's Principal is matched against; None if unknown.
    principal: str | None
    context: Context


# What moto answers when the bucket policy refuses an object call: no body, which the SDKs cannot name.
BARE_REFUSAL = (403, {}, "")

# The object request being answered on this thread, while moto checks the bucket policy.
CURRENT: ContextVar[ObjectRequest | None] = ContextVar("s3_object_request", default=None)


def object_action(method: str, query: dict[str, Any]) -> str:
    """The IAM action of an object call, as moto names it when it checks the caller's identity policies."""
    actions = ACTION_MAP["KEY"].get(method, {})
    named = [action for parameter, action in actions.items() if parameter in query]
    return f"s3:{named[-1] if named else actions.get('DEFAULT', method.capitalize() + 'Object')}"


def object_request(response: S3Response, request: Any, full_url: str) -> ObjectRequest:
    action = object_action(request.method, parse_qs(urlparse(full_url).query, keep_blank_values=True))
    access_key = iam_context.access_key_of(request.headers, response.current_account, response.region)
    context: dict[str, tuple[str, ...]] = dict(iam_context.SECURE_TRANSPORT)
    if access_key is not None:
        context.update(iam_context.principal_keys(access_key))
    if action == "s3:PutObject":
        context.update(iam_context.sse_keys(request.headers))
    return ObjectRequest(action, access_key.arn if access_key is not None else None, context)


def get_permission(
    self: FakeBucket, action: str, resource: str, principal: str | None = None, context: Context | None = None
) -> PermissionResult:
    """The bucket policy's answer; callers that know the request pass its principal and context."""
    if self.policy is None:
        return PermissionResult.NEUTRAL
    current = CURRENT.get()
    if principal is None and current is not None:
        action, principal, context = current.action, current.principal, current.context
    return IAMPolicy(self.policy.decode()).is_action_permitted(action, resource, principal, context)


def install() -> None:
    key_response = S3Response._key_response

    def key_response_with_context(self: S3Response, request: Any, full_url: str) -> Any:
        if not iam_checks.auth_enforced():
            return key_response(self, request, full_url)
        token = CURRENT.set(object_request(self, request, full_url))
        try:
            response = key_response(self, request, full_url)
        finally:
            CURRENT.reset(token)
        if response == BARE_REFUSAL:
            raise S3AccessDeniedError()
        return response

    S3Response._key_response = key_response_with_context
    FakeBucket.get_permission = get_permission
