"""The emulator's recent requests, kept in memory, written to a file when it stops.

A failure that comes only now and then (a Terraform apply that meets an
"already exists" once in a few runs) is explained by the calls around it:
which attempt of which SDK invocation reached the emulator, what it
answered, and whether the answer reached the client. `--log-requests`
writes a line per request as it goes, which slowed the server enough to
hide such failures; appending to this ring costs microseconds.

Each line: start time, duration, client port, method, operation, account
key, SDK invocation id and attempt (the `amz-sdk-*` headers every AWS SDK
sends), status, and `DROPPED` when the client was gone before the answer
was written.
"""

import collections
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# About the last hour of a busy `up`, in a few MB of memory.
CAPACITY = 50_000
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
    query = environ.get("QUERY_STRING", "")
    return f"{environ.get('PATH_INFO', '')[:80]}{'?' + query[:40] if query else ''}"


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
            f"{credential.group(2)}:{credential.group(1)[-6:]}" if credential else "-",
            environ.get("HTTP_AMZ_SDK_INVOCATION_ID", "-"),
            environ.get("HTTP_AMZ_SDK_REQUEST", "-").replace(" ", ""),
            "-",
            "",
        ]
        _entries.append(entry)
        _current.entry = entry
        started = time.perf_counter()

        def recording_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            entry[8] = status.split(" ", 1)[0]
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
        entry[9] = f"DROPPED {type(error).__name__}"


def write(path: str) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write("# start (UTC)\tms\tclient port\tmethod\toperation\tservice:key\tSDK invocation\tattempt\tstatus\tnote\n")
        for start, duration, port, method, operation, key, invocation, attempt, status, note in list(_entries):
            stamp = time.strftime("%H:%M:%S", time.gmtime(start)) + f".{int(start * 1000) % 1000:03d}"
            out.write(f"{stamp}\t{duration * 1000:.1f}\t{port}\t{method}\t{operation}\t{key}\t{invocation}\t{attempt}\t{status}\t{note}\n")
