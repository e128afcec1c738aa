"""HTTP keep-alive for the emulator's server.

werkzeug's development server ends every response with `Connection: close`
(it cannot tell where an unread request body ends and the next request
begins), so every AWS call paid a TCP connection in the SDK and a new
thread here. This handler reads a request's body (Content-Length) before
the application runs, so the next request on the connection starts exactly
after it; then the connection can stay open. werkzeug's "drain what the
application did not read" step has nothing left to drain on such a
connection, and would swallow the client's next request, so it is skipped
there. Requests with a chunked body, `Connection: close` or HTTP/1.0 close
their connection as before.
"""

import io
import selectors
import threading
import types
from typing import Any

import werkzeug.serving
from werkzeug.serving import WSGIRequestHandler

import request_history

_connection = threading.local()


class _NothingToDrain:
    """Stands in for werkzeug's drain selector on a kept-alive connection."""

    def register(self, *_args: Any, **_kwargs: Any) -> None:
        pass

    def select(self, timeout: float | None = None) -> list[Any]:
        return []

    def close(self) -> None:
        pass


def _selector() -> Any:
    return _NothingToDrain() if getattr(_connection, "kept_alive", False) else selectors.DefaultSelector()


class _OneWriteResponses:
    """The connection's writer: a response's headers go out with its first body bytes."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._headers = b""

    def hold_headers(self, data: bytes) -> None:
        self._headers += data

    def write(self, data: bytes) -> int:
        if self._headers:
            data, self._headers = self._headers + data, b""
        return self._raw.write(data)

    def flush(self) -> None:
        if self._headers:
            self.write(b"")
        self._raw.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class KeepAliveRequestHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle's algorithm on, a kept-alive
    # connection waited for the client's delayed ACK (~40 ms) on every response.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self.wfile = _OneWriteResponses(self.wfile)

    def flush_headers(self) -> None:
        # Terraform's AWS provider (Go) now and then dropped a connection, and retried a create
        # that had succeeded, when a response's headers and body came in separate segments.
        if hasattr(self, "_headers_buffer"):
            self.wfile.hold_headers(b"".join(self._headers_buffer))
            self._headers_buffer = []

    def handle_one_request(self) -> None:
        # Until this request's body is read, an error answer must close the connection.
        _connection.kept_alive = False
        request_history.next_request()
        super().handle_one_request()

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        request_history.connection_dropped(error)

    def make_environ(self) -> Any:
        environ = super().make_environ()
        length = environ.get("CONTENT_LENGTH")
        kept_alive = (
            not self.close_connection
            and "HTTP_TRANSFER_ENCODING" not in environ
            and (not length or length.isdigit())
        )
        if kept_alive and length:
            environ["wsgi.input"] = io.BytesIO(self.rfile.read(int(length)))
        _connection.kept_alive = kept_alive
        return environ

    def send_header(self, keyword: str, value: str) -> None:
        # werkzeug's unconditional close; http.server would end the connection on it.
        if keyword.lower() == "connection" and value.lower() == "close" and getattr(_connection, "kept_alive", False):
            return
        super().send_header(keyword, value)


def install() -> None:
    werkzeug.serving.selectors = types.SimpleNamespace(DefaultSelector=_selector, EVENT_READ=selectors.EVENT_READ)  # type: ignore[assignment]
