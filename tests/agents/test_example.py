"""examples/research_review.py runs offline: two review rounds, then a structured report."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from stepstream.storage import InMemoryStorage

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "research_review.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("research_review_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def test_the_research_review_example_drafts_twice_then_formats() -> None:
    example = _load()
    answers: list[dict[str, object]] = []

    def reviewer(payload: dict[str, object]) -> object:
        answers.append(payload)
        return example.scripted(payload)

    async with example.build_app(storage=InMemoryStorage()) as app:
        result, usage = await example.research(app, "otters", reviewer)
    assert result.status == "success"
    report = result.result
    assert isinstance(report, example.Report)
    assert report.rounds == 2 and report.title == "Otters"
    assert "(Revised: mention where they live)" in report.summary
    assert [a["round"] for a in answers] == [1, 2]
    assert "Revised" not in str(answers[0]["draft"]) and "Revised" in str(answers[1]["draft"])
    # three agent runs (two drafts, one format), each counted once across the suspensions
    assert usage["inputTokens"] == 150 and usage["outputTokens"] > 0
