"""Conformance with Mastra: each scenario's stepstream transcript equals Mastra's recorded one.

For every ``scenarios/NAME.mjs`` (the scenario on Mastra's engine) there is ``scenarios/NAME.py``
(the same with stepstream) and ``golden/NAME.json`` (Mastra's transcript). A scenario module may set
``ORDER = "per-step"`` (concurrent steps may interleave) and ``TIMEOUT`` (seconds, default 20).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ._transcript import Log, diff, normalize

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE / "scenarios"
GOLDEN = HERE / "golden"
NAMES = sorted(p.stem for p in SCENARIOS.glob("*.mjs"))


def load_scenario(name: str) -> ModuleType:
    """Imports scenarios/NAME.py under a private module name."""
    path = SCENARIOS / f"{name}.py"
    if not path.exists():
        pytest.fail(f"{name}.mjs has no Python twin {path.name}")
    module_name = "stepstream_conformance_" + name.replace("-", "_")
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def test_every_scenario_is_recorded() -> None:
    """Every scenario has its Python twin and Mastra's transcript."""
    assert NAMES, "no scenarios found"
    missing = [n for n in NAMES if not (SCENARIOS / f"{n}.py").exists() or not (GOLDEN / f"{n}.json").exists()]
    assert not missing, f"scenarios without a .py or a golden transcript: {missing}"


async def check_scenario(name: str, where: str = "") -> None:
    """Runs scenario `name` and fails the test unless its normalized transcript equals
    Mastra's; `where` ("on Temporal") goes into the failure message."""
    module = load_scenario(name)
    order = getattr(module, "ORDER", "exact")
    timeout = getattr(module, "TIMEOUT", 20)
    log = Log()
    try:
        await asyncio.wait_for(module.scenario(log), timeout=timeout)
    finally:
        sys.modules.pop(module.__name__, None)
    expected = normalize(json.loads((GOLDEN / f"{name}.json").read_text()), order)
    actual = normalize(log.records, order)
    if actual != expected:
        at = f" {where}" if where else ""
        pytest.fail(f"transcript of {name!r}{at} differs from Mastra's (- mastra, + stepstream):\n{diff(expected, actual)}", pytrace=False)


@pytest.mark.parametrize("name", NAMES)
async def test_matches_mastra(name: str) -> None:
    """The scenario's normalized transcript equals Mastra's."""
    await check_scenario(name)
