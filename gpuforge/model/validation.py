"""Parsed data into a pydantic model, each of pydantic's errors turned into a `SpecError`.

`model_from_data` validates the structure (keys, types, allowed values) of an environment
spec or a job spec and reports the first mistake the way a user can act on it: the field
path, its line in the file, a did-you-mean for an unknown key, and a hint that names the
expected type. The cross-field rules of an environment are `gpuforge.model.checks`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from gpuforge.model.catalog import close_names
from gpuforge.model.errors import SpecError, format_path, parse_path

ModelT = TypeVar("ModelT", bound=BaseModel)


def model_from_data(
    model: type[ModelT],
    data: Any,
    file: str,
    lines: dict | None = None,
    *,
    doc: str,
    start: str,
    locate: Callable[[tuple], tuple[str, int | None]] | None = None,
    check: Callable[[ModelT], None] | None = None,
) -> ModelT:
    """Validate parsed YAML into `model`, every mistake a `SpecError` naming file and line.

    `doc` is the reference a hint points to, `start` the example an empty file should
    begin from. `locate(path)` may place an error somewhere other than `file` (a
    command-line override); by default the path's nearest line in `file`. `check(model)`
    runs once the structure is valid and may raise a `SpecError` for a field path, which
    is located the same way.
    """
    lines = lines or {}

    def where(loc: tuple) -> tuple[str, int | None]:
        return locate(loc) if locate else (file, _nearest_line(lines, loc))

    if data is None:
        raise SpecError("", "the spec is empty", f"start from {start}", file=file)
    if not isinstance(data, dict):
        raise SpecError(
            "",
            f"expected a mapping at the top, got {type(data).__name__}",
            f"see {doc}",
            file=file,
        )
    try:
        validated = model.model_validate(data)
        if check is not None:
            check(validated)
        return validated
    except ValidationError as exc:
        first = _most_specific(exc.errors())
        loc = _strip_union_tags(tuple(first["loc"]))
        raise _translate(first, model, doc).located(*where(loc)) from None
    except SpecError as exc:
        raise exc.located(*where(parse_path(exc.field))) from None


def _most_specific(errors: list[dict]) -> dict:
    """The first error, or a deeper one at the same field.

    For a union (`azs: int | list[str]`) pydantic reports one error per member;
    the deepest names the actual bad item (`azs[0]` for `azs: [1, 2]`).
    """
    first = errors[0]
    field = _strip_union_tags(tuple(first["loc"]))
    same = [e for e in errors if _strip_union_tags(tuple(e["loc"]))[: len(field)] == field]
    return max(same, key=lambda e: len(e["loc"]))


def _nearest_line(lines: dict[tuple, int], loc: tuple) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines and end > 0:
            return lines[loc[:end]]
    return None


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names of the model that sits at `loc` (for did-you-mean on unknown keys)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        current = _model_in(field.annotation)
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found:
            return found
    return None


def _strip_union_tags(loc: tuple) -> tuple:
    """Drop pydantic's union-member tags (`int`, `list[str]`) from an error location."""
    return tuple(
        p
        for p in loc
        if isinstance(p, int)
        or not any(c in p for c in "[]")
        and p not in ("int", "str", "float", "bool")
    )


def _translate(error: dict, model: type[BaseModel], doc: str) -> SpecError:
    loc = _strip_union_tags(tuple(error["loc"]))
    path = format_path(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        known = _fields_at(model, loc[:-1])
        near = close_names(str(loc[-1]), known, n=1)
        hint = f"did you mean {near[0]!r}?" if near else f"known keys: {', '.join(known)}"
        return SpecError(path, "unknown key", hint)
    if kind == "missing":
        return SpecError(path, "required field is missing", f"see {doc}")
    if kind in ("literal_error", "enum"):
        expected = error.get("ctx", {}).get("expected", "")
        return SpecError(path, f"{error['input']!r} is not allowed", f"expected {expected}")
    got = error.get("input")
    shown = f" (got {got!r})" if not isinstance(got, dict | list) else ""
    return SpecError(path, error["msg"].lower() + shown.split(" (")[0], _type_hint(kind, got, doc))


def _type_hint(kind: str, got: Any, doc: str) -> str:
    if kind.startswith(("int", "float")):
        return f"got {got!r}; write a number without quotes"
    if kind.startswith("bool"):
        return f"got {got!r}; write true or false"
    if kind.startswith(("list", "dict", "model")):
        return f"got {type(got).__name__}; see {doc} for the shape"
    if kind.startswith("string"):
        return f"got {got!r}; quote the value"
    return f"see {doc}"
