"""The `stepstream` command (extra `cli`): run workflows, inspect and resume runs, serve them.

Built on Click (the most used, best-kept Python CLI toolkit: typed, composable command
groups, environment-variable options, a test runner) and rich (live terminal output:
colours, progress bars, prompts). `main()` is the console script.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Entry point of the `stepstream` console script."""
    try:
        from ._commands import cli
    except ImportError as exc:  # the extra is missing: say which one to install
        if exc.name not in ("click", "rich"):
            raise
        sys.stderr.write(f"stepstream's command line needs the 'cli' extra ({exc.name} is missing): pip install 'stepstream[cli]'\n")
        raise SystemExit(1) from None
    try:
        cli(prog_name="stepstream")
    except SystemExit as exc:
        _leave_past_temporal(exc.code)
        raise


def _leave_past_temporal(code: object) -> None:
    """Ends the process without interpreter teardown once Temporal's client has been loaded.

    The Rust threads behind temporalio's client can call into Python while the interpreter
    finalizes and abort the process ("PyGILState_Release: thread state ... must be current",
    temporalio/sdk-python#300, open upstream): a command that succeeded would then exit with
    SIGABRT. Everything the command wrote is flushed first; storage was closed by the command.
    """
    if "temporalio.bridge.temporal_sdk_bridge" not in sys.modules:
        return
    status = code if isinstance(code, int) else (0 if code is None else 1)
    if code is not None and not isinstance(code, int):
        sys.stderr.write(f"{code}\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


__all__ = ["main"]
