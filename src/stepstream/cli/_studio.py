"""Mastra Studio for `stepstream dev`: Mastra's own UI, from the pinned npm package `mastra`.

Studio's files are never copied into this project: on first use, npm installs the pinned
`mastra` package into a cache directory (`$STEPSTREAM_STUDIO_DIR`, else
`$XDG_CACHE_HOME/stepstream/studio-<version>`, else `~/.cache/...`), and
`mastra studio` serves Studio on its own port, pointed at our API server.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

#: The `mastra` npm package whose Studio is served (measured against this server).
STUDIO_PACKAGE = "mastra"
STUDIO_VERSION = "1.31.0"


class StudioUnavailable(Exception):
    """Studio cannot be started here (no Node.js, or npm could not install it); the message says why."""


def cache_dir() -> Path:
    """Where the pinned Studio package is installed."""
    if os.environ.get("STEPSTREAM_STUDIO_DIR"):
        return Path(os.environ["STEPSTREAM_STUDIO_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "stepstream" / f"studio-{STUDIO_VERSION}"


def studio_bin(root: Path) -> Path:
    return root / "node_modules" / STUDIO_PACKAGE / "dist" / "index.js"


def ensure_installed(say: Callable[[str], None]) -> Path:
    """The `mastra` CLI script, installing the pinned package with npm on first use."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise StudioUnavailable("Studio needs Node.js (node and npm on PATH); install Node.js 20+ to get it")
    root = cache_dir()
    script = studio_bin(root)
    if script.is_file():
        return script
    root.mkdir(parents=True, exist_ok=True)
    say(f"Installing Mastra Studio ({STUDIO_PACKAGE}@{STUDIO_VERSION}) into {root} with npm (first use only)...")
    (root / "package.json").write_text('{"name": "stepstream-studio", "private": true}\n')
    command = [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", f"{STUDIO_PACKAGE}@{STUDIO_VERSION}"]
    proc = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if proc.returncode != 0 or not script.is_file():
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise StudioUnavailable(f"npm could not install {STUDIO_PACKAGE}@{STUDIO_VERSION} into {root}: {last}")
    return script


def start_studio(script: Path, *, port: int, api_host: str, api_port: int) -> subprocess.Popen[bytes]:
    """Runs `mastra studio` on `port`, talking to the API at `api_host:api_port`."""
    node = shutil.which("node") or "node"
    command = [node, str(script), "studio", "--port", str(port), "--server-host", api_host, "--server-port", str(api_port)]
    env = {**os.environ, "MASTRA_TELEMETRY_DISABLED": "1"}
    ends_with_us = _end_with_parent if sys.platform == "linux" else None
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, start_new_session=True, preexec_fn=ends_with_us)


def _end_with_parent() -> None:
    """In the Studio child, before it runs node: Linux sends it SIGTERM when this process dies,
    however it dies (SIGKILL included), so no Studio outlives the server it points at."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
