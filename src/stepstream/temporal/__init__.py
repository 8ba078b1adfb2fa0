"""stepstream on Temporal (extra: `pip install 'stepstream[temporal]'`).

Temporal (https://temporal.io) is the durable-execution engine stepstream runs on when one
machine is not enough; its Python SDK, `temporalio`, is imported only here, so plain
`import stepstream` works without it. See docs/temporal.md.

    from stepstream.temporal import dev_server
    async with dev_server() as env:      # a local Temporal server, for development and tests
        client = env.client
"""

from __future__ import annotations

try:
    import temporalio  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("stepstream.temporal needs the 'temporal' extra: pip install 'stepstream[temporal]'") from exc

from ._dev_server import dev_server as dev_server
from ._dev_server import find_cli as find_cli

__all__ = ["dev_server", "find_cli"]
