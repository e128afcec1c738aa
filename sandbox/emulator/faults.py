"""Throttling on demand: a share of chosen calls answered as AWS answers a call over its rate limit.

`POST /pipewright/faults` with `{"service": "codepipeline", "actions": ["CreatePipeline", ...], "share": 0.3}`
makes that share of each named action's calls fail with HTTP 400 and the JSON protocol's error,
`{"__type": "ThrottlingException", "message": "Rate exceeded"}`, before moto sees them. The
choice is deterministic and even: of an action's calls, numbered from 1 since the faults were
set, call n fails when n * share passes a whole number (a share of 0.3 fails calls 4, 7, 10,
14, ...; 0.5 every second; 1 every call). `GET /pipewright/faults` tells what is set and how
many calls of each action were throttled; `DELETE` clears the faults and answers the same, as
it was just before. Off unless asked for; only
JSON-protocol calls (an `X-Amz-Target` header) of the named service are matched, by the signing
name in the credential scope.
"""

import json
import math
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_CREDENTIAL = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/")

_lock = threading.Lock()
_service: str | None = None
_share = 0.0
_actions: frozenset[str] = frozenset()
_calls: dict[str, int] = {}
_throttled: dict[str, int] = {}


class FaultsError(ValueError):
    pass


def set_faults(body: Any) -> None:
    """Sets the faults from the POSTed body; raises FaultsError naming what is wrong."""
    global _service, _share, _actions, _calls, _throttled
    if not isinstance(body, dict):
        raise FaultsError(f"the body must be a JSON object, not {body!r}")
    service, actions, share = body.get("service"), body.get("actions"), body.get("share")
    if not isinstance(service, str) or not re.fullmatch(r"[a-z0-9-]+", service):
        raise FaultsError(f"service must be a signing name such as \"codepipeline\", not {service!r}")
    if not isinstance(actions, list) or not actions or not all(isinstance(a, str) and re.fullmatch(r"[A-Za-z]+", a) for a in actions):
        raise FaultsError(f"actions must be a non-empty list of action names such as \"CreatePipeline\", not {actions!r}")
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
        raise FaultsError(f"share must be a number above 0 and at most 1, not {share!r}")
    with _lock:
        _service, _share, _actions = service, float(share), frozenset(actions)
        _calls, _throttled = {}, {}


def _report() -> dict[str, Any]:
    return {"service": _service, "actions": sorted(_actions), "share": _share, "throttled": dict(_throttled)}


def clear() -> dict[str, Any]:
    """Clears the faults; returns what was set and throttled until now."""
    global _service, _share, _actions, _calls, _throttled
    with _lock:
        report = _report()
        _service, _share, _actions = None, 0.0, frozenset()
        _calls, _throttled = {}, {}
    return report


def describe() -> dict[str, Any]:
    with _lock:
        return _report()


def _throttles(environ: dict[str, Any]) -> bool:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if _service is None or not target:
        return False
    action = str(target).rsplit(".", 1)[-1]
    credential = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if action not in _actions or credential is None or credential.group(1) != _service:
        return False
    with _lock:
        if action not in _actions:
            return False
        n = _calls.get(action, 0) + 1
        _calls[action] = n
        # Bresenham: exactly floor(n * share) of the first n calls fail, spread evenly.
        failed = math.floor(n * _share + 1e-9) > math.floor((n - 1) * _share + 1e-9)
        if failed:
            _throttled[action] = _throttled.get(action, 0) + 1
        return failed


def throttling(app: WsgiApp) -> WsgiApp:
    def answer(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not _throttles(environ):
            return app(environ, start_response)
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        start_response(
            "400 Bad Request",
            [
                ("Content-Type", "application/x-amz-json-1.1"),
                ("x-amzn-ErrorType", "ThrottlingException"),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]

    return answer
