"""Python's full garbage collections, done while the emulator is idle.

After `up` the emulator holds some 300,000 tracked objects (moto's state,
botocore's service models). A full collection walks all of them with the
GIL held: 130-175 ms in which no request is answered, about once per
benchmark run (four bursts of 50 pull requests), landing inside a burst.

So, once no request has started for IDLE_SECONDS after some activity, this
collects everything and then freezes the survivors (gc.freeze): the
collections Python starts by itself during the next burst walk only the
objects made since. The next idle moment unfreezes and collects again, so
garbage among the frozen objects is still reclaimed, a little later. A
request that arrives during an idle collection waits for it, as it would
have waited for Python's own.
"""

import gc
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Long polls (SQS ReceiveMessage, 10 s) start every few seconds, so "idle"
# means no request started lately, not none in progress.
IDLE_SECONDS = 1.0


class IdleCollector:
    def __init__(self, idle_seconds: float = IDLE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._idle_seconds = idle_seconds
        self._clock = clock
        self._last_request = clock()
        self._requested_since_collection = False

    def wrap(self, app: WsgiApp) -> WsgiApp:
        def noted(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            self._last_request = self._clock()
            self._requested_since_collection = True
            return app(environ, start_response)

        return noted

    def collect_if_idle(self) -> bool:
        """One check; True if it collected."""
        if not self._requested_since_collection or self._clock() - self._last_request < self._idle_seconds:
            return False
        self._requested_since_collection = False
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        return True

    def run(self) -> None:
        while True:
            time.sleep(self._idle_seconds / 4)
            self.collect_if_idle()

    def start(self) -> None:
        threading.Thread(target=self.run, name="idle-gc", daemon=True).start()
