"""CodePipeline's execution state-change events, put on the default bus as AWS does.

Each change of a pipeline, stage or action execution becomes an event with source
`aws.codepipeline` on the default bus of the pipeline's account and Region, in the format of
"Monitoring CodePipeline events" (CodePipeline User Guide). They go through moto's
EventsBackend.put_events, the path PutEvents takes once authorized, so the rules on the default
bus match them and their targets receive them; CodePipeline itself needs no permission for that.
"""

import json
import queue
import sys
import threading
import traceback
from datetime import datetime, timezone
from typing import Any

from moto.events.models import events_backends

SOURCE = "aws.codepipeline"
PIPELINE_DETAIL_TYPE = "CodePipeline Pipeline Execution State Change"
STAGE_DETAIL_TYPE = "CodePipeline Stage Execution State Change"
ACTION_DETAIL_TYPE = "CodePipeline Action Execution State Change"
# PutEvents takes at most this many entries per call.
MAX_ENTRIES = 10

# Events wait here for the one delivery thread: CodePipeline's API answers without waiting for
# them, as in AWS, where events reach EventBridge after the change; one thread keeps their order.
_OUTBOX: "queue.SimpleQueue[tuple[str, str, list[dict[str, Any]]]]" = queue.SimpleQueue()
_WORKER_LOCK = threading.Lock()
_worker: threading.Thread | None = None


def publish(account_id: str, region: str, entries: list[dict[str, Any]]) -> None:
    """Queue a change's events for delivery, in the order of the calls."""
    global _worker
    if not entries:
        return
    with _WORKER_LOCK:
        if _worker is None:
            _worker = threading.Thread(target=_deliver_forever, name="codepipeline-events", daemon=True)
            _worker.start()
    _OUTBOX.put((account_id, region, entries))


def _deliver_forever() -> None:
    while True:
        account_id, region, entries = _OUTBOX.get()
        deliver(account_id, region, entries)


def event_time(epoch_seconds: float) -> str:
    """`start-time` as the events spell it: 2024-03-26T13:50:53.566Z."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def entry(detail_type: str, pipeline_arn: str, detail: dict[str, Any]) -> dict[str, Any]:
    """A PutEvents entry for the default bus."""
    return {"Source": SOURCE, "DetailType": detail_type, "Detail": json.dumps(detail), "Resources": [pipeline_arn]}


def deliver(account_id: str, region: str, entries: list[dict[str, Any]]) -> None:
    """Put the entries on the default bus. The change they report has happened, so a failure
    of the delivery is reported on stderr (the emulator's log) and not to the caller."""
    if not entries:
        return
    try:
        backend = events_backends[account_id][region]
        for start in range(0, len(entries), MAX_ENTRIES):
            backend.put_events(entries[start : start + MAX_ENTRIES])
    except Exception:  # noqa: BLE001 - reported on stderr, the emulator's log
        print(
            f"CodePipeline events of account {account_id} in {region} were not all delivered:\n{traceback.format_exc()}",
            file=sys.stderr,
            flush=True,
        )
