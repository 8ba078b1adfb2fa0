"""stepstream on Temporal (extra: `pip install 'stepstream[temporal]'`).

Temporal (https://temporal.io) is the durable-execution engine stepstream runs on when one
machine is not enough; its Python SDK, `temporalio`, is imported only here, so plain
`import stepstream` works without it. See docs/temporal.md.

    from stepstream.temporal import data_converter, dev_server
    async with dev_server() as env:      # a local Temporal server, for development and tests
        address = env.client.service_client.config.target_host
        client = await Client.connect(address, data_converter=data_converter(storage))

`data_converter(storage)` carries pydantic values, and keeps payloads over 256 KB in
stepstream storage as references (Temporal caps a payload at 2 MB);
`workflow_runner("myapp.flows")` is Temporal's sandbox with stepstream, pydantic and the
named flow modules passed through.
"""

from __future__ import annotations

try:
    import temporalio  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("stepstream.temporal needs the 'temporal' extra: pip install 'stepstream[temporal]'") from exc

from ._dev_server import dev_server as dev_server
from ._dev_server import find_cli as find_cli
from ._executor import TemporalExecutor as TemporalExecutor
from ._payloads import DEFAULT_THRESHOLD as DEFAULT_THRESHOLD
from ._payloads import StoragePayloadDriver as StoragePayloadDriver
from ._payloads import data_converter as data_converter
from ._sandbox import PASSTHROUGH as PASSTHROUGH
from ._sandbox import workflow_runner as workflow_runner
from ._worker import StepstreamWorkflow as StepstreamWorkflow
from ._worker import create_worker as create_worker
from ._worker import run_worker as run_worker

__all__ = [
    "DEFAULT_THRESHOLD",
    "PASSTHROUGH",
    "StepstreamWorkflow",
    "StoragePayloadDriver",
    "TemporalExecutor",
    "create_worker",
    "data_converter",
    "dev_server",
    "find_cli",
    "run_worker",
    "workflow_runner",
]
