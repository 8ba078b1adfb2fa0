"""The host: everything the walk does that is not graph semantics.

The walk (`_executor`, `_foreach`) decides what happens next from the plan and the
records; every effect and every nondeterministic value goes through one `Host`:

- the clock (`now_ms`) and new ids (`new_call_id`);
- one step attempt (`attempt`): validation, the step body, output validation;
- user functions the walk evaluates: conditions, map, sleep and concurrency functions (`call`);
- waits and sleeps (`wait`), which a cancel ends early;
- storage writes (`save_step`, `set_run_status`, `delete_steps`; a foreach's single items
  with `ItemHost`, where the storage keeps them in rows of their own);
- events: the walk builds and numbers them (`RunExecution.emit`); they reach the run's
  event log with the host's next storage write, which carries them;
- the running mark of slow steps (`mark_running` / `settle_running`);
- yield points (`pace`), where a host may hand the event loop to other work.

`LocalHost` is today's in-process behaviour. A Temporal host implements the same
methods from a workflow: an attempt is an activity, `wait` is `workflow.sleep`, the
clock and ids come from `workflow.now()` / `workflow.uuid4()`. `tests/engine/test_walk.py`
drives the walk on a fake host with a fake clock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ..results import StepResult
from ..storage.base import RunChanges

if TYPE_CHECKING:
    from ..step import Step
    from ..types import RunStatus
    from ._executor import LevelWalk
    from ._state import _Attempt


class AttemptRequest:
    """One attempt of one step: what a host needs to run the step body.

    Everything but `ex` is JSON data, so a distributed host can ship it to a worker
    (the worker finds the step by `workflow_id` and `path`); `ex` is the in-process
    handle the local host builds the `StepContext` from."""

    __slots__ = ("ex", "iteration", "key", "resume_data", "retry_count", "step", "suspend_data", "value")

    def __init__(
        self,
        ex: LevelWalk,
        step: Step,
        key: str,
        value: Any,
        resume_data: Any,
        suspend_data: Any,
        retry_count: int,
        iteration: int | None,
    ):
        self.ex = ex
        self.step = step
        self.key = key
        self.value = value
        self.resume_data = resume_data
        self.suspend_data = suspend_data
        self.retry_count = retry_count
        self.iteration = iteration

    @property
    def workflow_id(self) -> str:
        """The id of the workflow level the step is in."""
        return self.ex.workflow.id

    @property
    def path(self) -> str:
        """The step's record key in the run (`outer.inner` inside nested workflows)."""
        return self.ex.prefix + self.key


class Host(Protocol):
    """What the walk asks of the world. See the module docstring."""

    def now_ms(self) -> int:
        """Milliseconds since the epoch."""
        ...

    def new_call_id(self) -> str:
        """A fresh UUID4-format id (a `stepCallId`)."""
        ...

    def attempt(self, request: AttemptRequest) -> Awaitable[_Attempt]:
        """Runs one attempt of a step body; never raises for the step's own errors."""
        ...

    async def call(self, fn: Callable[[Any], Any], ctx: Any, *, inline: bool = False) -> Any:
        """Calls a user function (condition, map, sleep or concurrency function) with `ctx`;
        awaits what it returns if that is awaitable."""
        ...

    async def wait(self, seconds: float) -> bool:
        """Sleeps `seconds`; True if the run was canceled meanwhile (the wait ends at once)."""
        ...

    async def save_step(self, key: str, record: StepResult, changes: RunChanges | None) -> bool:
        """Writes a step record (with run changes); False if another execution owns the run."""
        ...

    def save_now(self, key: str, record: StepResult, changes: RunChanges | None) -> bool | None:
        """`save_step` done at once when the host can (no I/O to wait for); None when the
        walk must await `save_step` instead."""
        ...

    async def set_run_status(self, status: RunStatus) -> bool:
        """Sets the run's status (`waiting` around a sleep); False if fenced."""
        ...

    async def delete_steps(self, keys: list[str]) -> None:
        """Drops step records (a nested workflow's previous loop pass)."""
        ...

    def mark_running(self, key: str, record: StepResult) -> None:
        """A step started: if it is still running after a while, record it as `running`."""
        ...

    async def settle_running(self, key: str) -> None:
        """The step ended: no running mark for it any more (waits for a mark write in flight)."""
        ...

    def pace(self) -> Awaitable[None] | None:
        """A yield point between steps: None to go on at once, or what to await first
        (a host may let other work run there)."""
        ...

    def close(self) -> None:
        """The execution ended: stop any background work of this host."""
        ...


class ItemHost(Host, Protocol):
    """A host whose storage keeps a foreach's items in rows of their own (`keeps_items`):
    the foreach then writes and reads single items (see `storage._items`)."""

    keeps_items: bool
    #: the fewest items for which the foreach keeps its entries in rows (`Storage.items_from`)
    items_from: int

    async def load_items(self, key: str, indexes: Collection[int] | None = None) -> dict[int, Any]:
        """Stored item entries of the foreach at `key`, by index (only `indexes`, if given)."""
        ...

    async def load_items_json(self, key: str) -> str:
        """Every stored item entry of the foreach at `key`, as one JSON object text keyed by index."""
        ...

    async def save_items(self, key: str, entries: Mapping[int, Any], replace: bool) -> bool:
        """Writes item entries (after dropping the stored ones, with `replace`); False if fenced."""
        ...
