"""ECR repositories: calls reach the registry they name, and are authorized on the repository.

moto keeps each account's repositories apart and looks a repository up only
in the caller's account: a call naming another account's registry
(`registryId`, or the account in `resourceArn`) answered
RepositoryNotFoundException, so a target account's role could never pull
from the build account's repository. Here such a call reaches the named
account's registry (in the caller's Region).

With IAM checks on, moto checked every ECR call against the resource "*" and
never read repository policies. Here, as the Service Authorization Reference
and the ECR user guide ("Private repository policies") describe, a call on a
repository is authorized on the repository's ARN,
`arn:<partition>:ecr:<region>:<registry>:repository/<name>`
(DescribeRepositories: each name it gives, or `repository/*` when it gives
none; TagResource, UntagResource, ListTagsForResource: `resourceArn`), with
the repository policy as the resource-based policy
(iam_checks.resource_policy_refusal): an explicit Deny in it refuses; a
caller of another account needs an Allow in both its identity policies and
the repository policy. Calls on no repository (GetAuthorizationToken, the
registry settings) stay on "*". A refusal is AccessDeniedException in JSON,
naming the action and the repository, as ECR answers.

SetRepositoryPolicy refuses a policy naming an IAM role or user that does
not exist, as ECR does (`Invalid parameter at 'PolicyText' failed to satisfy
constraint: 'Principal not found'`), so a repository policy naming the
target accounts' pull roles can only be set once those roles exist.
"""

import json
import re
from json import JSONDecodeError
from typing import Any

from moto.ecr.exceptions import InvalidParameterException
from moto.ecr.models import ECR_REPOSITORY_ARN_PATTERN, ECRBackend, Repository, ecr_backends
from moto.ecr.responses import ECRResponse
from moto.iam.access_control import IAMRequest
from moto.iam.models import iam_backends
from moto.utilities.utils import get_partition

import iam_checks
import iam_context
from aws_errors import AwsJsonError

ACCOUNT_ID = re.compile(r"[0-9]{12}")
# The calls that name a repository by its ARN rather than by registry and name.
ARN_ACTIONS = ("TagResource", "UntagResource", "ListTagsForResource")
PRINCIPAL_NOT_FOUND = "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Principal not found'"


def registry_of(response: ECRResponse) -> str:
    """The account whose registry a call names: `registryId`, else the account of `resourceArn`, else the caller's."""
    registry = response._get_param("registryId")
    if isinstance(registry, str) and ACCOUNT_ID.fullmatch(registry):
        return registry
    arn = response._get_param("resourceArn")
    match = re.match(ECR_REPOSITORY_ARN_PATTERN, arn) if isinstance(arn, str) else None
    if match and ACCOUNT_ID.fullmatch(match["account_id"]):
        return match["account_id"]
    return response.current_account


def registry_backend(self: ECRResponse) -> ECRBackend:
    return ecr_backends[registry_of(self)][self.region]


def repository_arn(response: ECRResponse, name: str) -> str:
    return f"arn:{get_partition(response.region)}:ecr:{response.region}:{registry_of(response)}:repository/{name}"


def repository_arns(response: ECRResponse) -> list[str]:
    """The repositories a call acts on, as ARNs; none for the calls on the registry or the account."""
    action = response._get_action()
    if action in ARN_ACTIONS:
        arn = response._get_param("resourceArn")
        return [arn] if isinstance(arn, str) and arn else []
    names = response._get_param("repositoryNames")
    if isinstance(names, list) and names:
        return [repository_arn(response, name) for name in names]
    if action == "DescribeRepositories":
        # Listing every repository of the registry.
        return [repository_arn(response, "*")]
    name = response._get_param("repositoryName")
    return [repository_arn(response, name)] if isinstance(name, str) and name else []


def repository_at(arn: str) -> Repository | None:
    match = re.match(ECR_REPOSITORY_ARN_PATTERN, arn)
    if match is None or not ACCOUNT_ID.fullmatch(match["account_id"]):
        return None
    try:
        repository = ecr_backends[match["account_id"]][match["region"]].repositories.get(match["repo_name"])
    except KeyError:
        # A Region moto does not know: no repository there.
        return None
    return repository if repository is not None and repository.arn == arn else None


def authorize_on_repositories(self: ECRResponse, arns: list[str]) -> None:
    """AccessDeniedException unless the caller may make this call on every repository in `arns`."""
    caller = iam_checks.request_of(self, IAMRequest, self._get_action())
    caller.check_signature()
    context = iam_context.of_request(caller)
    for arn in arns:
        repository = repository_at(arn)
        owner = arn.split(":")[4]
        refused = iam_checks.resource_policy_refusal(caller, caller._action, arn, owner, repository.policy if repository else None, context)
        if refused:
            raise AwsJsonError("AccessDeniedException", refused)


def missing_principals(policy_text: str) -> list[str]:
    """The IAM roles and users a policy names as AWS principals that do not exist in their account."""
    try:
        document = json.loads(policy_text)
    except JSONDecodeError:
        # moto's own validation refuses it.
        return []
    statements = document.get("Statement") if isinstance(document, dict) else None
    statements = [statements] if isinstance(statements, dict) else statements if isinstance(statements, list) else []
    missing = []
    for statement in statements:
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        aws = principal.get("AWS") if isinstance(principal, dict) else None
        for arn in [aws] if isinstance(aws, str) else aws if isinstance(aws, list) else []:
            if isinstance(arn, str) and not principal_exists(arn):
                missing.append(arn)
    return missing


def principal_exists(arn: str) -> bool:
    """False only for an IAM role or user ARN naming nobody; account roots, "*" and the rest pass."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "iam":
        return True
    kind = parts[5].split("/", 1)[0]
    if kind == "role":
        return iam_checks.role_in_its_account(arn) is not None
    if kind == "user" and ACCOUNT_ID.fullmatch(parts[4]):
        users = iam_backends[parts[4]][parts[1]].users.values()
        return any(user.arn == arn for user in users)
    return True


def install() -> None:
    ECRResponse.ecr_backend = property(registry_backend)

    authenticate_and_authorize = ECRResponse._authenticate_and_authorize_normal_action

    def authorize_ecr_action(self: ECRResponse, resource: str = "*") -> None:
        arns = repository_arns(self) if iam_checks.auth_enforced() else []
        if not arns:
            # Not checked yet (moto counts the request), or a call on no repository: checked on "*".
            return authenticate_and_authorize(self, resource)
        authorize_on_repositories(self, arns)

    ECRResponse._authenticate_and_authorize_normal_action = authorize_ecr_action

    set_repository_policy = ECRBackend.set_repository_policy

    def set_repository_policy_of_existing_principals(
        self: ECRBackend, registry_id: str, repository_name: str, policy_text: str
    ) -> dict[str, Any]:
        if missing_principals(policy_text):
            raise InvalidParameterException(PRINCIPAL_NOT_FOUND)
        return set_repository_policy(self, registry_id, repository_name, policy_text)

    ECRBackend.set_repository_policy = set_repository_policy_of_existing_principals
