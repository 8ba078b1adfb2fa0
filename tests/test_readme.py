"""The README's Python snippets are plain scripts (no top-level await), and the first one runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def _snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_every_python_snippet_compiles_as_a_script() -> None:
    """A top-level `await` is a SyntaxError in a script: each snippet must compile as one."""
    snippets = _snippets()
    assert len(snippets) >= 3
    for number, code in enumerate(snippets, 1):
        compile(code, f"README.md python snippet {number}", "exec")


def test_the_first_snippet_runs(tmp_path: Path) -> None:
    script = tmp_path / "approval.py"
    script.write_text(_snippets()[0])
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "workflow-start" in proc.stdout and "INITIAL DATA + resume data" in proc.stdout


def test_the_demo_the_readme_runs_first_works(tmp_path: Path) -> None:
    demo = README.parent / "examples" / "approval.py"
    proc = subprocess.run([sys.executable, str(demo)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "suspended at [['approve']]" in proc.stdout
