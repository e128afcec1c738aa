"""A fixed answer delay on demand, like the network and AWS's own time.

The benchmark reads from the request history which calls a function had in
flight together. Here the emulator answers in a millisecond or two, less
than a function takes to prepare its next request, so calls the function
sent side by side reach the emulator one after the other and look
sequential. With every answer held back longer than that (the benchmark
asks for 200 ms through `POST /pipewright/latency`), calls sent together
overlap in the history and calls that waited on an answer never do. Off
(0 ms) unless asked for; the server's own routes are never delayed.
"""

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

MAX_MILLISECONDS = 10_000

_lock = threading.Lock()
_seconds = 0.0


class LatencyError(ValueError):
    pass


def set_milliseconds(value: Any) -> None:
    """Every later request waits this long before moto answers it; 0 switches the delay off."""
    global _seconds
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MILLISECONDS:
        raise LatencyError(f"milliseconds must be a whole number from 0 to {MAX_MILLISECONDS}, not {value!r}")
    with _lock:
        _seconds = value / 1000


def milliseconds() -> int:
    return round(_seconds * 1000)


def delayed(app: WsgiApp) -> WsgiApp:
    def answer_later(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if _seconds:
            # Sleeping releases the GIL: other requests go on meanwhile.
            time.sleep(_seconds)
        return app(environ, start_response)

    return answer_later
