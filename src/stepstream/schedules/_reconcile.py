"""Declared schedules meet stored rows when the scheduler starts (Mastra's rules).

Missing rows are created; cron, time zone, inputs, metadata and catch-up are
patched when they differ (the next fire time is recomputed only when the cron
or time zone changed); a paused row stays paused; `wf_` rows of this app's
workflows whose declaration is gone are deleted. Processes starting together
are safe: creation is insert-only and every write is per row.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..storage.base import Schedule, ScheduleChanges
from ._declare import DECLARED_PREFIX, DeclaredSchedule
from ._scheduler import NEVER
from .cron import Cron

if TYPE_CHECKING:
    from ._scheduler import Host

log = logging.getLogger("stepstream.schedules")


def _next(d: DeclaredSchedule, now: int) -> int:
    nxt = Cron(d.cron, d.timezone).next_after(now)
    return NEVER if nxt is None else nxt


def _changes(row: Schedule, d: DeclaredSchedule, now: int) -> ScheduleChanges:
    changes: ScheduleChanges = {}
    for key in ("cron", "timezone", "input_data", "initial_state", "request_context", "metadata", "catch_up"):
        if getattr(row, key) != getattr(d, key):
            changes[key] = getattr(d, key)
    if "cron" in changes or "timezone" in changes:
        changes["next_fire_at"] = _next(d, now)
    return changes


async def reconcile(host: Host, now: int) -> None:
    """Brings the stored `wf_` rows in line with the workflows' declarations."""
    storage = host.storage
    workflows = {wf.id: wf for wf in host.workflows.values()}
    declared = {d.row_id: (wf_id, d) for wf_id, wf in workflows.items() for d in wf.schedules}
    rows = {row.id: row for row in await storage.list_schedules()}
    for row_id, (wf_id, d) in declared.items():
        row = rows.get(row_id)
        if row is None:
            fresh = Schedule(
                id=row_id,
                workflow_id=wf_id,
                cron=d.cron,
                timezone=d.timezone,
                next_fire_at=_next(d, now),
                input_data=d.input_data,
                initial_state=d.initial_state,
                request_context=d.request_context,
                metadata=d.metadata,
                catch_up=d.catch_up,
                created_at=now,
                updated_at=now,
            )
            if await storage.create_schedule(fresh):
                continue
            row = await storage.load_schedule(row_id)  # another process created it first
            if row is None:
                continue
        changes = _changes(row, d, now)
        if changes:
            await storage.update_schedule(row_id, changes)
    for row_id, row in rows.items():
        if row_id.startswith(DECLARED_PREFIX) and row_id not in declared and row.workflow_id in workflows:
            log.info("deleting schedule %r: workflow %r no longer declares it", row_id, row.workflow_id)
            await storage.delete_schedule(row_id)
