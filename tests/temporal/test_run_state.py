"""The run state of a walk on Temporal (`stepstream.temporal._walk.TemporalRunState`)."""

from __future__ import annotations

from stepstream.events import WORKFLOW_START
from stepstream.request_context import RequestContext
from stepstream.storage import InMemoryStorage
from stepstream.temporal._walk import TemporalRunState


async def test_events_wait_for_the_next_activity_without_a_flush_timer() -> None:
    """In the workflow a flush timer would append to storage from Temporal's event loop
    (which has no I/O): the events stay pending, numbered, for the next activity to write."""
    rs = TemporalRunState(
        run_id="r",
        workflow_id="w",
        storage=InMemoryStorage(),
        request_context=RequestContext({}),
        state={},
        records={},
        sinks=[],
    )
    rs.log = True
    rs.next_offset = 3
    rs.emit(WORKFLOW_START, {"workflowId": "w"})
    rs.emit("workflow-step-start", {"id": "a"}, ready=False)
    assert rs.flush_off  # never registered with a flush clock
    assert [offset for offset, _ in rs.take()] == [3, 4]
    assert rs.take() == []
