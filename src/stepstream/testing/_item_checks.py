"""Contract checks for a foreach's item rows (`supports_items`; part of `CHECKS`).

For a backend whose `supports_items` is False they check only that `load_run_thin` reads
what `load_run` does (the engine then keeps entries inline). A thin foreach record (its meta's
`foreachItems` in place of `foreachOutput`) is stored as any record; its entries are
rows of their own. `load_run` must give the record back with `foreachOutput` rebuilt
from the rows (Mastra's shape), `load_run_thin` as stored, and `load_items` the rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from .._suspend_meta import META
from ..results import StepResult
from ..storage.base import RunRecord, Storage
from ._run_samples import WF, assert_same_run, sample_run
from ._target import ContractTarget, open_storage

_OK = {"status": "success", "output": {"n": 10}}
_WAIT = {"status": "suspended", "payload": {"n": 2}, "suspendPayload": {"ask": 2}}


def _thin(codes: str) -> StepResult:
    meta = {"foreachIndex": codes.index("s"), "foreachItems": {"n": len(codes), "codes": codes}, "resumeLabels": {}}
    return StepResult("suspended", [{"n": i} for i in range(len(codes))], suspend_payload={"ask": 2, META: meta}, started_at=1)


async def _with_run(target: ContractTarget, body: Callable[[Storage], Coroutine[Any, Any, None]]) -> None:
    storage = await open_storage(target)
    try:
        if not storage.supports_items:
            # No item rows: the engine keeps entries inline, and a thin read is a plain read.
            sample = sample_run("inline")
            await storage.create_run(sample)
            assert_same_run(await storage.load_run_thin(WF, "inline"), sample)
            return
        await storage.create_run(RunRecord(workflow_id=WF, run_id="each", status="suspended", owner="me"))
        await body(storage)
    finally:
        await storage.close()


async def check_items_are_put_back_into_the_record(target: ContractTarget) -> None:
    """`load_run` rebuilds `foreachOutput` from the rows (an item lettered `.` has none);
    `load_run_thin` gives the record as stored; `load_items` the rows asked for."""

    async def body(storage: Storage) -> None:
        assert await storage.save_items(WF, "each", "map", {0: _OK, 2: _WAIT}, replace=True, expected_owner="me")
        assert await storage.save_step(WF, "each", "map", _thin("S.s"), expected_owner="me") is not False
        full = await storage.load_run(WF, "each")
        assert full is not None
        meta = full.steps["map"].suspend_payload[META]
        assert meta == {"foreachIndex": 2, "foreachOutput": [_OK, None, _WAIT], "resumeLabels": {}}
        assert full.steps["map"].suspend_payload["ask"] == 2
        thin = await storage.load_run_thin(WF, "each")
        assert thin is not None and thin.steps["map"].suspend_payload == _thin("S.s").suspend_payload
        assert await storage.load_items(WF, "each", "map", [2]) == {2: _WAIT}
        assert await storage.load_items(WF, "each", "map") == {0: _OK, 2: _WAIT}
        assert json.loads(await storage.load_items_json(WF, "each", "map")) == {"0": _OK, "2": _WAIT}

    await _with_run(target, body)


async def check_items_are_upserted_replaced_and_deleted(target: ContractTarget) -> None:
    """A row is overwritten by index; `replace` drops the others first; dropping the
    record (`delete_steps`) or the run drops its rows; another owner writes nothing."""

    async def body(storage: Storage) -> None:
        assert await storage.save_items(WF, "each", "map", {0: _WAIT, 1: _WAIT}, expected_owner="me")
        assert await storage.save_items(WF, "each", "map", {1: _OK}, expected_owner="me")
        assert await storage.load_items(WF, "each", "map") == {0: _WAIT, 1: _OK}
        assert await storage.save_items(WF, "each", "map", {2: _OK}, replace=True, expected_owner="me")
        assert await storage.load_items(WF, "each", "map") == {2: _OK}
        assert not await storage.save_items(WF, "each", "map", {0: _OK}, expected_owner="someone else")
        assert not await storage.save_items(WF, "no-such-run", "map", {0: _OK})
        assert await storage.load_items(WF, "each", "map") == {2: _OK}
        await storage.delete_steps(WF, "each", ["map"])
        assert await storage.load_items(WF, "each", "map") == {}
        assert await storage.save_items(WF, "each", "other", {0: _OK}, expected_owner="me")
        assert await storage.delete_run(WF, "each")
        assert await storage.load_items(WF, "each", "other") == {}

    await _with_run(target, body)


ITEM_CHECKS = {
    "items_are_put_back_into_the_record": check_items_are_put_back_into_the_record,
    "items_are_upserted_replaced_and_deleted": check_items_are_upserted_replaced_and_deleted,
}
