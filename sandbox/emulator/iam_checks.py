"""moto's IAM checks, made to work with least-privilege policies.

With INITIAL_NO_AUTH_ACTION_COUNT reached (the sandbox switches it on through
`POST /moto-api/reset-auth`), moto checks every request against the caller's
identity policies. Out of the box that cannot work for pipewright's roles:

1. Most services authorize against the resource "*", so a statement that
   names ARNs (every statement pipewright writes) never matches and every
   call is denied. Here the actions pipewright's functions make are checked
   against their real resource ARN (CodePipeline, Secrets Manager,
   EventBridge, DynamoDB, CloudFormation, SNS; moto already does S3, SQS,
   STS, IAM).
2. A trust policy naming a role ARN is compared with the caller's
   assumed-role session ARN, which never equal, and a Service principal in a
   trust policy raises a TypeError (HTTP 500). Here a session matches the
   role it belongs to, and an account root matches any principal of its
   account, as in AWS.
3. CreatePipeline/UpdatePipeline do not check the `iam:PassRole` (pipeline
   role) and `PassConnection` (CodeConnections source) that AWS requires.
4. A denial is answered in XML even by JSON-protocol services, which the SDKs
   cannot parse; those get `AccessDeniedException` in JSON, as from AWS.
5. The signature check takes the query string as the web server re-encoded
   it (`/` unescaped, for one), so a correctly signed
   `ListObjectVersions?prefix=a/b` fails with SignatureDoesNotMatch. The
   query is put back into SigV4's canonical encoding first.
6. A statement whose condition does not hold, or whose principal is someone
   else, counts as a Deny instead of not applying; and a condition moto
   cannot evaluate (e.g. `Bool`) holds. So a bucket policy's "deny requests
   without TLS" statement denied every DeleteObjects. Such statements now
   do not apply, `Bool` is evaluated, and `aws:SecureTransport` is "true"
   (the emulator stands in for AWS's HTTPS endpoints).

Still not checked: conditions other than StringEquals and Bool, or on keys a
request does not carry (those hold), resource-based policies other than
bucket policies (queue, key, Lambda: the sandbox runtime checks Lambda's
itself), permission boundaries and SCPs.
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
from moto.events.responses import EventsHandler
from moto.iam.access_control import IAMPolicyStatement, IAMRequest, IAMRequestBase, PermissionResult
from moto.iam.policy_conditions import CONDITION_OPERATIONS
from moto.secretsmanager.models import secretsmanager_backends
from moto.secretsmanager.responses import SecretsManagerResponse
from moto.sns.responses import SNSResponse
from moto.utilities.utils import get_partition

import pipeline_api
from aws_errors import AwsJsonError

CONNECTION_PASS_ACTIONS = ("codestar-connections:PassConnection", "codeconnections:PassConnection")
TAGGING_ACTIONS = ("TagResource", "UntagResource", "ListTagsForResource")


def regional_arn(response: Any, service: str, resource: str) -> str:
    return f"arn:{get_partition(response.region)}:{service}:{response.region}:{response.current_account}:{resource}"


def codepipeline_resource(self: Any) -> str:
    if self._get_action() in TAGGING_ACTIONS:
        return self._get_param("resourceArn") or "*"
    name = self._get_param("name") or self._get_param("pipelineName") or (self._get_param("pipeline") or {}).get("name")
    return regional_arn(self, "codepipeline", name) if name else "*"


def secretsmanager_resource(self: Any) -> str:
    secret_id = self._get_param("SecretId")
    if not secret_id:
        return "*"
    secret = secretsmanager_backends[self.current_account][self.region].secrets.get(secret_id)
    if secret is not None:
        return secret.arn
    return secret_id if secret_id.startswith("arn:") else regional_arn(self, "secretsmanager", f"secret:{secret_id}")


def events_resource(self: Any) -> str:
    if self._get_action() != "PutEvents":
        return "*"
    entries = self._get_param("Entries") or [{}]
    bus = entries[0].get("EventBusName") or "default"
    return bus if bus.startswith("arn:") else regional_arn(self, "events", f"event-bus/{bus}")


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


# moto's own check, kept for caller_may(): the wrapper below changes only how a denial is answered.
check_action_permitted = IAMRequest.check_action_permitted


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


# What every request to the emulator stands for: a call to AWS over HTTPS.
REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def bool_operation(expected: Any, actual: str) -> bool:
    values = expected if isinstance(expected, list) else [expected]
    return str(actual).lower() in [str(v).lower() for v in values]


def statement_applies(self: Any, action: str, resource: str = "*", principal: str | None = None, incoming: Any = None) -> PermissionResult:
    """moto's IAMPolicyStatement.is_action_permitted, with statements that do not apply left NEUTRAL."""
    if "NotAction" in self._statement:
        concerned = not self._check_element_matches("NotAction", action)
    else:
        concerned = self._check_element_matches("Action", action)
    if not concerned or self.is_unknown_principal(self._statement.get("Principal")):
        return PermissionResult.NEUTRAL
    if principal and not self._check_principal(principal):
        return PermissionResult.NEUTRAL
    if not self._check_conditions({**REQUEST_CONTEXT, **(incoming or {})}):
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


def caller_may(response: Any, action: str, resource: str) -> tuple[bool, str]:
    """Whether the caller's identity policies allow `action` on `resource`, and the caller's ARN."""
    request = request_of(response, IAMRequest, action.split(":", 1)[1])
    request._action = action
    try:
        check_action_permitted(request, resource)
    except AccessDeniedError:
        return False, request._access_key.arn
    return True, request._access_key.arn


def require(response: Any, actions: tuple[str, ...], resource: str) -> None:
    """AccessDeniedException unless the caller may do one of `actions` on `resource`."""
    caller = ""
    for action in actions:
        allowed, caller = caller_may(response, action, resource)
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
        require(response, ("iam:PassRole",), pipeline["roleArn"])
    for stage in pipeline.get("stages") or []:
        for action in stage.get("actions") or []:
            connection = (action.get("configuration") or {}).get("ConnectionArn")
            if connection:
                require(response, CONNECTION_PASS_ACTIONS, connection)


def install() -> None:
    CodePipelineResponse._determine_resource = codepipeline_resource
    SecretsManagerResponse._determine_resource = secretsmanager_resource
    EventsHandler._determine_resource = events_resource
    DynamoHandler._determine_resource = dynamodb_resource
    CloudFormationResponse._determine_resource = cloudformation_resource
    SNSResponse._determine_resource = sns_resource
    IAMPolicyStatement._check_principal = check_principal
    IAMPolicyStatement.is_action_permitted = statement_applies
    CONDITION_OPERATIONS.setdefault("Bool", bool_operation)
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
