"""Without pydantic-ai installed, stepstream imports and says which extra agent steps need."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys
    sys.modules["pydantic_ai"] = None  # as if pydantic-ai were not installed
    import stepstream
    from stepstream import WorkflowDefinitionError, create_step

    def double(n: int) -> int:
        return n * 2

    assert create_step(double).id == "double"  # typed functions need no extra
    assert "pydantic_ai" not in {name for name, mod in sys.modules.items() if mod is not None}

    class FakeAgent:
        name = "writer"

    try:
        create_step(FakeAgent())
    except WorkflowDefinitionError as exc:
        print("create_step:", exc)
    try:
        import stepstream.agents
    except ImportError as exc:
        print("import:", exc)
    """
)


def test_stepstream_works_without_pydantic_ai_and_names_the_extra() -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("create_step:") and "pip install 'stepstream[agents]'" in lines[0] and "FakeAgent" in lines[0]
    assert lines[1].startswith("import:") and "pip install 'stepstream[agents]'" in lines[1]


def test_importing_stepstream_does_not_import_pydantic_ai() -> None:
    code = "import sys, stepstream; print('pydantic_ai' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "False", proc.stderr
