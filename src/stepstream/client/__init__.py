"""A Python client for a server speaking Mastra's workflow API (extra: `pip install 'stepstream[client]'`).

    async with Client("http://127.0.0.1:4111", token="secret") as client:
        run = await client.get_workflow("approval").create_run()
        async for event in run.stream(input_data={"value": "hi"}):
            print(event.type)

Remote workflows and runs mirror the local API and return the same `WorkflowResult` and
`WorkflowEvent` types; server errors arrive as the same exception classes. The client
imports neither the engine nor storage.
"""

from __future__ import annotations

try:
    import httpx  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("stepstream.client needs the 'client' extra: pip install 'stepstream[client]'") from exc

from ._http import RemoteError as RemoteError
from ._remote import Client as Client
from ._remote import RemoteRun as RemoteRun
from ._remote import RemoteWorkflow as RemoteWorkflow
from ._stream import RemoteStream as RemoteStream

__all__ = ["Client", "RemoteError", "RemoteRun", "RemoteStream", "RemoteWorkflow"]
