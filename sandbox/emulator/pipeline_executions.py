"""Pipeline executions for the emulated CodePipeline (moto keeps none).

An execution walks the declaration it started with, stage by stage and, within
a stage, run-order group by run-order group. Nothing really runs, so the
emulator decides each action's outcome:
  * Source actions succeed at once and store their output artifacts in S3;
  * Approval actions wait for PutApprovalResult;
  * every other action is decided by the first matching action-outcome rule
    (action_outcomes): succeeded or failed at once, or, by default, InProgress
    until the execution is stopped.
A failed action fails its stage and the execution once no action of its
run-order group is in progress. Every change is reported as a CodePipeline
event on the default bus (pipeline_events), in the order the changes happen.
Executions advance independently of each other, as in PARALLEL mode: the stage
locking and superseding of QUEUED/SUPERSEDED modes are not simulated.
"""

import copy
import random
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.utils import unix_time
from moto.utilities.utils import get_partition

import action_outcomes
import pipeline_events
from aws_errors import AwsJsonError
from source_artifacts import put_source_artifact

# (region, pipeline declaration, artifact name) -> S3 location, or None if not stored.
ArtifactPublisher = Callable[[str, dict[str, Any], str], dict[str, str] | None]
# Takes a PutEvents entry for the default bus.
EventSink = Callable[[dict[str, Any]], None]

ACTIVE_STATUSES = ("InProgress", "Stopping")
# Categories whose actions the emulator does not decide by action-outcome rules.
SELF_DECIDING_CATEGORIES = ("Source", "Approval")
# What CodePipeline reports for an action whose job failed.
JOB_FAILED = "JobFailed"
# API statuses -> the states the events spell.
EVENT_STATES = {
    "InProgress": "STARTED",
    "Succeeded": "SUCCEEDED",
    "Failed": "FAILED",
    "Stopping": "STOPPING",
    "Stopped": "STOPPED",
    "Abandoned": "ABANDONED",
}

# The revision types StartPipelineExecution accepts per source provider.
REVISION_TYPES_BY_PROVIDER = {
    "CodeStarSourceConnection": {"COMMIT_ID"},
    "CodeCommit": {"COMMIT_ID"},
    "GitHub": {"COMMIT_ID"},
    "ECR": {"IMAGE_DIGEST"},
    "S3": {"S3_OBJECT_VERSION_ID", "S3_OBJECT_KEY"},
}

# Output variables that git source actions publish from their configuration:
# output variable -> configuration key.
GIT_OUTPUT_VARIABLES = {
    "BranchName": "BranchName",
    "FullRepositoryName": "FullRepositoryId",
    "RepositoryName": "RepositoryName",
    "ConnectionArn": "ConnectionArn",
}

VARIABLE_REFERENCE = re.compile(r"#\{variables\.([A-Za-z0-9@\-_]+)\}")


def without_none(values: dict[str, Any]) -> dict[str, Any]:
    """AWS omits absent members instead of sending null."""
    return {key: value for key, value in values.items() if value is not None}


def random_commit_id() -> str:
    """Stands in for the branch head a real source action would fetch."""
    return f"{random.getrandbits(160):040x}"


def resolve_configuration(configuration: dict[str, Any], variables: dict[str, str]) -> dict[str, str]:
    """Substitute `#{variables.NAME}`; other namespaces are left as written."""
    return {
        key: VARIABLE_REFERENCE.sub(lambda ref: variables.get(ref.group(1), ref.group(0)), str(value))
        for key, value in configuration.items()
    }


def run_order_groups(stages: list[dict[str, Any]]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(stage name, actions) in the order CodePipeline starts them."""
    for stage in stages:
        for order in sorted({action["runOrder"] for action in stage["actions"]}):
            yield stage["name"], [a for a in stage["actions"] if a["runOrder"] == order]


class ActionRun:
    """One action execution (ActionExecutionDetail in the API)."""

    def __init__(self, execution: "Execution", stage_name: str, action: dict[str, Any]):
        self.execution = execution
        self.stage_name = stage_name
        self.action = action
        self.id = str(uuid.uuid4())
        self.status = "InProgress"
        self.started = self.last_update = unix_time()
        self.summary: str | None = None
        self.error_code: str | None = None
        self.revision_id: str | None = None
        self.output_artifacts: list[dict[str, Any]] = []
        self.output_variables: dict[str, str] = {}
        # Approvals are answered with this token, found through GetPipelineState.
        self.token = str(uuid.uuid4()) if self.category == "Approval" else None

    @property
    def name(self) -> str:
        return self.action["name"]

    @property
    def category(self) -> str:
        return self.action["actionTypeId"]["category"]

    @property
    def region(self) -> str:
        return self.action.get("region") or self.execution.region

    def finish(self, status: str, summary: str | None = None, error_code: str | None = None) -> None:
        self.status = status
        self.summary = summary
        self.error_code = error_code
        self.last_update = unix_time()

    def error_details(self) -> dict[str, str] | None:
        if self.error_code is None:
            return None
        return {"code": self.error_code, "message": self.summary or f"Action {self.name} failed."}

    def state(self) -> dict[str, Any]:
        """ActionExecution, as GetPipelineState shows it."""
        return without_none(
            {
                "actionExecutionId": self.id,
                "status": self.status,
                "summary": self.summary,
                "lastStatusChange": self.last_update,
                "token": self.token if self.status == "InProgress" else None,
                "externalExecutionId": self.revision_id,
                "errorDetails": self.error_details(),
            }
        )

    def input_artifacts(self) -> list[dict[str, Any]]:
        """ArtifactDetail of each input: its S3 location once a source action has stored it."""
        return [
            self.execution.artifacts.get(artifact["name"], {"name": artifact["name"]})
            for artifact in self.action.get("inputArtifacts", [])
        ]

    def event_detail(self) -> dict[str, Any]:
        """The action's part of its state-change event's detail."""
        result = without_none(
            {
                "external-execution-id": self.revision_id,
                "external-execution-summary": self.summary,
                "error-code": self.error_code,
            }
        )
        return without_none(
            {
                "stage": self.stage_name,
                "action": self.name,
                "region": self.region,
                "type": {
                    key: self.action["actionTypeId"][key] for key in ("owner", "provider", "category", "version")
                },
                "input-artifacts": self.input_artifacts() or None,
                "output-artifacts": self.output_artifacts or None,
                "execution-result": result or None,
            }
        )

    def detail(self) -> dict[str, Any]:
        """ActionExecutionDetail, as ListActionExecutions shows it."""
        configuration = self.action.get("configuration", {})
        return {
            "pipelineExecutionId": self.execution.id,
            "actionExecutionId": self.id,
            "pipelineVersion": self.execution.pipeline["version"],
            "stageName": self.stage_name,
            "actionName": self.name,
            "startTime": self.started,
            "lastUpdateTime": self.last_update,
            "status": self.status,
            "input": without_none(
                {
                    "actionTypeId": self.action["actionTypeId"],
                    "configuration": configuration,
                    "resolvedConfiguration": resolve_configuration(configuration, self.execution.variables),
                    "roleArn": self.action.get("roleArn"),
                    "region": self.region,
                    "inputArtifacts": self.input_artifacts(),
                    "namespace": self.action.get("namespace"),
                }
            ),
            "output": {
                "outputArtifacts": self.output_artifacts,
                "executionResult": without_none(
                    {
                        "externalExecutionId": self.revision_id,
                        "externalExecutionSummary": self.summary,
                        "errorDetails": self.error_details(),
                    }
                ),
                "outputVariables": self.output_variables,
            },
        }


class Execution:
    """One pipeline execution and the action runs it has started."""

    def __init__(
        self,
        pipeline: dict[str, Any],
        region: str,
        trigger: dict[str, str],
        variables: dict[str, str],
        revision_overrides: dict[str, str],
        publish: ArtifactPublisher,
        pipeline_arn: str,
        emit: EventSink,
    ):
        self.id = str(uuid.uuid4())
        # A snapshot: UpdatePipeline must not change an execution already running.
        self.pipeline = copy.deepcopy(pipeline)
        self.pipeline_arn = pipeline_arn
        self.emit = emit
        self.region = region
        self.trigger = trigger
        self.variables = variables
        self.revision_overrides = revision_overrides
        self.publish = publish
        self.status = "InProgress"
        self.stop_trigger: dict[str, str] | None = None
        self.started = self.last_update = unix_time()
        self.stage_statuses: dict[str, str] = {}
        self.runs: list[ActionRun] = []
        self.artifacts: dict[str, dict[str, Any]] = {}  # artifact name -> ArtifactDetail
        self._pending_groups = list(run_order_groups(self.pipeline["stages"]))
        self._current_stage: str | None = None
        # The actions of the run-order group started last, which run side by side.
        self._current_group: list[ActionRun] = []
        self._pipeline_event("STARTED")

    def settle(self) -> None:
        """Move on as far as possible without outside input (an approval, a stop)."""
        while self.status == "InProgress" and not self._runs_in_progress():
            if any(run.status == "Failed" for run in self._current_group):
                self._end("Failed")
                return
            if not self._pending_groups:
                self._end("Succeeded")
                return
            stage_name, actions = self._pending_groups.pop(0)
            self._enter_stage(stage_name)
            # All of a group's actions start before any of them finishes, as they run side by side.
            self._current_group = [self._start_action(stage_name, action) for action in actions]
            for run in self._current_group:
                self._decide(run)
        # A stop-and-wait completes once the last in-progress action has finished.
        if self.status == "Stopping" and not self._runs_in_progress():
            self._end("Stopped")

    def stop(self, abandon: bool, reason: str | None) -> None:
        if self.status == "Stopping" and not abandon:
            raise AwsJsonError(
                "DuplicatedStopRequestException",
                f"Pipeline execution {self.id} is already stopping. Stop and abandon it instead.",
            )
        if self.status not in ACTIVE_STATUSES:
            raise AwsJsonError(
                "PipelineExecutionNotStoppableException",
                f"Pipeline execution {self.id} is {self.status} and cannot be stopped.",
            )
        self.stop_trigger = without_none({"reason": reason})
        # A stop-and-abandon, too, is Stopping for a moment while its actions are abandoned.
        if self.status != "Stopping":
            self._set_status("Stopping")
            self._pipeline_event("STOPPING")
        if abandon:
            self._end("Stopped")
        # Every in-progress execution has an action in progress (settle() ensures
        # it), so stop-and-wait always stays Stopping for now.

    def answer_approval(self, run: ActionRun, status: str, summary: str) -> None:
        self._finish_action(run, "Succeeded" if status == "Approved" else "Failed", summary)
        self.settle()

    def summary(self) -> dict[str, Any]:
        """PipelineExecutionSummary, as ListPipelineExecutions shows it."""
        return without_none(
            {
                "pipelineExecutionId": self.id,
                "status": self.status,
                "startTime": self.started,
                "lastUpdateTime": self.last_update,
                "sourceRevisions": [
                    {"actionName": run.name, "revisionId": run.revision_id} for run in self._source_runs()
                ],
                "trigger": self.trigger,
                "stopTrigger": self.stop_trigger,
                "executionMode": self.execution_mode,
                "executionType": "STANDARD",
            }
        )

    def detail(self) -> dict[str, Any]:
        """PipelineExecution, as GetPipelineExecution shows it."""
        return {
            "pipelineName": self.pipeline["name"],
            "pipelineVersion": self.pipeline["version"],
            "pipelineExecutionId": self.id,
            "status": self.status,
            "artifactRevisions": [
                {
                    "name": artifact["name"],
                    "revisionId": run.revision_id,
                    "revisionChangeIdentifier": run.revision_id,
                    "created": run.started,
                }
                for run in self._source_runs()
                for artifact in run.output_artifacts
            ],
            "variables": [{"name": name, "resolvedValue": value} for name, value in self.variables.items()],
            "trigger": self.trigger,
            "executionMode": self.execution_mode,
            "executionType": "STANDARD",
        }

    @property
    def execution_mode(self) -> str:
        return self.pipeline.get("executionMode", "SUPERSEDED")

    def _runs_in_progress(self) -> list[ActionRun]:
        return [run for run in self.runs if run.status == "InProgress"]

    def _source_runs(self) -> list[ActionRun]:
        return [run for run in self.runs if run.category == "Source"]

    def _set_status(self, status: str) -> None:
        self.status = status
        if self._current_stage:
            self.stage_statuses[self._current_stage] = status
        self.last_update = unix_time()

    def _end(self, status: str) -> None:
        for run in self._runs_in_progress():
            self._finish_action(run, "Abandoned")
        self._set_status(status)
        if self._current_stage:
            self._stage_event(self._current_stage, EVENT_STATES[status])
        self._pipeline_event(EVENT_STATES[status])

    def _enter_stage(self, stage_name: str) -> None:
        if stage_name == self._current_stage:
            return
        if self._current_stage:
            self.stage_statuses[self._current_stage] = "Succeeded"
            self._stage_event(self._current_stage, "SUCCEEDED")
        self._current_stage = stage_name
        self.stage_statuses[stage_name] = "InProgress"
        self._stage_event(stage_name, "STARTED")

    def _start_action(self, stage_name: str, action: dict[str, Any]) -> ActionRun:
        run = ActionRun(self, stage_name, action)
        self.runs.append(run)
        self._action_event(run)
        return run

    def _decide(self, run: ActionRun) -> None:
        """Finish a just-started action if nothing outside the emulator has to."""
        if run.category == "Source":
            self._complete_source(run)
            return
        if run.category in SELF_DECIDING_CATEGORIES:
            return
        outcome = action_outcomes.decide(self.pipeline["name"], run.stage_name, run.name, run.category)
        if outcome is None or outcome.status == "InProgress":
            return
        error_code = JOB_FAILED if outcome.status == "Failed" else None
        self._finish_action(run, outcome.status, outcome.summary, error_code)

    def _finish_action(self, run: ActionRun, status: str, summary: str | None = None, error_code: str | None = None) -> None:
        run.finish(status, summary, error_code)
        self._action_event(run)

    def _detail(self, state: str) -> dict[str, Any]:
        """What every event of this execution's changes carries in its detail."""
        return {
            "pipeline": self.pipeline["name"],
            "execution-id": self.id,
            "start-time": pipeline_events.event_time(self.started),
            "state": state,
            "version": self.pipeline["version"],
            # Nothing is retried here, so every execution is on its first attempt.
            "pipeline-execution-attempt": 1,
        }

    def _pipeline_event(self, state: str) -> None:
        trigger = without_none(
            {"trigger-type": self.trigger.get("triggerType"), "trigger-detail": self.trigger.get("triggerDetail")}
        )
        detail = self._detail(state) | {"execution-trigger": trigger}
        self.emit(pipeline_events.entry(pipeline_events.PIPELINE_DETAIL_TYPE, self.pipeline_arn, detail))

    def _stage_event(self, stage_name: str, state: str) -> None:
        detail = self._detail(state) | {"stage": stage_name}
        self.emit(pipeline_events.entry(pipeline_events.STAGE_DETAIL_TYPE, self.pipeline_arn, detail))

    def _action_event(self, run: ActionRun) -> None:
        detail = self._detail(EVENT_STATES[run.status]) | run.event_detail()
        self.emit(pipeline_events.entry(pipeline_events.ACTION_DETAIL_TYPE, self.pipeline_arn, detail))

    def _complete_source(self, run: ActionRun) -> None:
        """Record the revision and store the output artifacts, as a source fetch would."""
        run.revision_id = self.revision_overrides.get(run.name) or random_commit_id()
        for artifact in run.action.get("outputArtifacts", []):
            location = self.publish(run.region, self.pipeline, artifact["name"])
            detail = without_none({"name": artifact["name"], "s3location": location})
            run.output_artifacts.append(detail)
            self.artifacts[artifact["name"]] = detail
        if "COMMIT_ID" in REVISION_TYPES_BY_PROVIDER.get(run.action["actionTypeId"]["provider"], ()):
            configuration = resolve_configuration(run.action.get("configuration", {}), self.variables)
            run.output_variables = {"CommitId": run.revision_id} | {
                variable: configuration[key]
                for variable, key in GIT_OUTPUT_VARIABLES.items()
                if key in configuration
            }
        self._finish_action(run, "Succeeded")


def stage_states(stages: list[dict[str, Any]], executions: list[Execution]) -> list[dict[str, Any]]:
    """StageState per declared stage; `executions` must be newest first."""
    states = []
    for stage in stages:
        state: dict[str, Any] = {
            "stageName": stage["name"],
            # moto has no Disable/EnableStageTransition, so transitions stay open.
            "inboundTransitionState": {"enabled": True},
            "actionStates": [_action_state(stage["name"], action, executions) for action in stage["actions"]],
        }
        entered = next((e for e in executions if stage["name"] in e.stage_statuses), None)
        if entered:
            state["latestExecution"] = {
                "pipelineExecutionId": entered.id,
                "status": entered.stage_statuses[stage["name"]],
                "type": "STANDARD",
            }
        states.append(state)
    return states


def _action_state(stage_name: str, action: dict[str, Any], executions: list[Execution]) -> dict[str, Any]:
    state: dict[str, Any] = {"actionName": action["name"]}
    latest = next(
        (
            run
            for execution in executions
            for run in reversed(execution.runs)
            if run.stage_name == stage_name and run.name == action["name"]
        ),
        None,
    )
    if latest:
        state["latestExecution"] = latest.state()
    if latest and latest.revision_id:
        state["currentRevision"] = {
            "revisionId": latest.revision_id,
            "revisionChangeId": latest.revision_id,
            "created": latest.started,
        }
    return state


class PipelineExecutionsBackend(BaseBackend):
    """Executions per pipeline, for one account and Region (like moto's backends)."""

    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        # pipeline name -> execution id -> Execution, in start order
        self.executions: dict[str, dict[str, Execution]] = {}
        # pipeline name -> clientRequestToken -> execution id
        self.request_tokens: dict[str, dict[str, str]] = {}
        # The server is threaded; an idempotency check and its insert must not interleave.
        self.lock = threading.Lock()
        # Events of the change under way (the lock held), delivered once it is done.
        self.outbox: list[dict[str, Any]] = []

    @contextmanager
    def _changing(self) -> Iterator[None]:
        """Holds the lock for a change of executions, then queues the change's events for delivery."""
        with self.lock:
            try:
                yield
            finally:
                # Cleared, not replaced: the executions hold its append. Queued under the lock, so
                # the events of changes keep the order of the changes.
                events = list(self.outbox)
                self.outbox.clear()
                pipeline_events.publish(self.account_id, self.region_name, events)

    def pipeline_arn(self, pipeline_name: str) -> str:
        return f"arn:{get_partition(self.region_name)}:codepipeline:{self.region_name}:{self.account_id}:{pipeline_name}"

    def start(
        self,
        pipeline: dict[str, Any],
        trigger: dict[str, str],
        variables: dict[str, str],
        revision_overrides: dict[str, str],
        client_request_token: str | None,
    ) -> Execution:
        name = pipeline["name"]
        with self._changing():
            tokens = self.request_tokens.setdefault(name, {})
            if client_request_token in tokens:
                return self.executions[name][tokens[client_request_token]]
            execution = Execution(
                pipeline,
                self.region_name,
                trigger,
                variables,
                revision_overrides,
                partial(put_source_artifact, self.account_id),
                self.pipeline_arn(name),
                self.outbox.append,
            )
            self.executions.setdefault(name, {})[execution.id] = execution
            if client_request_token:
                tokens[client_request_token] = execution.id
            execution.settle()
            return execution

    def get(self, pipeline_name: str, execution_id: str) -> Execution:
        execution = self.executions.get(pipeline_name, {}).get(execution_id)
        if execution is None:
            raise AwsJsonError(
                "PipelineExecutionNotFoundException",
                f"Pipeline execution {execution_id} was not found in pipeline {pipeline_name}.",
            )
        return execution

    def newest_first(self, pipeline_name: str) -> list[Execution]:
        return list(reversed(self.executions.get(pipeline_name, {}).values()))

    def action_runs(self, pipeline_name: str, execution_id: str | None) -> list[ActionRun]:
        """Action executions newest first, of one execution or of all."""
        if execution_id:
            executions = [self.get(pipeline_name, execution_id)]
        else:
            executions = self.newest_first(pipeline_name)
        return [run for execution in executions for run in reversed(execution.runs)]

    def stop(self, pipeline_name: str, execution_id: str, abandon: bool, reason: str | None) -> None:
        with self._changing():
            self.get(pipeline_name, execution_id).stop(abandon, reason)

    def answer_approval(
        self, pipeline_name: str, stage_name: str, action_name: str, token: str, status: str, summary: str
    ) -> None:
        with self._changing():
            execution, run = self._approval_run(pipeline_name, stage_name, action_name, token)
            if run.status == "Abandoned":
                raise AwsJsonError(
                    "InvalidApprovalTokenException",
                    f"The approval request for token {token} has expired: its execution was stopped.",
                )
            if run.status != "InProgress":
                raise AwsJsonError(
                    "ApprovalAlreadyCompletedException",
                    f"The approval action {action_name} has already been "
                    f"{'approved' if run.status == 'Succeeded' else 'rejected'}.",
                )
            execution.answer_approval(run, status, summary)

    def forget_pipeline(self, pipeline_name: str) -> None:
        with self.lock:
            self.executions.pop(pipeline_name, None)
            self.request_tokens.pop(pipeline_name, None)

    def _approval_run(
        self, pipeline_name: str, stage_name: str, action_name: str, token: str
    ) -> tuple[Execution, ActionRun]:
        for execution in self.newest_first(pipeline_name):
            for run in execution.runs:
                if (run.stage_name, run.name, run.token) == (stage_name, action_name, token):
                    return execution, run
        raise AwsJsonError(
            "InvalidApprovalTokenException",
            f"The token {token} is not valid for approval action {action_name} in stage {stage_name}.",
        )


pipeline_executions_backends = BackendDict(PipelineExecutionsBackend, "codepipeline")
