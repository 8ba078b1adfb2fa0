"""Declarative conditions: Mastra's `{predicate}` objects for `branch`, `dowhile` and `dountil`.

A predicate is plain JSON, so a flow's conditions can be stored, shown and shipped
(Mastra's stored workflow graphs carry them). Build one with the helpers here
(`eq(path("input_data.n"), 3)`) or from Mastra's JSON (`Predicate.from_dict({...})`);
both spellings are accepted: `not_in` / `notIn`, `input_data.n` / `inputData.n`,
`${inputData.n}`. `to_dict()` gives Mastra's JSON.

Evaluation follows Mastra exactly: paths start at `input_data` (the previous
output; a loop's step output), `init_data`, `state` or `step_results.<step id>`;
a path that does not resolve never raises: comparisons and `in` are then false,
`not_in` and `not_exists` true. Equality is strict (no `1 == True`), ordering
applies to two numbers or two strings only, and truthiness is JavaScript's
(an empty list or dict is truthy), so a predicate means the same in both engines.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union

from .._schema import to_json
from ..errors import WorkflowDefinitionError
from .template import js_json

if TYPE_CHECKING:
    from ..step import StepContext

Scalar = Union[str, int, float, bool, None]  # noqa: UP007 - a runtime alias

_COMPARISONS = {"eq": "==", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_OPS = {
    **{op: op for op in _COMPARISONS},
    "in": "in",
    "not_in": "notIn",
    "notIn": "notIn",
    "exists": "exists",
    "not_exists": "notExists",
    "notExists": "notExists",
    "truthy": "truthy",
    "falsy": "falsy",
    "and": "and",
    "or": "or",
    "not": "not",
}
_KEYS = {
    **dict.fromkeys(_COMPARISONS, ("left", "right")),
    "in": ("value", "set"),
    "notIn": ("value", "set"),
    "exists": ("path",),
    "notExists": ("path",),
    "truthy": ("value",),
    "falsy": ("value",),
    "and": ("args",),
    "or": ("args",),
    "not": ("arg",),
}
_ROOTS = {"input_data": "inputData", "init_data": "initData", "step_results": "stepResults", "state": "state"}
_ROOT_NAMES = ("inputData", "initData", "state", "stepResults")
_MISSING = object()


class Path:
    """A reference to a value in the condition's context, e.g. `path("input_data.user.age")`."""

    __slots__ = ("path",)

    def __init__(self, path: str):
        self.path = _norm_path(path, "path()")

    def __repr__(self) -> str:
        return f"path({self.path!r})"


def path(dotted: str) -> Path:
    """A path operand: `input_data.x`, `init_data.x`, `state.x` or `step_results.<step id>.x`."""
    return Path(dotted)


Operand = Union[Path, Scalar]  # noqa: UP007


class Predicate:
    """A declarative condition; usable wherever a condition function is.

    Immutable; `to_dict()` is Mastra's JSON, `Predicate.from_dict()` reads it back
    (or the snake_case spelling). Combine with `&`, `|` and `~`.
    """

    #: cheap and pure: evaluated on the event loop, never in a worker thread
    __stepstream_inline__ = True

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]):
        self._data: dict[str, Any] = _normalize(data, "predicate")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Predicate:
        """Reads a predicate from Mastra's JSON (or the snake_case spelling); also accepts
        the `{"predicate": {...}}` wrapper that `branch`/`dowhile`/`dountil` take in Mastra."""
        if isinstance(data, Mapping) and set(data) == {"predicate"}:
            data = data["predicate"]
        return cls(data)

    def to_dict(self) -> dict[str, Any]:
        """Mastra's JSON form (camelCase ops and roots): store it, send it, rebuild it with `from_dict`."""
        result: dict[str, Any] = to_json(self._data)
        return result

    @property
    def label(self) -> str:
        """A short readable label (Mastra's `derivePredicateLabel`), at most 80 characters."""
        text = _render(self._data)
        return text if len(text) <= 80 else text[:79] + "…"

    def evaluate(
        self,
        *,
        input_data: Any = None,
        init_data: Any = None,
        state: Any = None,
        step_results: Mapping[str, Any] | None = None,
    ) -> bool:
        """Evaluates against explicit values (JSON-like data; models are dumped first)."""
        roots = {
            "inputData": to_json(input_data),
            "initData": to_json(init_data),
            "state": to_json(state),
        }
        results = {k: to_json(v) for k, v in (step_results or {}).items()}
        return _eval(self._data, lambda p: _resolve(p, roots, results.get))

    def __call__(self, ctx: StepContext[Any, Any]) -> bool:
        """Evaluates in a running workflow (the engine calls conditions this way); each root
        is read from the context only when a path needs it."""
        roots = _LazyRoots(ctx)
        return _eval(self._data, lambda p: _resolve(p, roots, lambda sid: to_json(ctx.get_step_result(sid))))

    def __and__(self, other: Predicate) -> Predicate:
        return and_(self, other)

    def __or__(self, other: Predicate) -> Predicate:
        return or_(self, other)

    def __invert__(self) -> Predicate:
        return not_(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Predicate) and other._data == self._data

    def __hash__(self) -> int:
        return hash(repr(self._data))

    def __repr__(self) -> str:
        return f"<Predicate {self.label}>"


class _LazyRoots(dict[str, Any]):
    """`inputData`, `initData` and `state` of a step context, in JSON form, read on first use."""

    def __init__(self, ctx: StepContext[Any, Any]):
        super().__init__()
        self._ctx = ctx

    def __missing__(self, root: str) -> Any:
        ctx = self._ctx
        source = ctx.input_data if root == "inputData" else ctx.get_init_data() if root == "initData" else ctx.state
        value = self[root] = to_json(source)
        return value


# -- the helpers ------------------------------------------------------------------------------
def _cmp(op: str, left: Operand, right: Operand) -> Predicate:
    return Predicate({"op": op, "left": _operand(left), "right": _operand(right)})


def eq(left: Operand, right: Operand) -> Predicate:
    """`left == right` (strict: `1` never equals `True`)."""
    return _cmp("eq", left, right)


def ne(left: Operand, right: Operand) -> Predicate:
    """`left != right`."""
    return _cmp("ne", left, right)


def lt(left: Operand, right: Operand) -> Predicate:
    """`left < right` (two numbers or two strings; otherwise false)."""
    return _cmp("lt", left, right)


def lte(left: Operand, right: Operand) -> Predicate:
    """`left <= right`."""
    return _cmp("lte", left, right)


def gt(left: Operand, right: Operand) -> Predicate:
    """`left > right`."""
    return _cmp("gt", left, right)


def gte(left: Operand, right: Operand) -> Predicate:
    """`left >= right`."""
    return _cmp("gte", left, right)


def in_(value: Operand, choices: Sequence[Scalar]) -> Predicate:
    """`value` is one of `choices` (scalars)."""
    return Predicate({"op": "in", "value": _operand(value), "set": list(choices) if not isinstance(choices, str) else choices})


def not_in(value: Operand, choices: Sequence[Scalar]) -> Predicate:
    """`value` is none of `choices` (also true when `value` is missing)."""
    return Predicate({"op": "notIn", "value": _operand(value), "set": list(choices) if not isinstance(choices, str) else choices})


def exists(at: str | Path) -> Predicate:
    """The path resolves (to anything, `None` included)."""
    return Predicate({"op": "exists", "path": at.path if isinstance(at, Path) else at})


def not_exists(at: str | Path) -> Predicate:
    """The path does not resolve."""
    return Predicate({"op": "notExists", "path": at.path if isinstance(at, Path) else at})


def truthy(value: Operand) -> Predicate:
    """The value is truthy as in JavaScript (missing, None, False, 0, NaN and "" are not)."""
    return Predicate({"op": "truthy", "value": _operand(value)})


def falsy(value: Operand) -> Predicate:
    """The value is not truthy (or missing)."""
    return Predicate({"op": "falsy", "value": _operand(value)})


def and_(*args: Predicate | Mapping[str, Any]) -> Predicate:
    """Every argument holds."""
    return Predicate({"op": "and", "args": [_sub(a) for a in args]})


def or_(*args: Predicate | Mapping[str, Any]) -> Predicate:
    """At least one argument holds."""
    return Predicate({"op": "or", "args": [_sub(a) for a in args]})


def not_(arg: Predicate | Mapping[str, Any]) -> Predicate:
    """The argument does not hold."""
    return Predicate({"op": "not", "arg": _sub(arg)})


def as_condition(value: Any) -> Predicate | None:
    """A `Predicate` for a declarative condition (a `Predicate`, or Mastra's `{"predicate": {...}}`);
    None for anything else (a function, say)."""
    if isinstance(value, Predicate):
        return value
    if isinstance(value, Mapping) and "predicate" in value:
        extra = set(value) - {"predicate"}
        if extra:
            raise WorkflowDefinitionError(f"A declarative condition has only a 'predicate' key; unexpected {sorted(extra)}")
        inner = value["predicate"]
        return inner if isinstance(inner, Predicate) else Predicate(inner)
    return None


# -- validation -------------------------------------------------------------------------------
def _operand(value: Any) -> dict[str, Any]:
    if isinstance(value, Path):
        return {"path": value.path}
    return {"literal": value}


def _sub(value: Any) -> Any:
    return value._data if isinstance(value, Predicate) else value


def _norm_path(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise WorkflowDefinitionError(f"{where}: a path must be a non-empty string, got {raw!r}")
    text = raw.strip()
    templated = _unwrap(text) != text
    root, dot, rest = _unwrap(text).partition(".")
    root = _ROOTS.get(root, root)
    if root not in _ROOT_NAMES or (root == "stepResults" and not rest):
        raise WorkflowDefinitionError(
            f"{where}: path {raw!r} must start with one of input_data, init_data, state, step_results.<step id> "
            "(Mastra's inputData, initData, state, stepResults also work)"
        )
    return "${" + root + dot + rest + "}" if templated else root + dot + rest  # kept as written: labels show it


def _unwrap(text: str) -> str:
    """`${a.b}` -> `a.b` (Mastra accepts both spellings of a path)."""
    if text.startswith("${") and text.endswith("}") and "}" not in text[2:-1]:
        return text[2:-1].strip()
    return text


def _scalar(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise WorkflowDefinitionError(f"{where}: a literal must be a string, number, bool or None, got {value!r}")


def _ref(value: Any, where: str) -> dict[str, Any]:
    if isinstance(value, Path):
        return {"path": value.path}
    if isinstance(value, Mapping) and len(value) == 1 and "path" in value:
        return {"path": _norm_path(value["path"], where)}
    if isinstance(value, Mapping) and len(value) == 1 and "literal" in value:
        return {"literal": _scalar(value["literal"], where)}
    raise WorkflowDefinitionError(f"{where}: expected {{'path': ...}} or {{'literal': ...}}, got {value!r}")


def _normalize(data: Any, where: str) -> dict[str, Any]:
    if isinstance(data, Predicate):
        return data._data
    if not isinstance(data, Mapping):
        raise WorkflowDefinitionError(f"{where}: a predicate is a dict with an 'op', got {type(data).__name__}")
    raw_op = data.get("op")
    op = _OPS.get(raw_op) if isinstance(raw_op, str) else None
    if op is None:
        raise WorkflowDefinitionError(f"{where}: unknown op {raw_op!r}; known: {', '.join(sorted(set(_OPS.values())))}")
    keys = _KEYS[op]
    extra, missing = set(data) - {"op", *keys}, [k for k in keys if k not in data]
    if extra or missing:
        raise WorkflowDefinitionError(
            f"{where}: op {op!r} takes exactly the keys {list(keys)}"
            + (f"; missing {missing}" if missing else f"; unexpected {sorted(extra)}")
        )
    here = f"{where} ({op})"
    if op in _COMPARISONS:
        return {"op": op, "left": _ref(data["left"], here + " left"), "right": _ref(data["right"], here + " right")}
    if op in ("in", "notIn"):
        choices = data["set"]
        if not isinstance(choices, (list, tuple)) or not choices:
            raise WorkflowDefinitionError(f"{here}: 'set' must be a non-empty list of literals, got {choices!r}")
        return {"op": op, "value": _ref(data["value"], here + " value"), "set": [_scalar(c, here + " set") for c in choices]}
    if op in ("exists", "notExists"):
        return {"op": op, "path": _norm_path(data["path"], here)}
    if op in ("truthy", "falsy"):
        return {"op": op, "value": _ref(data["value"], here + " value")}
    if op in ("and", "or"):
        args = data["args"]
        if not isinstance(args, (list, tuple)) or not args:
            raise WorkflowDefinitionError(f"{here}: 'args' must be a non-empty list of predicates")
        return {"op": op, "args": [_normalize(a, f"{here} args[{i}]") for i, a in enumerate(args)]}
    return {"op": op, "arg": _normalize(data["arg"], here + " arg")}


# -- evaluation -------------------------------------------------------------------------------
def _walk(value: Any, dotted: str) -> Any:
    if dotted == "":
        return value
    for part in dotted.split("."):
        if isinstance(value, dict):
            if part not in value:
                return _MISSING
            value = value[part]
        elif isinstance(value, list):
            if part == "length":
                value = len(value)
            elif part.isdigit() and (part == "0" or not part.startswith("0")) and int(part) < len(value):
                value = value[int(part)]
            else:
                return _MISSING
        else:
            return _MISSING
    return value


def _resolve(dotted: str, roots: dict[str, Any], step_result: Callable[[str], Any]) -> Any:
    root, _, rest = _unwrap(dotted).partition(".")
    if root == "stepResults":
        step_id, _, sub = rest.partition(".")
        try:
            found = step_result(step_id)
        except Exception:
            return _MISSING
        return _MISSING if found is None else _walk(found, sub)
    return _walk(roots[root], rest)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _strict_eq(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return a is b  # objects compare by identity, as JavaScript's ===
    return type(a) is type(b) and a == b


def _js_truthy(v: Any) -> bool:
    if v is _MISSING or v is None or v is False or v == "":
        return False
    if _is_number(v):
        return v != 0 and not (isinstance(v, float) and math.isnan(v))
    return True


def _eval(pred: dict[str, Any], resolve: Callable[[str], Any]) -> bool:
    op: str = pred["op"]

    def value(ref: dict[str, Any]) -> Any:
        return ref["literal"] if "literal" in ref else resolve(ref["path"])

    if op == "and":
        return all(_eval(a, resolve) for a in pred["args"])
    if op == "or":
        return any(_eval(a, resolve) for a in pred["args"])
    if op == "not":
        return not _eval(pred["arg"], resolve)
    if op in ("exists", "notExists"):
        return (resolve(pred["path"]) is not _MISSING) == (op == "exists")
    if op in ("truthy", "falsy"):
        return _js_truthy(value(pred["value"])) == (op == "truthy")
    if op in ("in", "notIn"):
        v = value(pred["value"])
        if v is _MISSING:
            return op == "notIn"
        return any(_strict_eq(c, v) for c in pred["set"]) == (op == "in")
    left, right = value(pred["left"]), value(pred["right"])
    if left is _MISSING or right is _MISSING:
        return False
    return _compare(op, left, right)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "eq":
        return _strict_eq(left, right)
    if op == "ne":
        return not _strict_eq(left, right)
    if not ((_is_number(left) and _is_number(right)) or (isinstance(left, str) and isinstance(right, str))):
        return False
    if op == "lt":
        return bool(left < right)
    if op == "lte":
        return bool(left <= right)
    if op == "gt":
        return bool(left > right)
    return bool(left >= right)


# -- labels -----------------------------------------------------------------------------------
def _render(pred: dict[str, Any]) -> str:
    op = pred["op"]
    if op in ("and", "or"):
        return (" AND " if op == "and" else " OR ").join(_wrap(a) for a in pred["args"])
    if op == "not":
        return "NOT " + _wrap(pred["arg"])
    if op == "exists":
        return f"{_render_path(pred['path'])} exists"
    if op == "notExists":
        return f"{_render_path(pred['path'])} missing"
    if op in ("truthy", "falsy"):
        return f"{_render_value(pred['value'])} is {op}"
    if op in ("in", "notIn"):
        word = "in" if op == "in" else "not in"
        return f"{_render_value(pred['value'])} {word} {js_json(pred['set'])}"
    return f"{_render_value(pred['left'])} {_COMPARISONS[op]} {_render_value(pred['right'])}"


def _wrap(child: dict[str, Any]) -> str:
    text = _render(child)
    return f"({text})" if child["op"] in ("and", "or", "not") else text


def _render_value(ref: dict[str, Any]) -> str:
    return js_json(ref["literal"]) if "literal" in ref else _render_path(ref["path"])


def _render_path(p: str) -> str:
    return p if p and all(c.isalnum() or c in "_.$" for c in p) and p.isascii() else js_json(p)
