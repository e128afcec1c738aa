"""CodePipeline execution calls that moto lacks, added to moto's JSON dispatcher.

moto routes a CodePipeline request by its `X-Amz-Target` action name to the
method of the same name (snake_case) on the response class. Subclassing
moto's CodePipelineResponse and pointing the service URL at the subclass adds
the calls below without touching moto's own pipeline CRUD.
"""

import json
import re
import sys
import threading
import traceback
from typing import Any

import moto.codepipeline.urls
from moto.codepipeline.responses import CodePipelineResponse
from moto.core.utils import unix_time
from moto.sts.models import sts_backends

from aws_errors import AwsJsonError, validation_error
from pipeline_executions import (
    REVISION_TYPES_BY_PROVIDER,
    PipelineExecutionsBackend,
    pipeline_executions_backends,
    stage_states,
    without_none,
)

CLIENT_REQUEST_TOKEN = re.compile(r"^[a-zA-Z0-9-]{1,128}$")
SOURCE_REVISION_TYPES = ("COMMIT_ID", "IMAGE_DIGEST", "S3_OBJECT_VERSION_ID", "S3_OBJECT_KEY")
APPROVAL_STATUSES = ("Approved", "Rejected")
MAX_RESULTS_LIMIT = 100

# The server is threaded: a name check and the create it guards must not interleave
# with another CreatePipeline of the same name.
CREATE_LOCK = threading.Lock()


def constraint_error(member: str, value: Any, constraint: str) -> AwsJsonError:
    """The message AWS's request validation gives for a member that breaks its model."""
    return validation_error(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
    )


def validate_client_request_token(token: str | None) -> None:
    if token is not None and not CLIENT_REQUEST_TOKEN.match(token):
        raise constraint_error(
            "clientRequestToken",
            token,
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9-]+$ and have length between 1 and 128",
        )


def resolve_pipeline_variables(pipeline: dict[str, Any], overrides: list[dict[str, str]]) -> dict[str, str]:
    """Declared defaults, overridden by the values passed at start."""
    declared = {v["name"]: v.get("defaultValue") for v in pipeline.get("variables") or []}
    undeclared = [o["name"] for o in overrides if o["name"] not in declared]
    if undeclared:
        raise validation_error(
            f"Variables {', '.join(undeclared)} are not declared in pipeline {pipeline['name']}"
        )
    values = declared | {o["name"]: o["value"] for o in overrides}
    return {name: value for name, value in values.items() if value is not None}


def source_revision_overrides(pipeline: dict[str, Any], revisions: list[dict[str, str]]) -> dict[str, str]:
    """Map source action name -> pinned revision, checking each against the declaration."""
    source_actions = {
        action["name"]: action
        for stage in pipeline["stages"]
        for action in stage["actions"]
        if action["actionTypeId"]["category"] == "Source"
    }
    overrides = {}
    for revision in revisions:
        revision_type = revision.get("revisionType")
        if revision_type not in SOURCE_REVISION_TYPES:
            raise constraint_error(
                "sourceRevisions.member.revisionType",
                revision_type,
                f"Member must satisfy enum value set: [{', '.join(SOURCE_REVISION_TYPES)}]",
            )
        action = source_actions.get(revision.get("actionName", ""))
        if action is None:
            raise validation_error(
                f"Action {revision.get('actionName')} is not a source action of pipeline {pipeline['name']}"
            )
        provider = action["actionTypeId"]["provider"]
        if revision_type not in REVISION_TYPES_BY_PROVIDER.get(provider, ()):
            raise validation_error(
                f"Revision type {revision_type} is not supported for {provider} source action {action['name']}"
            )
        overrides[action["name"]] = revision["revisionValue"]
    return overrides


def paginate(items: list[Any], max_results: int | None, next_token: str | None) -> tuple[list[Any], str | None]:
    """One page and the token of the next one; the token is an opaque offset."""
    if max_results is not None and not 1 <= max_results <= MAX_RESULTS_LIMIT:
        raise constraint_error(
            "maxResults", max_results, f"Member must have value between 1 and {MAX_RESULTS_LIMIT}"
        )
    start = 0
    if next_token is not None:
        if not next_token.isdigit() or int(next_token) > len(items):
            raise AwsJsonError("InvalidNextTokenException", "The next token was specified in an invalid format.")
        start = int(next_token)
    end = start + (max_results or MAX_RESULTS_LIMIT)
    return items[start:end], (str(end) if end < len(items) else None)


def find_declared(items: list[dict[str, Any]], name: str, error_type: str, message: str) -> dict[str, Any]:
    found = next((item for item in items if item["name"] == name), None)
    if found is None:
        raise AwsJsonError(error_type, message)
    return found


class EmulatedCodePipelineResponse(CodePipelineResponse):
    """moto's CodePipeline API plus pipeline executions."""

    @property
    def executions_backend(self) -> PipelineExecutionsBackend:
        return pipeline_executions_backends[self.current_account][self.region]

    def create_pipeline(self) -> str:
        name = (self._get_param("pipeline") or {}).get("name")
        with CREATE_LOCK:
            # moto answers InvalidStructureException; AWS answers PipelineNameInUseException.
            if name in self.codepipeline_backend.pipelines:
                raise AwsJsonError("PipelineNameInUseException", f"Pipeline name {name} is already in use.")
            body = super().create_pipeline()
        # Real CodePipeline starts a run as soon as the pipeline exists. That run failing
        # to start does not undo the creation there, so it must not fail the call here
        # either: a retried CreatePipeline would then meet PipelineNameInUseException.
        try:
            self._start(self._get_param("pipeline")["name"], "CreatePipeline", [], [], None)
        except Exception:  # noqa: BLE001 - reported on stderr, the emulator's log
            print(f"CreatePipeline {name}: the automatic run did not start:\n{traceback.format_exc()}", file=sys.stderr, flush=True)
        return body

    def delete_pipeline(self) -> str:
        body = super().delete_pipeline()
        self.executions_backend.forget_pipeline(self._get_param("name"))
        return body

    def start_pipeline_execution(self) -> str:
        token = self._get_param("clientRequestToken")
        validate_client_request_token(token)
        execution_id = self._start(
            self._get_param("name"),
            "StartPipelineExecution",
            self._get_param("variables") or [],
            self._get_param("sourceRevisions") or [],
            token,
        )
        return json.dumps({"pipelineExecutionId": execution_id})

    def get_pipeline_execution(self) -> str:
        name = self._existing_pipeline(self._get_param("pipelineName"))["name"]
        execution = self.executions_backend.get(name, self._get_param("pipelineExecutionId"))
        return json.dumps({"pipelineExecution": execution.detail()})

    def list_pipeline_executions(self) -> str:
        name = self._existing_pipeline(self._get_param("pipelineName"))["name"]
        executions = self.executions_backend.newest_first(name)
        stage = ((self._get_param("filter") or {}).get("succeededInStage") or {}).get("stageName")
        if stage:
            executions = [e for e in executions if e.stage_statuses.get(stage) == "Succeeded"]
        page, next_token = paginate(executions, self._get_param("maxResults"), self._get_param("nextToken"))
        return json.dumps(
            without_none({"pipelineExecutionSummaries": [e.summary() for e in page], "nextToken": next_token})
        )

    def stop_pipeline_execution(self) -> str:
        name = self._existing_pipeline(self._get_param("pipelineName"))["name"]
        execution_id = self._get_param("pipelineExecutionId")
        self.executions_backend.stop(
            name, execution_id, bool(self._get_param("abandon", False)), self._get_param("reason")
        )
        return json.dumps({"pipelineExecutionId": execution_id})

    def get_pipeline_state(self) -> str:
        pipeline, metadata = self.codepipeline_backend.get_pipeline(self._get_param("name"))
        return json.dumps(
            {
                "pipelineName": pipeline["name"],
                "pipelineVersion": pipeline["version"],
                "stageStates": stage_states(
                    pipeline["stages"], self.executions_backend.newest_first(pipeline["name"])
                ),
                "created": metadata["created"],
                "updated": metadata["updated"],
            }
        )

    def put_approval_result(self) -> str:
        pipeline = self._existing_pipeline(self._get_param("pipelineName"))
        stage_name, action_name = self._get_param("stageName"), self._get_param("actionName")
        result = self._get_param("result") or {}
        if result.get("status") not in APPROVAL_STATUSES:
            raise constraint_error(
                "result.status", result.get("status"), "Member must satisfy enum value set: [Approved, Rejected]"
            )
        summary = result.get("summary")
        if summary is None:
            raise constraint_error("result.summary", summary, "Member must not be null")
        if len(summary) > 512:
            raise constraint_error("result.summary", summary, "Member must have length less than or equal to 512")
        stage = find_declared(
            pipeline["stages"],
            stage_name,
            "StageNotFoundException",
            f"Stage {stage_name} was not found in pipeline {pipeline['name']}.",
        )
        find_declared(
            stage["actions"],
            action_name,
            "ActionNotFoundException",
            f"Action {action_name} was not found in stage {stage_name}.",
        )
        self.executions_backend.answer_approval(
            pipeline["name"], stage_name, action_name, self._get_param("token"), result["status"], summary
        )
        return json.dumps({"approvedAt": unix_time()})

    def list_action_executions(self) -> str:
        name = self._existing_pipeline(self._get_param("pipelineName"))["name"]
        action_filter = self._get_param("filter") or {}
        # Without retries or rollbacks, "latest in execution" is every action of it.
        execution_id = action_filter.get("pipelineExecutionId") or (
            action_filter.get("latestInPipelineExecution") or {}
        ).get("pipelineExecutionId")
        runs = self.executions_backend.action_runs(name, execution_id)
        page, next_token = paginate(runs, self._get_param("maxResults"), self._get_param("nextToken"))
        return json.dumps(
            without_none({"actionExecutionDetails": [run.detail() for run in page], "nextToken": next_token})
        )

    def _existing_pipeline(self, name: str) -> dict[str, Any]:
        """The declaration; moto raises PipelineNotFoundException for unknown names."""
        pipeline, _ = self.codepipeline_backend.get_pipeline(name)
        return pipeline

    def _start(
        self,
        name: str,
        trigger_type: str,
        variables: list[dict[str, str]],
        source_revisions: list[dict[str, str]],
        token: str | None,
    ) -> str:
        pipeline = self._existing_pipeline(name)
        execution = self.executions_backend.start(
            pipeline,
            {"triggerType": trigger_type, "triggerDetail": self._caller_arn()},
            resolve_pipeline_variables(pipeline, variables),
            source_revision_overrides(pipeline, source_revisions),
            token,
        )
        return execution.id

    def _caller_arn(self) -> str:
        """Who started the run: AWS puts the caller's ARN in trigger.triggerDetail."""
        sts = sts_backends[self.current_account][self.partition]
        _, arn, _ = sts.get_caller_identity(self.get_access_key(), self.region)
        return arn


def install() -> None:
    moto.codepipeline.urls.url_paths["{0}/$"] = EmulatedCodePipelineResponse.dispatch
