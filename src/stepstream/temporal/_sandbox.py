"""The workflow sandbox stepstream's workflows run in on Temporal workers.

Temporal's sandbox re-imports a workflow's modules for every workflow run, to keep
module state from leaking between runs and to catch nondeterministic calls. Re-importing
stepstream (and the user's flow modules, with their steps and schemas) costs more than
the run itself on small workflows, so these modules pass through: they are imported once
and shared. Code that passes through is not checked by the sandbox, which is why the walk
keeps every clock read, id and effect behind the engine's host (docs/temporal.md,
"Determinism").
"""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

PASSTHROUGH = ("stepstream", "pydantic", "pydantic_core", "typing_extensions", "cronsim", "opentelemetry")
"""Modules every stepstream worker passes through the sandbox."""


def workflow_runner(*modules: str) -> SandboxedWorkflowRunner:
    """Temporal's sandboxed runner with stepstream, pydantic and `modules` (the user's flow
    modules, by name: `"myapp.flows"`) passed through (see the module docstring)."""
    for name in modules:
        if not isinstance(name, str) or not name:
            raise TypeError(f"workflow_runner: modules are given by name (a non-empty str), got {name!r}")
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH, *modules)
    return SandboxedWorkflowRunner(restrictions=restrictions)
