"""The emulator's recent requests, kept in memory, written to a file when it stops.

What a run of the sandbox asked AWS for, call by call: which function made
which call (the benchmark counts them, bench/calls.ts), and, for a failure
that comes only now and then (a Terraform apply that meets an "already
exists" once in a few runs), which attempt of which SDK invocation reached
the emulator, what it answered, and whether the answer reached the client.
`--log-requests` writes a line per request as it goes, which slowed the
server enough to hide such failures; appending to this ring costs
microseconds.

Each line, tab-separated: start (UTC, microseconds), duration until the
answer was ready (ms), client port, method, operation, service (the
credential scope's signing name), caller, SDK invocation id and attempt (the
`amz-sdk-*` headers every AWS SDK sends), status, and `DROPPED` when the
client was gone before the answer was written. The caller is resolved when
the file is written, from the access key: `<account>:user/<name>`,
`<account>:assumed-role/<role>/<session>`, `unknown:<last 6 characters>` for
a key the emulator did not issue, `-` without credentials.
"""

import collections
import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from moto.iam.models import iam_backends
from moto.sts.models import sts_backends

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# About the last hour of a busy `up`, in a few MB of memory.
CAPACITY = 50_000
COLUMNS = "start (UTC)\tms\tclient port\tmethod\toperation\tservice\tcaller\tSDK invocation\tattempt\tstatus\tnote"
_ACTION = re.compile(rb"(?:^|&)Action=([A-Za-z0-9]+)")
_CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/")

_entries: collections.deque[list[Any]] = collections.deque(maxlen=CAPACITY)
_current = threading.local()


def _operation(environ: dict[str, Any]) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target)
    body = environ.get("wsgi.input")
    # Query-protocol services (IAM, STS, SNS, CloudFormation) name the action in the body.
    if hasattr(body, "getvalue"):
        match = _ACTION.search(body.getvalue()[:300])
        if match:
            return match.group(1).decode()
    # REST services (S3, Lambda): the path and the query's keys (`?versions&prefix`), which name the operation; no values.
    keys = [pair.split("=", 1)[0] for pair in environ.get("QUERY_STRING", "").split("&") if pair]
    return f"{environ.get('PATH_INFO', '')[:80]}{'?' + '&'.join(keys) if keys else ''}"


def record(app: WsgiApp) -> WsgiApp:
    """Wraps the WSGI app so every request gets an entry."""

    def recorded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        credential = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        entry = [
            time.time(),
            0.0,
            environ.get("REMOTE_PORT", "?"),
            environ.get("REQUEST_METHOD", "?"),
            _operation(environ),
            credential.group(2) if credential else "-",
            credential.group(1) if credential else None,
            environ.get("HTTP_AMZ_SDK_INVOCATION_ID", "-"),
            environ.get("HTTP_AMZ_SDK_REQUEST", "-").replace(" ", ""),
            "-",
            "",
        ]
        _entries.append(entry)
        _current.entry = entry
        started = time.perf_counter()

        def recording_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            entry[9] = status.split(" ", 1)[0]
            entry[1] = time.perf_counter() - started
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return app(environ, recording_start_response)

    return recorded


def next_request() -> None:
    """A connection's thread starts reading its next request: a drop now is not an answer's."""
    _current.entry = None


def connection_dropped(error: BaseException) -> None:
    """The client closed its connection before the answer was written (werkzeug drops it silently)."""
    entry = getattr(_current, "entry", None)
    if entry is not None:
        entry[10] = f"DROPPED {type(error).__name__}"


def _key_holders() -> dict[str, str]:
    """Access key id -> the IAM user or role session it belongs to, in every account moto holds."""
    holders: dict[str, str] = {}
    for account_id, partitions in list(iam_backends.items()):
        for backend in list(partitions.values()):
            for user in list(backend.users.values()):
                for key in user.access_keys:
                    holders[key.access_key_id] = f"{account_id}:user/{user.name}"
    for partitions in list(sts_backends.values()):
        for backend in list(partitions.values()):
            for session in list(backend.assumed_roles):
                # arn:<partition>:iam::<account>:role/<path/><name>
                role_account = session.role_arn.split(":")[4]
                role_name = session.role_arn.rsplit("/", 1)[-1]
                holders[session.access_key_id] = f"{role_account}:assumed-role/{role_name}/{session.session_name}"
    return holders


def _caller(access_key: str | None, holders: dict[str, str]) -> str:
    if access_key is None:
        return "-"
    return holders.get(access_key) or f"unknown:{access_key[-6:]}"


def write(path: str) -> None:
    holders = _key_holders()
    with open(path, "w", encoding="utf-8") as out:
        out.write(f"# {COLUMNS}\n")
        for start, duration, port, method, operation, service, key, invocation, attempt, status, note in list(_entries):
            stamp = datetime.fromtimestamp(start, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            caller = _caller(key, holders)
            out.write(f"{stamp}\t{duration * 1000:.1f}\t{port}\t{method}\t{operation}\t{service}\t{caller}\t{invocation}\t{attempt}\t{status}\t{note}\n")
