"""What a server process sets before serving (`stepstream serve` applies it).

Under load, CPython's garbage collector took a tenth of the server's CPU at its default
threshold (a collection every 700 new container objects: a streamed run makes a few hundred,
and with hundreds of runs in flight most of them survive into the older generations, which
are then traversed again and again). Freezing what exists once the app is loaded (modules,
workflows, the route table) takes it out of every later collection, and a gen-0 threshold of
5,000 makes collections rarer while each stays small. Both only decide when cycles are looked
for: memory freed by reference counting (nearly all of it) is freed as before.
"""

from __future__ import annotations

import gc

#: new container objects between two young-generation collections (CPython's default: 700)
GC_THRESHOLD = 5_000


def prepare_server_process() -> None:
    """Freezes the objects alive now out of the collector's way and raises its young threshold."""
    gc.collect()
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, GC_THRESHOLD), middle, old)
