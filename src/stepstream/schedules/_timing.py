"""When a due schedule fires, and what comes next: pure, so tests need no clock at all."""

from __future__ import annotations

from dataclasses import dataclass

from .cron import Cron


@dataclass(frozen=True)
class FirePlan:
    """`fire_at`: the slot to fire now (None: fire nothing); `next_fire_at`: the following
    slot; `missed`: slots that came due and were not fired on time (0 normally)."""

    fire_at: int | None
    next_fire_at: int | None
    missed: bool


def plan_fire(cron: Cron, scheduled_at: int, now: int, catch_up: str) -> FirePlan:
    """The plan for a schedule due at `scheduled_at` (<= now).

    On time (no later slot is due yet), the slot fires, even if a little late. If a
    later slot is due too, no scheduler ran through a whole period: the slots were
    missed. `skip` fires none of them, `latest` fires the latest. Either way the next
    fire time is the first slot after now: missed slots are never back-filled.
    """
    following = cron.next_after(scheduled_at)
    next_fire_at = cron.next_after(now)
    if following is None or following > now:
        return FirePlan(scheduled_at, next_fire_at, False)
    if catch_up == "latest":
        return FirePlan(cron.latest_until(scheduled_at, now), next_fire_at, True)
    return FirePlan(None, next_fire_at, True)
