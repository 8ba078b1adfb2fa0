"""The `stepstream` command (extra `cli`): run workflows, inspect and resume runs, serve them.

Built on Click (the most used, best-kept Python CLI toolkit: typed, composable command
groups, environment-variable options, a test runner) and rich (live terminal output:
colours, progress bars, prompts). `main()` is the console script.
"""

from __future__ import annotations

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
    cli(prog_name="stepstream")


__all__ = ["main"]
