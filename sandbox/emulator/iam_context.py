"""The request context: the values of the condition keys the emulator models, per request.

iam_conditions.MODELLED_KEYS lists the keys; this module says when AWS puts
each one in a request's context and with what value (Service Authorization
Reference, IAM User Guide "AWS global condition context keys"):

- every request: `aws:SecureTransport` "true" (the emulator stands in for
  AWS's HTTPS endpoints), `aws:PrincipalArn` (a user's ARN; for a role
  session the role's ARN, path included, not the session's),
  `aws:PrincipalAccount`;
- sts:AssumeRole: `sts:ExternalId` when the request names one;
- iam:CreateRole, iam:PutRolePermissionsBoundary, iam:CreateUser,
  iam:PutUserPermissionsBoundary: `iam:PermissionsBoundary`, the boundary
  the request sets; iam:PutRolePolicy, iam:AttachRolePolicy,
  iam:DetachRolePolicy, iam:DeleteRolePolicy,
  iam:DeleteRolePermissionsBoundary: the boundary the role has (absent when
  it has none);
- iam:Attach/Detach(Role|User|Group)Policy: `iam:PolicyARN`;
- s3:PutObject (PutObject, CopyObject, CreateMultipartUpload):
  `s3:x-amz-server-side-encryption` and
  `s3:x-amz-server-side-encryption-aws-kms-key-id` from the request headers;
- `iam:PassedToService` and `events:source`/`events:detail-type` are added
  where the emulator makes those checks (iam_checks, event_bus_policies).

A context maps lower-case key names to tuples of values.
"""

from typing import Any

from moto.iam.access_control import (
    AssumedRoleAccessKey,
    CreateAccessKeyFailure,
    IAMRequestBase,
    IAMUserAccessKey,
    create_access_key,
)
from moto.iam.exceptions import NotFoundException
from moto.utilities.utils import get_partition

from iam_conditions import Context

BOUNDARY_SET_BY_REQUEST = frozenset(
    ("iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:CreateUser", "iam:PutUserPermissionsBoundary")
)
BOUNDARY_OF_ROLE = frozenset(
    (
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:DetachRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:DeleteRolePermissionsBoundary",
    )
)
POLICY_ARN_ACTIONS = frozenset(
    f"iam:{verb}{entity}Policy" for verb in ("Attach", "Detach") for entity in ("Role", "User", "Group")
)
SSE_HEADERS = {
    "s3:x-amz-server-side-encryption": "x-amz-server-side-encryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id": "x-amz-server-side-encryption-aws-kms-key-id",
}
SECURE_TRANSPORT: Context = {"aws:securetransport": ("true",)}


def parameter(data: Any, name: str) -> str | None:
    """A request parameter: query-protocol parameters come as lists of strings."""
    value = data.get(name) if isinstance(data, dict) else None
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) and value else None


def principal_arn(access_key: IAMUserAccessKey | AssumedRoleAccessKey) -> str:
    """What aws:PrincipalArn holds: the user, or the role a session belongs to."""
    backend = access_key.backend
    if isinstance(access_key, AssumedRoleAccessKey):
        name = access_key._owner_role_name
        try:
            return backend.get_role(name).arn
        except NotFoundException:
            return f"arn:{access_key.partition}:iam::{access_key.account_id}:role/{name}"
    user = backend.users.get(access_key._owner_user_name)
    return user.arn if user is not None else access_key.arn


def principal_keys(access_key: IAMUserAccessKey | AssumedRoleAccessKey) -> dict[str, tuple[str, ...]]:
    return {
        **SECURE_TRANSPORT,
        "aws:principalarn": (principal_arn(access_key),),
        "aws:principalaccount": (access_key.account_id,),
    }


def role_boundary(request: IAMRequestBase, role_name: str | None) -> str | None:
    if not role_name:
        return None
    try:
        return request.backend.get_role(role_name).permissions_boundary_arn
    except NotFoundException:
        return None


def sse_keys(headers: Any) -> dict[str, tuple[str, ...]]:
    return {key: (headers[header],) for key, header in SSE_HEADERS.items() if headers.get(header)}


def action_keys(request: IAMRequestBase) -> dict[str, tuple[str, ...]]:
    action, data = request._action, request._data
    values: dict[str, str | None] = {}
    if action in BOUNDARY_SET_BY_REQUEST:
        values["iam:permissionsboundary"] = parameter(data, "PermissionsBoundary")
    elif action in BOUNDARY_OF_ROLE:
        values["iam:permissionsboundary"] = role_boundary(request, parameter(data, "RoleName"))
    if action in POLICY_ARN_ACTIONS:
        values["iam:policyarn"] = parameter(data, "PolicyArn")
    if action == "sts:AssumeRole":
        values["sts:externalid"] = parameter(data, "ExternalId")
    keys = {key: (value,) for key, value in values.items() if value}
    if action == "s3:PutObject":
        keys.update(sse_keys(request._headers))
    return keys


def of_request(request: IAMRequestBase, extra: Context | None = None) -> dict[str, tuple[str, ...]]:
    """The context of an authenticated request, plus `extra` keys the caller knows of."""
    return {**principal_keys(request._access_key), **action_keys(request), **(extra or {})}


def access_key_of(headers: Any, account_id: str, region: str) -> IAMUserAccessKey | AssumedRoleAccessKey | None:
    """The caller behind a SigV4 Authorization header, or None (moto's own check then refuses it)."""
    credential = headers.get("Authorization", "").partition("Credential=")[2].partition("/")[0]
    if not credential:
        return None
    try:
        return create_access_key(account_id, get_partition(region), credential, headers)
    except CreateAccessKeyFailure:
        return None

