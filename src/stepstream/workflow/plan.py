"""The frozen execution plan a committed workflow runs: one node per builder call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ..step import Condition, Step


@dataclass(frozen=True, slots=True)
class EntryOptions:
    """A control-flow entry's `id`, `description` and `metadata` (Mastra's
    StepFlowEntryOptions): identity and display only, they never change execution.
    They name and annotate the entry's tracing span."""

    id: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None

    def __bool__(self) -> bool:
        return self.id is not None or self.description is not None or self.metadata is not None


@dataclass(frozen=True, slots=True)
class StepNode:
    """`.then(step)` (and `.map(...)`, which inserts a mapping step)."""

    step: Step
    entry: EntryOptions = EntryOptions()

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.step.id,)


@dataclass(frozen=True, slots=True)
class ParallelNode:
    """`.parallel([...])`: every step runs on the same input."""

    steps: tuple[Step, ...]
    allow_failure: bool = False
    entry: EntryOptions = EntryOptions()

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.steps)


@dataclass(frozen=True, slots=True)
class ConditionalNode:
    """`.branch([(condition, step), ...])`: every step whose condition holds runs."""

    branches: tuple[tuple[Condition, Step], ...]
    entry: EntryOptions = EntryOptions()

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for _, s in self.branches)


@dataclass(frozen=True, slots=True)
class LoopNode:
    """`.dowhile(step, cond)` / `.dountil(step, cond)`."""

    step: Step
    condition: Condition
    kind: Literal["dowhile", "dountil"]
    entry: EntryOptions = EntryOptions()

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.step.id,)


@dataclass(frozen=True, slots=True)
class ForeachNode:
    """`.foreach(step, concurrency=n)`: the step over each item of an array input.
    `concurrency` is an int, or a function of the context resolved when the foreach starts."""

    step: Step
    concurrency: int | Callable[..., Any]
    entry: EntryOptions = EntryOptions()

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.step.id,)


@dataclass(frozen=True, slots=True)
class SleepNode:
    """`.sleep(ms | fn)` / `.sleep_until(datetime | fn)`: waits, passing its input on."""

    id: str
    duration: int | float | Callable[..., Any] | None = None
    until: datetime | Callable[..., Any] | None = None
    entry: EntryOptions = EntryOptions()

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id,)


Node = StepNode | ParallelNode | ConditionalNode | LoopNode | ForeachNode | SleepNode
