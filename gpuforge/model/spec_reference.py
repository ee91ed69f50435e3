"""The spec's field reference, as a markdown table, from the pydantic models themselves.

One generator for every copy of the reference: `scripts/gen_spec_docs.py` writes it into
this repository's stacks/README.md, and `gpuforge init` into a new repository's, so the
"see stacks/README.md" hints of spec errors point at a file that exists in both.
"""

from __future__ import annotations

import json
import types
import typing

from pydantic import BaseModel
from pydantic.fields import PydanticUndefined


def _type_name(annotation) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args if a is not type(None)) + (
            " (optional)" if type(None) in args else ""
        )
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return "map"
    if origin is typing.Annotated:
        return _type_name(args[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    return getattr(annotation, "__name__", str(annotation))


def _default(field) -> str:
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, BaseModel):
            return "(see below)"
        if isinstance(value, list) and value and isinstance(value[0], BaseModel):
            value = [v.model_dump() for v in value]
    elif field.default is PydanticUndefined:
        return "**required**"
    else:
        value = field.default
    return f"`{json.dumps(value)}`"


def _model_of(annotation):
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def rows(model: type[BaseModel], prefix: str = "") -> list[str]:
    """One markdown row per field (path, type, default, description), nested models below."""
    out = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        desc = (field.description or "").replace("|", "\\|")
        out.append(f"| `{path}` | {_type_name(field.annotation)} | {_default(field)} | {desc} |")
        sub = _model_of(field.annotation)
        if sub is not None:
            is_list = typing.get_origin(field.annotation) is list
            out.extend(rows(sub, f"{path}[].") if is_list else rows(sub, f"{path}."))
    return out


def table(model: type[BaseModel]) -> str:
    """The markdown table of every field of `model`, nested fields dotted."""
    head = "| field | type | default | meaning |\n| --- | --- | --- | --- |\n"
    return head + "\n".join(rows(model)) + "\n"
