"""Scheduled workflows: cron schedules that fire each slot exactly once across replicas.

Declare them on a workflow (`create_workflow(..., schedule={...})`) or create
them at run time (`app.schedules.create(...)`); `app.scheduler.start()` fires
them. See docs/schedules.md.
"""

from __future__ import annotations

from ..storage.base import CatchUp, Schedule, ScheduleStatus, ScheduleTrigger, TriggerKind, TriggerOutcome
from ._clock import Clock, SystemClock
from ._declare import DeclaredSchedule, ScheduleConfig, declared_row_id
from ._scheduler import Scheduler, SchedulerConfig
from ._service import Schedules, TriggerPage
from ._timing import FirePlan, plan_fire
from .cron import Cron, check_cron

__all__ = [
    "CatchUp",
    "Clock",
    "Cron",
    "DeclaredSchedule",
    "FirePlan",
    "Schedule",
    "ScheduleConfig",
    "ScheduleStatus",
    "ScheduleTrigger",
    "Scheduler",
    "SchedulerConfig",
    "Schedules",
    "SystemClock",
    "TriggerKind",
    "TriggerOutcome",
    "TriggerPage",
    "check_cron",
    "declared_row_id",
    "plan_fire",
]
