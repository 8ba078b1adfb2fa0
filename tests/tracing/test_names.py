"""Span names and attribute keys are public: changing one breaks users' dashboards."""

from __future__ import annotations

from stepstream import tracing

PINNED = {
    "RUN_SPAN": "workflow run: '{workflow_id}'",
    "RESUMED_SUFFIX": " (resumed)",
    "STEP_SPAN": "workflow step: '{step_id}'",
    "PARALLEL_SPAN": "parallel: '{count} branches'",
    "CONDITIONAL_SPAN": "conditional: '{count} conditions'",
    "CONDITION_SPAN": "condition '{index}'",
    "LOOP_SPAN": "loop: '{kind}'",
    "LOOP_CONDITION_SPAN": "condition: '{kind}'",
    "SLEEP_SPAN": "sleep: {ms}ms",
    "SLEEP_UNTIL_SPAN": "sleepUntil: {until}",
    "SLEEP_DYNAMIC_SPAN": "sleep: dynamic",
    "SLEEP_UNTIL_DYNAMIC_SPAN": "sleepUntil: dynamic",
    "TYPE_RUN": "workflow_run",
    "TYPE_STEP": "workflow_step",
    "TYPE_PARALLEL": "workflow_parallel",
    "TYPE_CONDITIONAL": "workflow_conditional",
    "TYPE_CONDITION": "workflow_conditional_eval",
    "TYPE_LOOP": "workflow_loop",
    "TYPE_SLEEP": "workflow_sleep",
    "SPAN_TYPE": "stepstream.span.type",
    "WORKFLOW_ID": "stepstream.workflow.id",
    "RUN_ID": "stepstream.run.id",
    "RESOURCE_ID": "stepstream.resource.id",
    "RUN_STATUS": "stepstream.run.status",
    "RUN_OPERATION": "stepstream.run.operation",
    "RESUMED": "stepstream.resumed",
    "RESUMED_FROM_SPAN_ID": "stepstream.resumed_from_span_id",
    "RESUMED_FROM_TRACE_ID": "stepstream.resumed_from_trace_id",
    "TAGS": "stepstream.tags",
    "METADATA_PREFIX": "stepstream.metadata.",
    "REQUEST_CONTEXT_PREFIX": "stepstream.request_context.",
    "INPUT": "stepstream.input",
    "OUTPUT": "stepstream.output",
    "SUSPEND_PAYLOAD": "stepstream.suspend_payload",
    "STEP_ID": "stepstream.step.id",
    "STEP_PATH": "stepstream.step.path",
    "STEP_STATUS": "stepstream.step.status",
    "STATUS": "stepstream.status",
    "FOREACH_INDEX": "stepstream.foreach.index",
    "FOREACH_ITEM_COUNT": "stepstream.foreach.item_count",
    "PARALLEL_BRANCH_COUNT": "stepstream.parallel.branch_count",
    "PARALLEL_STEPS": "stepstream.parallel.steps",
    "CONDITION_COUNT": "stepstream.conditional.condition_count",
    "TRUTHY_INDEXES": "stepstream.conditional.truthy_indexes",
    "SELECTED_STEPS": "stepstream.conditional.selected_steps",
    "CONDITION_INDEX": "stepstream.condition.index",
    "CONDITION_RESULT": "stepstream.condition.result",
    "LOOP_TYPE": "stepstream.loop.type",
    "LOOP_ITERATION": "stepstream.loop.iteration",
    "LOOP_TOTAL_ITERATIONS": "stepstream.loop.total_iterations",
    "LOOP_CONCURRENCY": "stepstream.loop.concurrency",
    "SLEEP_TYPE": "stepstream.sleep.type",
    "SLEEP_DURATION_MS": "stepstream.sleep.duration_ms",
    "SLEEP_UNTIL": "stepstream.sleep.until",
    "ENTRY_ID": "stepstream.entry.id",
    "ENTRY_DESCRIPTION": "stepstream.entry.description",
    "ENTRY_METADATA": "stepstream.entry.metadata",
    "USAGE_INPUT_TOKENS": "gen_ai.usage.input_tokens",
    "USAGE_OUTPUT_TOKENS": "gen_ai.usage.output_tokens",
    "USAGE_PREFIX": "stepstream.usage.",
}


def test_names_and_attributes_are_pinned() -> None:
    public = {k: v for k, v in vars(tracing).items() if k.isupper() and isinstance(v, str)}
    assert public == PINNED


def test_attribute_keys_are_namespaced() -> None:
    for key, value in PINNED.items():
        if key.endswith("_SPAN") or key.startswith("TYPE_") or key == "RESUMED_SUFFIX":
            continue
        assert value.startswith(("stepstream.", "gen_ai.usage.")), key
        assert value == value.lower() and " " not in value, key


def test_tracing_options_keys() -> None:
    assert set(tracing.TracingOptions.__annotations__) == {
        "trace_id",
        "parent_span_id",
        "tags",
        "metadata",
        "request_context_keys",
        "hide_input",
        "hide_output",
    }


def test_library_imports_only_the_api() -> None:
    import ast
    from pathlib import Path

    import stepstream

    root = Path(stepstream.__file__).parent
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith("opentelemetry.sdk"), f"{path} imports {name}"
                if name.startswith("opentelemetry") and path.parent.name != "otel" and path.name != "tracing.py":
                    raise AssertionError(f"{path} imports {name}: only the stepstream.otel package may touch opentelemetry")
