"""`map({"key": {"template": "Hello ${input_data.name}"}})`: Mastra's string templates.

Placeholders are `${<scope>.<path>}` with the scopes `input_data`, `init_data`,
`state`, `request_context` (a key, taken whole) and `step_results.<step id>`
(Mastra's camelCase names work too). The syntax is checked when the workflow is
built; values are looked up when the map runs, with Mastra's rules: a missing
key or None renders as "", a dict or list as compact JSON, a bool as
`true`/`false`, a whole float without its `.0`; walking into a string or a
number, or naming a step with no successful output, fails the map step.
"""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING, Any

from .._schema import to_json
from ..errors import StepstreamError, WorkflowDefinitionError

if TYPE_CHECKING:
    from ..step import StepContext

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_SCOPES = {
    "inputData": "inputData",
    "input_data": "inputData",
    "initData": "initData",
    "init_data": "initData",
    "state": "state",
    "requestContext": "requestContext",
    "request_context": "requestContext",
    "stepResults": "stepResults",
    "step_results": "stepResults",
}
_SCOPE_LIST = "input_data, init_data, state, request_context, step_results"


class TemplateError(StepstreamError, ValueError):
    """A placeholder could not be rendered (raised inside the map step, which then fails)."""

    code = "WORKFLOW_MAP_TEMPLATE_FAILED"


def _where(template: str, idx: int, expr: str) -> str:
    return f"Template placeholder #{idx} (${{{expr}}}) in '{template}'"


def validate_template(template: str) -> None:
    """Checks a template's placeholders when the workflow is built (Mastra's validateTemplate)."""
    for idx, match in enumerate(_PLACEHOLDER.finditer(template), 1):
        expr = match.group(1)
        if not expr or expr != expr.strip():
            raise WorkflowDefinitionError(
                f"{_where(template, idx, expr)} has empty or whitespace-padded contents. Use ${{<scope>.<path>}} with no surrounding whitespace."
            )
        raw_scope, _, rest = expr.partition(".")
        scope = _SCOPES.get(raw_scope)
        if scope is None:
            raise WorkflowDefinitionError(
                f'{_where(template, idx, expr)} references unknown namespace "{raw_scope}". Use one of: {_SCOPE_LIST}.'
            )
        if scope == "stepResults" and not rest.partition(".")[0]:
            raise WorkflowDefinitionError(
                f"{_where(template, idx, expr)} must be of the form ${{stepResults.<stepId>}} or ${{stepResults.<stepId>.<path>}}."
            )
        if scope == "requestContext" and not rest:
            raise WorkflowDefinitionError(f"{_where(template, idx, expr)} requires a request-context key — use ${{requestContext.<key>}}.")


def render_template(template: str, ctx: StepContext[Any, Any]) -> str:
    """Fills in a validated template from a running step's context."""
    idx = 0

    def one(match: re.Match[str]) -> str:
        nonlocal idx
        idx += 1
        expr = match.group(1)
        raw_scope, _, rest = expr.partition(".")
        label = _where(template, idx, expr)
        scope = _SCOPES[raw_scope]
        if scope == "requestContext":
            return _text(to_json(ctx.request_context.get(rest)))
        if scope == "stepResults":
            step_id, _, sub = rest.partition(".")
            found = ctx.get_step_result(step_id)
            if found is None:
                raise TemplateError(
                    f'{label} references {raw_scope}.{step_id} but step "{step_id}" has no successful output '
                    "(not run yet, not registered, failed, or produced no output)."
                )
            return _text(_walk(to_json(found), sub, label))
        root = ctx.input_data if scope == "inputData" else ctx.get_init_data() if scope == "initData" else ctx.state
        return _text(_walk(to_json(root), rest, label))

    return _PLACEHOLDER.sub(one, template)


def _walk(value: Any, dotted: str, label: str) -> Any:
    if dotted in ("", "."):
        return value
    for part in dotted.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list):
            value = value[int(part)] if part.isdigit() and int(part) < len(value) else len(value) if part == "length" else None
        else:
            raise TemplateError(f"Invalid path {dotted} in {label}")
    return value


def _text(value: Any) -> str:
    """A value as JavaScript's template coercion writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, (dict, list)):
        return js_json(value)
    return str(value)


def js_json(value: Any) -> str:
    """`JSON.stringify(value)`: compact, and a whole float written without `.0`."""
    return json.dumps(_js_numbers(value), ensure_ascii=False, separators=(",", ":"))


def _js_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {k: _js_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_js_numbers(v) for v in value]
    return value
