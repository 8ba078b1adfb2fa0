"""`stepstream dev` and `stepstream serve`: the app over Mastra's HTTP API, with uvicorn.

`dev` reloads when the code changes and starts Mastra Studio beside the API (on its own
port, pointed at it); without Node.js it says so and serves the API alone. `serve` is
the production form: no reload, no Studio.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from typing import Any

import click

from ._app import CliError, load_app
from ._studio import StudioUnavailable, ensure_installed, start_studio

#: Mastra's own defaults: the API on 4111, Studio on 3000.
DEFAULT_API_PORT, DEFAULT_STUDIO_PORT = 4111, 3000


def asgi_from_env() -> Any:
    """The ASGI app for `STEPSTREAM_APP` (uvicorn's factory in a reloading worker process)."""
    from ..server import create_app
    from ..server._process import prepare_server_process

    asgi = create_app(load_app(os.environ.get("STEPSTREAM_APP"), os.environ.get("STEPSTREAM_STORAGE_URL")))
    prepare_server_process()
    return asgi


def free_port(host: str) -> int:
    """A port the OS says is free now (for `--port 0`)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def say(message: str) -> None:
    click.echo(message, err=True)


def serve(spec: str | None, storage_url: str | None, *, host: str, port: int, reload: bool, studio_port: int | None) -> None:
    """Serves the app until interrupted; `studio_port` None means no Studio."""
    try:
        import uvicorn  # noqa: F401

        from ..server import create_app  # noqa: F401
    except ImportError as exc:
        raise CliError(f"Serving needs the 'server' extra ({exc.name} is missing): pip install 'stepstream[server]'") from None
    app = load_app(spec, storage_url)  # fails here, with one line, before anything listens
    port = port or free_port(host)
    os.environ["STEPSTREAM_APP"] = spec or ""
    if storage_url:
        os.environ["STEPSTREAM_STORAGE_URL"] = storage_url
    studio = open_studio(host, port, studio_port) if studio_port is not None else None
    say(f"API: http://{host}:{port}/api  (workflows: {', '.join(sorted(app.workflows))})")
    # uvicorn re-raises the SIGTERM it shut down on: leave through `finally` (Studio is stopped),
    # then end by that signal as uvicorn meant to.
    signal.signal(signal.SIGTERM, _terminated)
    try:
        _serve(app, studio, host=host, port=port, reload=reload)
    except _Terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)


def _serve(app: Any, studio: subprocess.Popen[bytes] | None, *, host: str, port: int, reload: bool) -> None:
    """Runs uvicorn until it stops; Studio, if any, is stopped with it."""
    import uvicorn  # checked by `serve`

    from ..server import create_app
    from ..server._process import prepare_server_process

    try:
        if reload:
            uvicorn.run("stepstream.cli._serve:asgi_from_env", factory=True, host=host, port=port, reload=True, reload_dirs=[os.getcwd()])
        else:
            asgi = create_app(app)
            prepare_server_process()
            uvicorn.run(asgi, host=host, port=port)
    finally:
        if studio is not None:
            studio.terminate()
            try:
                studio.wait(timeout=10)
            except subprocess.TimeoutExpired:
                studio.kill()


class _Terminated(BaseException):
    """SIGTERM reached `stepstream serve`/`dev` (after uvicorn's own shutdown, or before it ran)."""


def _terminated(signum: int, frame: object) -> None:
    raise _Terminated


def open_studio(host: str, api_port: int, studio_port: int) -> subprocess.Popen[bytes] | None:
    """Starts Studio (installing it on first use); None, said plainly, when it cannot run here."""
    api_host = "localhost" if host in ("0.0.0.0", "::", "") else host
    try:
        script = ensure_installed(say)
    except StudioUnavailable as exc:
        say(f"{exc}; serving the API alone.")
        return None
    studio_port = studio_port or free_port(api_host)
    process = start_studio(script, port=studio_port, api_host=api_host, api_port=api_port)
    say(f"Studio: http://{api_host}:{studio_port}  (Mastra Studio, pointed at the API)")
    return process
