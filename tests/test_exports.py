"""The public surface: every name of the API contract importable, `__all__` sorted and complete."""

from __future__ import annotations

import importlib
import inspect

import stepstream

CONTRACT = [
    "create_step",
    "step",
    "StepContext",
    "create_workflow",
    "Stepstream",
    "Run",
    "WorkflowStream",
    "WorkflowResult",
    "WorkflowState",
    "StepResult",
    "WorkflowEvent",
    "RequestContext",
    "StepstreamError",
    "ValidationError",
    "ResumeAlreadyClaimedError",
    "Predicate",
    "clone_step",
    "clone_workflow",
]


def test_contract_names_are_importable_from_the_package() -> None:
    for name in CONTRACT:
        assert hasattr(stepstream, name), name
        assert name in stepstream.__all__, name


def test_all_is_sorted_and_complete() -> None:
    assert stepstream.__all__ == sorted(stepstream.__all__)
    public = {n for n in dir(stepstream) if not n.startswith("_") and not inspect.ismodule(getattr(stepstream, n))}
    assert public <= set(stepstream.__all__) | {"annotations"}


def test_storage_and_server_modules() -> None:
    storage = importlib.import_module("stepstream.storage")
    for name in ("InMemoryStorage", "SQLiteStorage", "PostgresStorage", "Storage"):
        assert inspect.isclass(getattr(storage, name)), name


def test_predicate_module() -> None:
    predicate = importlib.import_module("stepstream.predicate")
    assert predicate.__all__ == sorted(predicate.__all__)
    for name in (
        "Predicate",
        "path",
        "eq",
        "ne",
        "lt",
        "lte",
        "gt",
        "gte",
        "in_",
        "not_in",
        "exists",
        "not_exists",
        "truthy",
        "falsy",
        "and_",
        "or_",
        "not_",
    ):
        assert name in predicate.__all__, name
    assert predicate.Predicate is stepstream.Predicate


def test_validation_error_is_a_value_error_and_a_stepstream_error() -> None:
    assert issubclass(stepstream.ValidationError, ValueError)
    assert issubclass(stepstream.ValidationError, stepstream.StepstreamError)
    assert issubclass(stepstream.ResumeAlreadyClaimedError, stepstream.StepstreamError)


def test_signals_are_not_exceptions() -> None:
    from stepstream.errors import BailSignal, SuspendSignal

    assert not issubclass(SuspendSignal, Exception)
    assert not issubclass(BailSignal, Exception)


def test_run_methods_take_the_contract_keywords() -> None:
    params = {
        name: set(inspect.signature(getattr(stepstream.Run, name)).parameters) for name in dir(stepstream.Run) if not name.startswith("_")
    }
    assert {"input_data", "initial_state", "request_context", "tracing_options"} <= params["start"]
    assert {"input_data", "initial_state", "request_context", "tracing_options", "close_on_suspend"} <= params["stream"]
    for name in ("resume", "resume_stream"):
        assert {"resume_data", "step", "label", "for_each_index", "request_context", "tracing_options"} <= params[name]
    for name in ("time_travel", "time_travel_stream"):
        assert {"step", "input_data", "resume_data"} <= params[name]
    assert {"cancel", "watch", "restart"} <= set(params)
