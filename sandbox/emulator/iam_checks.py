"""moto's IAM checks, made to work with least-privilege policies.

With INITIAL_NO_AUTH_ACTION_COUNT reached (the sandbox switches it on through
`POST /moto-api/reset-auth`), moto checks every request against the caller's
identity policies. Out of the box that cannot work for pipewright's roles:

1. Most services authorize against the resource "*", so a statement that
   names ARNs (every statement pipewright writes) never matches and every
   call is denied. Here the actions pipewright's functions make are checked
   against their real resource ARN (CodePipeline: the pipeline, or for
   PutApprovalResult the action, pipeline/stage/action; Secrets Manager, DynamoDB,
   CloudFormation, SNS, CloudWatch Logs, and IAM CreateRole; moto already
   does S3, SQS, STS and the IAM calls on an existing role; EventBridge
   PutEvents: event_bus_policies; ECR: ecr_repositories).
2. A trust policy naming a role ARN is compared with the caller's
   assumed-role session ARN, which never equal, and a Service principal in a
   trust policy raises a TypeError (HTTP 500). Here a session matches the
   role it belongs to, and an account root matches any principal of its
   account, as in AWS.
3. AssumeRole of a role in another account skipped the trust policy: moto
   looked the role up in the caller's account. Here the role is looked up in
   its own account and its trust policy must allow the caller, besides the
   caller's identity policies allowing sts:AssumeRole on the role's ARN; a
   role that does not exist cannot be assumed, as in AWS.
4. CreatePipeline/UpdatePipeline do not check the `iam:PassRole` (pipeline
   role, with `iam:PassedToService` codepipeline.amazonaws.com) and
   `PassConnection` (CodeConnections source) that AWS requires.
5. A denial is answered in XML even by JSON-protocol services, which the SDKs
   cannot parse; those get `AccessDeniedException` in JSON, as from AWS.
6. The signature check takes the query string as the web server re-encoded
   it (`/` unescaped, for one), so a correctly signed
   `ListObjectVersions?prefix=a/b` fails with SignatureDoesNotMatch. The
   query is put back into SigV4's canonical encoding first.
7. A statement whose condition does not hold, or whose principal is someone
   else, counts as a Deny instead of not applying. Such statements now do
   not apply. Conditions are evaluated with the request's context
   (iam_context) as iam_conditions describes.

Still not checked: conditions on keys outside iam_conditions.MODELLED_KEYS
(those hold), resource-based policies other than bucket, event bus and ECR
repository policies (queue, key, Lambda: the sandbox runtime checks Lambda's itself),
NotResource, permission boundaries and SCPs.
"""

import math
from typing import Any
from urllib.parse import quote, unquote, urlparse, urlunparse

from moto import settings
from moto.cloudformation.responses import CloudFormationResponse
from moto.codepipeline.responses import CodePipelineResponse
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import AccessDeniedError
from moto.dynamodb.responses import DynamoHandler
from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, IAMRequest, IAMRequestBase, PermissionResult
from moto.iam.exceptions import NotFoundException
from moto.iam.models import iam_backends
from moto.iam.responses import IamResponse
from moto.iam.utils import REQUIRE_RESOURCE_ACCESS_POLICIES_CHECK
from moto.logs.responses import LogsResponse
from moto.secretsmanager.models import secretsmanager_backends
from moto.secretsmanager.responses import SecretsManagerResponse
from moto.sns.responses import SNSResponse
from moto.utilities.utils import get_partition

import iam_context
import pipeline_api
from aws_errors import AwsJsonError
from iam_conditions import Context

CONNECTION_PASS_ACTIONS = ("codestar-connections:PassConnection", "codeconnections:PassConnection")
TAGGING_ACTIONS = ("TagResource", "UntagResource", "ListTagsForResource")
# What CodePipeline's CreatePipeline/UpdatePipeline pass the pipeline role to.
PIPELINE_PASS_CONTEXT: Context = {"iam:passedtoservice": ("codepipeline.amazonaws.com",)}
LOG_STREAM_ACTIONS = ("CreateLogStream", "PutLogEvents")
# AWS names the log group as `log-group:<name>:log-stream:` (an empty stream) for these.
LOG_GROUP_ACTIONS = ("CreateLogGroup", "DescribeLogStreams")


def regional_arn(response: Any, service: str, resource: str) -> str:
    return f"arn:{get_partition(response.region)}:{service}:{response.region}:{response.current_account}:{resource}"


def codepipeline_resource(self: Any) -> str:
    if self._get_action() in TAGGING_ACTIONS:
        return self._get_param("resourceArn") or "*"
    name = self._get_param("name") or self._get_param("pipelineName") or (self._get_param("pipeline") or {}).get("name")
    if not name:
        return "*"
    stage, action = self._get_param("stageName"), self._get_param("actionName")
    # A call on one action (PutApprovalResult) is authorized on the action: <pipeline>/<stage>/<action>.
    return regional_arn(self, "codepipeline", f"{name}/{stage}/{action}" if stage and action else name)


def secretsmanager_resource(self: Any) -> str:
    secret_id = self._get_param("SecretId")
    if not secret_id:
        return "*"
    secret = secretsmanager_backends[self.current_account][self.region].secrets.get(secret_id)
    if secret is not None:
        return secret.arn
    return secret_id if secret_id.startswith("arn:") else regional_arn(self, "secretsmanager", f"secret:{secret_id}")


def dynamodb_resource(self: Any) -> str:
    table = self._get_param("TableName")
    return regional_arn(self, "dynamodb", f"table/{table}") if table else "*"


def cloudformation_resource(self: Any) -> str:
    stack = self._get_param("StackName")
    if not stack:
        return "*"
    # A stack ARN ends in its id; a name matches policies written as stack/<name>/*.
    return stack if stack.startswith("arn:") else regional_arn(self, "cloudformation", f"stack/{stack}/*")


def sns_resource(self: Any) -> str:
    # Publish names TopicArn or TargetArn; the topic actions name TopicArn.
    return self._get_param("TopicArn") or self._get_param("TargetArn") or "*"


def iam_role_resource(self: Any) -> str:
    """The role a call names; moto gave "*" for a role that does not exist yet (CreateRole)."""
    role_name = iam_context.parameter(self.data, "RoleName")
    if not role_name:
        return "*"
    try:
        return self.backend.get_role(role_name).arn
    except NotFoundException:
        path = (iam_context.parameter(self.data, "Path") if self._get_action() == "CreateRole" else None) or "/"
        return f"arn:{get_partition(self.region)}:iam::{self.current_account}:role{path}{role_name}"


def logs_resource(self: Any) -> str:
    action = self._get_action()
    group = self._get_param("logGroupName")
    identifier = self._get_param("logGroupIdentifier")
    if not group and identifier:
        # A name, or an ARN: arn:<partition>:logs:<region>:<account>:log-group:<name>[:*]
        group = identifier.split(":log-group:", 1)[1].split(":")[0] if ":log-group:" in identifier else identifier
    if not group:
        return "*"
    group_arn = regional_arn(self, "logs", f"log-group:{group}")
    if action in LOG_STREAM_ACTIONS:
        stream = self._get_param("logStreamName")
        return f"{group_arn}:log-stream:{stream}" if stream else "*"
    if action in LOG_GROUP_ACTIONS:
        return f"{group_arn}:log-stream:"
    return "*"


def session_of_role(caller_arn: str, role_arn: str) -> bool:
    """arn:aws:sts::A:assumed-role/NAME/SESSION is a session of arn:aws:iam::A:role/[path/]NAME."""
    caller, role = caller_arn.split(":"), role_arn.split(":")
    if len(caller) < 6 or len(role) < 6 or caller[2] != "sts" or role[2] != "iam" or caller[4] != role[4]:
        return False
    session = caller[5].split("/")
    return session[0] == "assumed-role" and len(session) >= 2 and role[5].startswith("role/") and role[5].split("/")[-1] == session[1]


def account_root_matches(principal: str, caller_arn: str) -> bool:
    """"123456789012" and arn:...:iam::123456789012:root name every principal of that account."""
    caller_account = caller_arn.split(":")[4] if caller_arn.count(":") >= 5 else ""
    if principal.isdigit():
        return principal == caller_account
    parts = principal.split(":")
    return len(parts) == 6 and parts[2] == "iam" and parts[5] == "root" and parts[4] == caller_account


def check_principal(self: Any, principal: str) -> bool:
    expected = self._statement.get("Principal")
    if not expected or expected == "*":
        return True
    aws = expected.get("AWS") if isinstance(expected, dict) else None
    if aws is None:
        # Service and federated principals: no caller with credentials is one of them.
        return False
    for candidate in [aws] if isinstance(aws, str) else aws:
        if candidate in ("*", principal) or session_of_role(principal, candidate) or account_root_matches(candidate, principal):
            return True
    return False


def identity_permission(request: IAMRequestBase, action: str, resource: str, context: Context) -> PermissionResult:
    """What the caller's identity policies say about `action` on `resource`: a Deny wins."""
    permitted = False
    for policy in request._access_key.collect_policies():
        result = IAMPolicy(policy).is_action_permitted(action, resource, None, context)
        if result == PermissionResult.DENIED:
            return result
        permitted = permitted or result == PermissionResult.PERMITTED
    return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL


def resource_policy_refusal(
    caller: IAMRequestBase, action: str, resource: str, owner: str | None, policy: str | None, context: Context
) -> str | None:
    """Why the caller may not do `action` on `resource` (owned by account `owner`, under resource policy
    `policy`), in AWS's words, or None when it may.

    An explicit Deny in either policy refuses. Otherwise the identity policies must allow, and for a caller
    of another account than the owner the resource policy must allow too (a same-account resource policy
    naming the caller does not stand in for a missing identity Allow here).
    """
    caller_arn = caller._access_key.arn
    refused = f"User: {caller_arn} is not authorized to perform: {action} on resource: {resource}"
    identity = identity_permission(caller, action, resource, context)
    if identity == PermissionResult.DENIED:
        return f"{refused} with an explicit deny in an identity-based policy"
    resource_policy = IAMPolicy(policy).is_action_permitted(action, resource, caller_arn, context) if policy else PermissionResult.NEUTRAL
    if resource_policy == PermissionResult.DENIED:
        return f"{refused} with an explicit deny in a resource-based policy"
    if identity != PermissionResult.PERMITTED:
        return f"{refused} because no identity-based policy allows the {action} action"
    if owner != caller._access_key.account_id and resource_policy != PermissionResult.PERMITTED:
        return f"{refused} because no resource-based policy allows the {action} action"
    return None


def role_in_its_account(role_arn: str) -> Any:
    """The role an ARN names, looked up in the role's own account (not the caller's), or None."""
    parts = role_arn.split(":")
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        return None
    account = parts[4]
    if len(account) != 12 or not account.isdigit():
        return None
    try:
        return iam_backends[account][parts[1]].get_role_by_arn(role_arn)
    except NotFoundException:
        return None


def role_trusts(request: IAMRequestBase, role_arn: str, context: Context) -> bool:
    role = role_in_its_account(role_arn)
    if role is None:
        return False
    trust = IAMPolicy(role.assume_role_policy_document)
    return trust.is_action_permitted(request._action, role_arn, request._access_key.arn, context) == PermissionResult.PERMITTED


def check_action_permitted(self: IAMRequestBase, resource: str, extra: Context | None = None) -> None:
    """moto's check with the request's context, and AssumeRole trust-checked in the role's own account."""
    if self._action == "sts:GetCallerIdentity":
        # Always allowed, even with an explicit Deny, as in AWS.
        return
    context = iam_context.of_request(self, extra)
    permitted = identity_permission(self, self._action, resource, context) == PermissionResult.PERMITTED
    if permitted and self._action in REQUIRE_RESOURCE_ACCESS_POLICIES_CHECK:
        permitted = role_trusts(self, resource, context)
    if not permitted:
        self._raise_access_denied()


def json_protocol(headers: Any) -> bool:
    return "X-Amz-Target" in headers or "application/x-amz-json" in headers.get("Content-Type", "")


def check_action_permitted_answering_json(self: Any, resource: str) -> None:
    try:
        check_action_permitted(self, resource)
    except AccessDeniedError:
        if not json_protocol(self._headers):
            raise
        raise AwsJsonError(
            "AccessDeniedException",
            f"User: {self._access_key.arn} is not authorized to perform: {self._action} on resource: {resource} "
            "because no identity-based policy allows the action",
        ) from None


def canonical_query(query: str) -> str:
    """Each key and value percent-encoded as SigV4 requires (only A-Z a-z 0-9 - _ . ~ left as is)."""
    pairs = (pair.partition("=") for pair in query.split("&") if pair)
    return "&".join(f"{quote(unquote(k), safe='-_.~')}={quote(unquote(v), safe='-_.~')}" for k, _, v in pairs)


create_aws_request = IAMRequestBase._create_aws_request


def create_aws_request_with_canonical_query(self: Any) -> Any:
    request = create_aws_request(self)
    url = urlparse(request.url)
    if url.query:
        request.url = urlunparse(url._replace(query=canonical_query(url.query)))
    return request


def statement_applies(
    self: Any, action: str, resource: str = "*", principal: str | None = None, context: Context | None = None
) -> PermissionResult:
    """moto's IAMPolicyStatement.is_action_permitted, with statements that do not apply left NEUTRAL."""
    if "NotAction" in self._statement:
        concerned = not self._check_element_matches("NotAction", action)
    else:
        concerned = self._check_element_matches("Action", action)
    if not concerned or self.is_unknown_principal(self._statement.get("Principal")):
        return PermissionResult.NEUTRAL
    if principal and not self._check_principal(principal):
        return PermissionResult.NEUTRAL
    if not self._check_conditions(iam_context.SECURE_TRANSPORT if context is None else context):
        return PermissionResult.NEUTRAL
    # Trust policies name no resource.
    if self._statement.get("Resource") and not self._check_element_matches("Resource", resource):
        return PermissionResult.NEUTRAL
    return PermissionResult.PERMITTED if self._statement["Effect"] == "Allow" else PermissionResult.DENIED


def auth_enforced() -> bool:
    limit = settings.INITIAL_NO_AUTH_ACTION_COUNT
    return not math.isinf(limit) and ActionAuthenticatorMixin.request_count >= limit


def request_of(response: Any, request_class: type[IAMRequestBase] = IAMRequest, action: str = "") -> Any:
    """moto's IAM view of the request a response handler is answering."""
    url = urlparse(response.uri)
    return request_class(
        account_id=response.current_account,
        method=response.method,
        path=url.path + (f"?{url.query}" if url.query else ""),
        data=response.data,
        body=response.raw_body,
        headers=response.headers,
        action=action,
    )


def caller_may(response: Any, action: str, resource: str, extra: Context | None = None) -> tuple[bool, str]:
    """Whether the caller's identity policies allow `action` on `resource`, and the caller's ARN."""
    request = request_of(response, IAMRequest, action.split(":", 1)[1])
    request._action = action
    try:
        check_action_permitted(request, resource, extra)
    except AccessDeniedError:
        return False, request._access_key.arn
    return True, request._access_key.arn


def require(response: Any, actions: tuple[str, ...], resource: str, extra: Context | None = None) -> None:
    """AccessDeniedException unless the caller may do one of `actions` on `resource`."""
    caller = ""
    for action in actions:
        allowed, caller = caller_may(response, action, resource, extra)
        if allowed:
            return
    raise AwsJsonError(
        "AccessDeniedException",
        f"User: {caller} is not authorized to perform: {actions[0]} on resource: {resource}",
    )


def require_pipeline_passes(response: Any) -> None:
    """What CreatePipeline/UpdatePipeline hand to CodePipeline: its role and its connections."""
    if not auth_enforced():
        return
    pipeline = response._get_param("pipeline") or {}
    if pipeline.get("roleArn"):
        require(response, ("iam:PassRole",), pipeline["roleArn"], PIPELINE_PASS_CONTEXT)
    for stage in pipeline.get("stages") or []:
        for action in stage.get("actions") or []:
            connection = (action.get("configuration") or {}).get("ConnectionArn")
            if connection:
                require(response, CONNECTION_PASS_ACTIONS, connection)


def install() -> None:
    CodePipelineResponse._determine_resource = codepipeline_resource
    SecretsManagerResponse._determine_resource = secretsmanager_resource
    DynamoHandler._determine_resource = dynamodb_resource
    CloudFormationResponse._determine_resource = cloudformation_resource
    SNSResponse._determine_resource = sns_resource
    IamResponse._determine_resource = iam_role_resource
    LogsResponse._determine_resource = logs_resource
    IAMPolicyStatement._check_principal = check_principal
    IAMPolicyStatement.is_action_permitted = statement_applies
    IAMRequestBase.check_action_permitted = check_action_permitted
    IAMRequest.check_action_permitted = check_action_permitted_answering_json
    IAMRequestBase._create_aws_request = create_aws_request_with_canonical_query

    emulated = pipeline_api.EmulatedCodePipelineResponse
    create, update = emulated.create_pipeline, CodePipelineResponse.update_pipeline

    def create_pipeline(self: Any) -> str:
        require_pipeline_passes(self)
        return create(self)

    def update_pipeline(self: Any) -> str:
        require_pipeline_passes(self)
        return update(self)

    emulated.create_pipeline = create_pipeline
    emulated.update_pipeline = update_pipeline
