"""CodeDeploy PutLifecycleEventHookExecutionStatus, and a way for tests to read it.

Lambda traffic hooks report their verdict with this call; AWS has no API to
read it back, so the emulator keeps each report and serves them at
GET /pipewright/lifecycle-hook-statuses (see server.py).
"""

import json
import threading
from typing import Any

import moto.codedeploy.urls
from moto.codedeploy.responses import CodeDeployResponse
from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.utils import unix_time

from aws_errors import AwsJsonError

# LifecycleEventStatus has six values, but AWS accepts only these two from a
# hook: "only Succeeded and Failed can be passed successfully in your API call".
REPORTABLE_STATUSES = ("Succeeded", "Failed")


class LifecycleHookBackend(BaseBackend):
    """Reported hook statuses for one account and Region."""

    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        # (deploymentId, lifecycleEventHookExecutionId) -> report
        self.reports: dict[tuple[str, str], dict[str, Any]] = {}
        self.lock = threading.Lock()

    def put_status(self, deployment_id: str, hook_execution_id: str, status: str) -> None:
        key = (deployment_id, hook_execution_id)
        with self.lock:
            # A hook's verdict is final; a second report is a bug in the hook.
            if key in self.reports:
                raise AwsJsonError(
                    "LifecycleEventAlreadyCompletedException",
                    f"Lifecycle event hook execution {hook_execution_id} of deployment "
                    f"{deployment_id} has already completed.",
                )
            self.reports[key] = {
                "accountId": self.account_id,
                "region": self.region_name,
                "deploymentId": deployment_id,
                "lifecycleEventHookExecutionId": hook_execution_id,
                "status": status,
                "reportedAt": unix_time(),
            }


lifecycle_hook_backends = BackendDict(LifecycleHookBackend, "codedeploy")


def validate_report(deployment_id: str | None, hook_execution_id: str | None, status: str | None) -> None:
    if not deployment_id:
        raise AwsJsonError("DeploymentIdRequiredException", "At least one deployment ID must be specified.")
    if not hook_execution_id:
        raise AwsJsonError(
            "InvalidLifecycleEventHookExecutionIdException",
            "A lifecycle event hook execution ID must be specified.",
        )
    if status not in REPORTABLE_STATUSES:
        raise AwsJsonError(
            "InvalidLifecycleEventHookExecutionStatusException",
            f"The status {status} is invalid: a lifecycle hook must report Succeeded or Failed.",
        )


class EmulatedCodeDeployResponse(CodeDeployResponse):
    """moto's CodeDeploy API plus PutLifecycleEventHookExecutionStatus."""

    def put_lifecycle_event_hook_execution_status(self) -> str:
        deployment_id = self._get_param("deploymentId")
        hook_execution_id = self._get_param("lifecycleEventHookExecutionId")
        status = self._get_param("status")
        validate_report(deployment_id, hook_execution_id, status)
        backend = lifecycle_hook_backends[self.current_account][self.region]
        backend.put_status(deployment_id, hook_execution_id, status)
        return json.dumps({"lifecycleEventHookExecutionId": hook_execution_id})


def recorded_statuses() -> list[dict[str, Any]]:
    """Every report in every account and Region, oldest first."""
    reports = [
        report
        for _, _, backend in lifecycle_hook_backends.iter_backends()
        for report in backend.reports.values()  # type: ignore[attr-defined]
    ]
    return sorted(reports, key=lambda report: report["reportedAt"])


def install() -> None:
    moto.codedeploy.urls.url_paths["{0}/$"] = EmulatedCodeDeployResponse.dispatch
