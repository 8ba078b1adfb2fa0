"""Start a server process (stepstream's or Mastra's) and wait for its `listening PORT` line."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


class ServerProcess:
    """A server in a child process: `url`, `pid`, `stop()`."""

    def __init__(self, argv: Sequence[str], cwd: Path = ROOT, timeout: float = 60.0):
        self.proc = subprocess.Popen(list(argv), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        line = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("listening ") or not line:
                break
        if not line.startswith("listening "):
            self.proc.kill()
            _, err = self.proc.communicate(timeout=10)
            raise RuntimeError(f"server {argv!r} did not start: {line!r}\n{err}")
        self.pid = self.proc.pid
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far, from /proc."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        import os

        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate(timeout=10)


def stepstream_server(storage: str, *, pg_schema: str | None = None, delay: float = 0.0) -> ServerProcess:
    argv = [sys.executable, "-m", "tests.server.serve_main", "--storage", storage, "--delay", str(delay)]
    if pg_schema:
        argv += ["--pg-schema", pg_schema]
    return ServerProcess(argv)
