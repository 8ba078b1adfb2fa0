"""Declarative conditions (Mastra's `{predicate}` objects): `from stepstream.predicate import eq, path`.

See `stepstream.workflow.predicate` for the semantics; this module is the public home of
the helpers, so `branch([(eq(path("input_data.kind"), "a"), step_a), ...])` reads well.
"""

from .workflow.predicate import Path as Path
from .workflow.predicate import Predicate as Predicate
from .workflow.predicate import and_ as and_
from .workflow.predicate import eq as eq
from .workflow.predicate import exists as exists
from .workflow.predicate import falsy as falsy
from .workflow.predicate import gt as gt
from .workflow.predicate import gte as gte
from .workflow.predicate import in_ as in_
from .workflow.predicate import lt as lt
from .workflow.predicate import lte as lte
from .workflow.predicate import ne as ne
from .workflow.predicate import not_ as not_
from .workflow.predicate import not_exists as not_exists
from .workflow.predicate import not_in as not_in
from .workflow.predicate import or_ as or_
from .workflow.predicate import path as path
from .workflow.predicate import truthy as truthy

__all__ = [
    "Path",
    "Predicate",
    "and_",
    "eq",
    "exists",
    "falsy",
    "gt",
    "gte",
    "in_",
    "lt",
    "lte",
    "ne",
    "not_",
    "not_exists",
    "not_in",
    "or_",
    "path",
    "truthy",
]
