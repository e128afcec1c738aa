"""EventBridge bus policies: kept as written and evaluated on PutEvents.

moto stores a bus's resource policy but never evaluates it, and its
PutPermission with `Policy` (what Terraform's aws_cloudwatch_event_bus_policy
sends) merged the statements into the old policy by principal, failed
(HTTP 500) on a statement without a Sid or a Statement that is one object,
and described statements back with only the elements it knew. Here
PutPermission with `Policy` replaces the bus's policy with the document as
written, and DescribeEventBus answers it as written.

With IAM checks on, PutEvents is authorized entry by entry, as AWS does:
the PutEvents API reference gives each result entry its own error code,
among them AccessDeniedException, NotAuthorizedForSourceException and
NotAuthorizedForDetailTypeException ("You do not have permissions to
publish events with this source onto this event bus"). An entry is checked
as events:PutEvents on its bus's ARN, with `events:source` and
`events:detail-type` from the entry in the request context:

- an explicit Deny in the caller's identity policies or in the bus's policy
  (principal, action, resource and conditions applying) refuses it;
- otherwise the caller's identity policies must allow it, and for a caller
  in another account than the bus's, the bus's policy must allow it too
  (a same-account Allow in the bus policy does not stand in for a missing
  identity Allow here).

Refused entries fail with AccessDeniedException in their result entry and
count in FailedEntryCount; the others are delivered. When every entry is
refused the whole call is refused with AccessDeniedException in JSON, the
answer AWS gives a caller no policy allows (`... is not authorized to
perform: events:PutEvents on resource: <bus> because no identity-based
policy allows the events:PutEvents action`). An entry for a bus of another
account is delivered to that account's bus; the delivered event's
`account` is then the bus owner's, not the sender's.
"""

import json
from json import JSONDecodeError
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.events.models import EventBus, EventsBackend, events_backends
from moto.events.responses import EventsHandler
from moto.iam.access_control import IAMRequest

import iam_checks
import iam_context
from aws_errors import AwsJsonError
from iam_conditions import Context

PUT_EVENTS = "events:PutEvents"
MAX_ENTRIES = 10
INVALID_POLICY = "This policy contains invalid Json"


class WrittenStatement:
    """A bus policy statement kept exactly as the policy document gave it."""

    def __init__(self, statement: dict[str, Any]):
        self.statement = statement
        self.sid = statement.get("Sid")
        self.principal = statement.get("Principal")

    def describe(self) -> dict[str, Any]:
        return self.statement


def replace_policy(event_bus: EventBus, policy: str) -> None:
    try:
        document = json.loads(policy)
    except JSONDecodeError:
        raise JsonRESTError("ValidationException", INVALID_POLICY) from None
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise JsonRESTError("ValidationException", INVALID_POLICY)
    event_bus.remove_statements()
    for index, statement in enumerate(statements):
        sid = statement.get("Sid")
        key = sid if isinstance(sid, str) and sid and sid not in event_bus._statements else f"statement-{index}"
        event_bus._statements[key] = WrittenStatement(statement)


def bus_arn_of(response: Any, entry: dict[str, Any]) -> str:
    bus = entry.get("EventBusName") or "default"
    return bus if bus.startswith("arn:") else iam_checks.regional_arn(response, "events", f"event-bus/{bus}")


def backend_of(bus_arn: str) -> EventsBackend | None:
    """The EventBridge backend of the bus's account and Region (arn:<p>:events:<region>:<account>:event-bus/<name>)."""
    parts = bus_arn.split(":")
    if len(parts) != 6 or not parts[5].startswith("event-bus/"):
        return None
    try:
        return events_backends[parts[4]][parts[3]]
    except KeyError:
        return None


def bus_policy(bus_arn: str) -> str | None:
    backend = backend_of(bus_arn)
    bus = backend.event_buses.get(bus_arn.split("/", 1)[-1]) if backend is not None else None
    return bus.policy if bus is not None else None


def entry_keys(entry: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    keys = {"events:source": entry.get("Source"), "events:detail-type": entry.get("DetailType")}
    return {key: (value,) for key, value in keys.items() if isinstance(value, str) and value}


def refusal(caller: IAMRequest, bus_arn: str, base_context: Context, entry: dict[str, Any]) -> str | None:
    """Why the caller may not put `entry` on its bus, or None when it may."""
    # A bus the emulator cannot place has no owner the caller could share an account with.
    owner = bus_arn.split(":")[4] if backend_of(bus_arn) is not None else None
    context = {**base_context, **entry_keys(entry)}
    return iam_checks.resource_policy_refusal(caller, PUT_EVENTS, bus_arn, owner, bus_policy(bus_arn), context)


def deliver(response: EventsHandler, bus_arn: str, entry: dict[str, Any]) -> dict[str, Any]:
    backend = backend_of(bus_arn) or response.events_backend
    if backend is response.events_backend:
        return backend.put_events([entry])[0]
    # moto resolves a bus ARN in the caller's own account: hand the entry to the bus's account by name.
    return backend.put_events([{**entry, "EventBusName": bus_arn.split("/", 1)[-1]}])[0]


def install() -> None:
    EventsBackend._put_permission_from_policy = staticmethod(replace_policy)

    authenticate_and_authorize = EventsHandler._authenticate_and_authorize_normal_action
    put_events = EventsHandler.put_events

    def authenticate_put_events(self: EventsHandler, resource: str = "*") -> None:
        """PutEvents: only the signature here; put_events authorizes each entry."""
        if self._get_action() != "PutEvents" or not iam_checks.auth_enforced():
            return authenticate_and_authorize(self, resource)
        caller = iam_checks.request_of(self, IAMRequest, "PutEvents")
        caller.check_signature()
        self.put_events_caller = caller

    def put_events_per_entry(self: EventsHandler) -> str:
        caller = getattr(self, "put_events_caller", None)
        entries = self._get_param("Entries") or []
        if caller is None or not entries or len(entries) > MAX_ENTRIES:
            # Not checked, or moto refuses the call before delivering anything.
            return put_events(self)
        base_context = iam_context.of_request(caller)
        targets = [bus_arn_of(self, entry) for entry in entries]
        refusals = [refusal(caller, bus_arn, base_context, entry) for bus_arn, entry in zip(targets, entries)]
        if all(refusals):
            raise AwsJsonError("AccessDeniedException", refusals[0] or "")
        results = [
            {"ErrorCode": "AccessDeniedException", "ErrorMessage": refused} if refused else deliver(self, bus_arn, entry)
            for bus_arn, entry, refused in zip(targets, entries, refusals)
        ]
        return json.dumps({"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results})

    EventsHandler._authenticate_and_authorize_normal_action = authenticate_put_events
    EventsHandler.put_events = put_events_per_entry
