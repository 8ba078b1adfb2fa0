"""Per-call run options: `per_step`, `output_options`, and time travel's `nested_steps_context`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ValidationError
from ..results import output_flags
from ..workflow.builder import Workflow
from ._targets import find_step, step_parts


@dataclass(frozen=True, slots=True)
class _Options:
    """Per-call execution options: `per_step` and `output_options`."""

    per_step: bool = False
    include_state: bool = False
    include_resume_labels: bool = False

    @classmethod
    def of(cls, output_options: Mapping[str, Any] | None, per_step: bool) -> _Options:
        if not isinstance(per_step, bool):
            raise ValidationError(f"per_step must be True or False, got {per_step!r}")
        if output_options is None:
            return _PER_STEP if per_step else _PLAIN  # (immutable: one of each serves every call)
        return cls(per_step, **output_flags(output_options))


_PLAIN, _PER_STEP = _Options(), _Options(per_step=True)


def _travel_context(
    workflow: Workflow, step: Any, context: Mapping[str, Any] | None, nested: Mapping[str, Mapping[str, Any]] | None
) -> dict[str, Any] | None:
    """`context` plus `nested_steps_context` ({nested workflow id: {step id: record}}) as one map
    of record keys (`outer.inner`), for the nested workflows on the path to the target."""
    if not nested:
        return dict(context) if context is not None else None
    if not isinstance(nested, Mapping):
        raise ValidationError(f"nested_steps_context must be a dict of nested workflow id -> step records, got {type(nested).__name__}")
    merged = dict(context or {})
    parts, prefix, level, used = step_parts(step), "", workflow, set()
    for part in parts[:-1]:
        inner = find_step(level, [part])
        if not isinstance(inner, Workflow):
            break
        prefix += part + "."
        records = nested.get(inner.id)
        if records is not None:
            if not isinstance(records, Mapping):
                raise ValidationError(
                    f"nested_steps_context[{inner.id!r}] must be a dict of step id -> record, got {type(records).__name__}"
                )
            merged.update({prefix + key: value for key, value in records.items()})
            used.add(inner.id)
        level = inner
    unused = sorted(set(nested) - used)
    if unused:
        raise ValidationError(
            f"nested_steps_context names {unused}, which are not nested workflows on the path to the time-travel target {'.'.join(parts)!r}"
        )
    return merged
