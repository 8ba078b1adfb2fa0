"""OpenTelemetry is imported only when tracing is configured; without the extra, a clear error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

_RUN = """
import asyncio, json, sys
from stepstream import create_step, create_workflow

async def main():
    wf = create_workflow(id="w").then(create_step(id="a", execute=lambda ctx: ctx.input_data + 1)).commit()
    return await (await wf.create_run()).start(input_data=1)

result = asyncio.run(main())
otel = sorted(m for m in sys.modules if m.startswith("opentelemetry") or m == "stepstream.otel")
print(json.dumps({"status": result.status, "result": result.result, "trace_id": result.trace_id, "otel": otel}))
"""

_BLOCK = """
import sys

class _NoOtel:
    def find_spec(self, name, path=None, target=None):
        if name == "opentelemetry" or name.startswith("opentelemetry."):
            raise ImportError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, _NoOtel())
"""


def _python(code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, timeout=60)


def test_import_and_a_run_without_tracing_never_import_opentelemetry() -> None:
    proc = _python(_RUN)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out == {"status": "success", "result": 2, "trace_id": None, "otel": []}


def test_without_the_extra_runs_work_untraced_and_the_otel_package_names_the_extra() -> None:
    proc = _python(_BLOCK + _RUN)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "success"
    proc = _python(_BLOCK + "import stepstream.otel\n")
    assert proc.returncode != 0
    assert "ImportError" in proc.stderr and "pip install 'stepstream[otel]'" in proc.stderr


def test_a_provider_given_to_stepstream_turns_tracing_on_in_a_fresh_process() -> None:
    code = "from opentelemetry.sdk.trace import TracerProvider\nfrom stepstream import tracing\ntracing.set_tracer_provider(TracerProvider())\n"
    proc = _python(code + _RUN)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "success" and len(out["trace_id"]) == 32
    assert "stepstream.otel" in out["otel"]
