"""pipewright's AWS emulator: moto's server, patched for pipewright's tests.

Usage: python3 sandbox/emulator/server.py [--port N] [--log-requests] [--request-history FILE] [--exit-on-stdin-eof]

Serves on 127.0.0.1 and prints one line, `EMULATOR_READY port=<n>`, once it
answers HTTP. `--port 0` (the default) lets the OS pick a free port. Needs the
moto release requirements.txt names, exactly: it refuses to start on another.
"""

import argparse
import faulthandler
import json
import logging
import re
import signal
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

# Keep the source tree clean: no __pycache__ next to these modules.
sys.dont_write_bytecode = True

REQUIREMENTS_FILE = Path(__file__).with_name("requirements.txt")


def required_moto_version() -> str:
    """The exact release requirements.txt pins (`moto[server]==X.Y.Z`)."""
    for line in REQUIREMENTS_FILE.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"moto\[server\]==(\S+)", line.strip())
        if match:
            return match.group(1)
    sys.exit(f"{REQUIREMENTS_FILE} pins no moto release (a line moto[server]==X.Y.Z). Fix: restore the file from git")


def check_moto_version(installed: str, required: str) -> None:
    """Exits, naming the fix, unless `installed` is the release the patches were written against."""
    if installed != required:
        sys.exit(
            f"moto {installed} is installed, but pipewright's AWS emulator needs moto {required}: its patches replace "
            f"internals of that exact release. Fix: python3 -m pip install 'moto[server]=={required}'"
        )


try:
    import moto
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import BaseWSGIServer, make_server
except ImportError as error:
    sys.exit(f"moto's server is not installed ({error}). Fix: python3 -m pip install 'moto[server]=={required_moto_version()}'")

# Before the patches are imported: they import moto internals that another release may not have.
check_moto_version(moto.__version__, required_moto_version())

import action_outcomes
import codebuild_sources
import ecr_images
import ecr_repositories
import epoch_timestamps
import event_bus_policies
import faults
import event_targets
import iam_checks
import iam_conditions
import jsonpath_cache
import keep_alive
import latency
import lifecycle_hooks
import pipeline_api
import request_history
import s3_bucket_policies
import s3_delete_objects
import thread_safety

READY_LINE = "EMULATOR_READY port={port}"
HEALTH_PATH = "/pipewright/health"
LIFECYCLE_HOOK_STATUSES_PATH = "/pipewright/lifecycle-hook-statuses"
LATENCY_PATH = "/pipewright/latency"
FAULTS_PATH = "/pipewright/faults"
ACTION_OUTCOMES_PATH = "/pipewright/action-outcomes"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one")
    parser.add_argument("--log-requests", action="store_true", help="log every request to stderr")
    parser.add_argument("--request-history", metavar="FILE", help="write the last requests to FILE when stopping")
    parser.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="exit when stdin closes, so the server dies with the process that started it",
    )
    return parser.parse_args(argv)


def install_patches() -> None:
    """Must run before the first request: moto builds its service apps lazily."""
    epoch_timestamps.install()
    pipeline_api.install()
    lifecycle_hooks.install()
    codebuild_sources.install()
    # After pipeline_api, whose CreatePipeline/UpdatePipeline it wraps; s3_delete_objects builds on it.
    iam_checks.install()
    iam_conditions.install()
    event_targets.install()
    event_bus_policies.install()
    s3_bucket_policies.install()
    s3_delete_objects.install()
    ecr_repositories.install()
    ecr_images.install()
    jsonpath_cache.install()
    thread_safety.install()
    keep_alive.install()


def json_response(start_response: Callable[..., Any], payload: Any, status: str = "200 OK") -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def set_latency(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """POST {"milliseconds": n}: see latency.py."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        latency.set_milliseconds(json.loads(environ["wsgi.input"].read(length) or b"null").get("milliseconds"))
    except (ValueError, AttributeError) as error:
        message = f"{error}. Fix: POST {LATENCY_PATH} with a body like {{\"milliseconds\": 200}}"
        return json_response(start_response, {"message": message}, "400 Bad Request")
    return json_response(start_response, {"milliseconds": latency.milliseconds()})


def set_faults(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """POST {"service": ..., "actions": [...], "share": s}: see faults.py."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        faults.set_faults(json.loads(environ["wsgi.input"].read(length) or b"null"))
    except ValueError as error:
        example = '{"service": "codepipeline", "actions": ["CreatePipeline"], "share": 0.3}'
        return json_response(start_response, {"message": f"{error}. Fix: POST {FAULTS_PATH} with a body like {example}"}, "400 Bad Request")
    return json_response(start_response, faults.describe())


def set_action_outcomes(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """POST {"rules": [...]}: see action_outcomes.py."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        action_outcomes.set_rules(json.loads(environ["wsgi.input"].read(length) or b"null"))
    except ValueError as error:
        example = '{"rules": [{"pipeline": "pipewright-*", "stage": "Build", "outcome": "Succeeded"}]}'
        message = f"{error}. Fix: POST {ACTION_OUTCOMES_PATH} with a body like {example}"
        return json_response(start_response, {"message": message}, "400 Bad Request")
    return json_response(start_response, action_outcomes.describe())


def serve_layer(path: str, start_response: Callable[..., Any]) -> list[bytes]:
    """GET of an ECR layer by the URL GetDownloadUrlForLayer gave: see ecr_images.py."""
    layer = ecr_images.layer_bytes(path)
    if layer is None:
        message = f"No ECR layer at {path}. Fix: ask GetDownloadUrlForLayer for the URL of a layer the repository has"
        return json_response(start_response, {"message": message}, "404 Not Found")
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(layer)))])
    return [layer]


def with_pipewright_routes(moto_app: WsgiApp) -> WsgiApp:
    """Serve the emulator's own endpoints; pass everything else to moto (after the latency and the faults asked for)."""
    delayed_moto_app = latency.delayed(faults.throttling(moto_app))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if method == "GET" and path == HEALTH_PATH:
            return json_response(start_response, {"status": "ok"})
        if method == "GET" and path == LIFECYCLE_HOOK_STATUSES_PATH:
            return json_response(start_response, {"lifecycleHookStatuses": lifecycle_hooks.recorded_statuses()})
        if method == "POST" and path == LATENCY_PATH:
            return set_latency(environ, start_response)
        if method == "POST" and path == FAULTS_PATH:
            return set_faults(environ, start_response)
        if method == "DELETE" and path == FAULTS_PATH:
            return json_response(start_response, faults.clear())
        if method == "GET" and path == FAULTS_PATH:
            return json_response(start_response, faults.describe())
        if method == "POST" and path == ACTION_OUTCOMES_PATH:
            return set_action_outcomes(environ, start_response)
        if method == "DELETE" and path == ACTION_OUTCOMES_PATH:
            return json_response(start_response, action_outcomes.clear())
        if method == "GET" and path == ACTION_OUTCOMES_PATH:
            return json_response(start_response, action_outcomes.describe())
        if method == "GET" and path.startswith(ecr_images.LAYERS_PATH):
            return serve_layer(path, start_response)
        return delayed_moto_app(environ, start_response)

    return app


def announce_when_answering(port: int) -> None:
    """Print the readiness line only after a real HTTP round trip succeeds."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{HEALTH_PATH}", timeout=10) as response:
        response.read()
    print(READY_LINE.format(port=port), flush=True)


def exit_when_stdin_closes(server: BaseWSGIServer) -> None:
    """The launcher holds our stdin open; EOF means it has gone, so stop serving."""
    sys.stdin.read()
    server.shutdown()


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    if not args.log_requests:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    install_patches()

    app = with_pipewright_routes(DomainDispatcherApplication(create_backend_app))
    if args.request_history:
        app = request_history.record(app)
    server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=keep_alive.KeepAliveRequestHandler)
    # SIGTERM (the launcher's stop) must end serve_forever() like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # `kill -USR2 <pid>` prints every thread's stack on stderr: for a request that never answers.
    faulthandler.register(signal.SIGUSR2, all_threads=True)

    threading.Thread(target=announce_when_answering, args=(server.server_port,), daemon=True).start()
    if args.exit_on_stdin_eof:
        threading.Thread(target=exit_when_stdin_closes, args=(server,), daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if args.request_history:
            request_history.write(args.request_history)


if __name__ == "__main__":
    main(sys.argv[1:])
