"""`prepare_server_process`: what `stepstream serve` sets before serving."""

from __future__ import annotations

import gc

from stepstream.server._process import GC_THRESHOLD, prepare_server_process


def test_the_collector_is_tuned_for_a_server_process() -> None:
    threshold = gc.get_threshold()
    try:
        gc.unfreeze()
        prepare_server_process()
        assert gc.get_freeze_count() > 0  # what was alive at startup is out of later collections
        assert gc.get_threshold() == (max(threshold[0], GC_THRESHOLD), threshold[1], threshold[2])
        garbage: list[object] = []
        garbage.append(garbage)  # a cycle is still collected
        del garbage
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
