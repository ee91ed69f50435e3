"""Regenerate the field reference in stacks/README.md from the spec model.

The table between the BEGIN/END markers is derived from `EnvironmentSpec`'s
fields (type, default, description); `tests/test_docs.py` fails when it is stale.

    .venv/bin/python scripts/gen_spec_docs.py
"""

from __future__ import annotations

import json
import typing
from pathlib import Path

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from gpuforge.model.spec import EnvironmentSpec

ROOT = Path(__file__).resolve().parent.parent

README = ROOT / "stacks" / "README.md"
BEGIN, END = "<!-- BEGIN SPEC REFERENCE -->", "<!-- END SPEC REFERENCE -->"


def _type_name(annotation) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
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


def table() -> str:
    head = "| field | type | default | meaning |\n| --- | --- | --- | --- |\n"
    return head + "\n".join(rows(EnvironmentSpec)) + "\n"


def updated(text: str) -> str:
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + table() + text[end:]


def main() -> None:
    README.write_text(updated(README.read_text()))
    print(f"wrote {README}")


if __name__ == "__main__":
    main()
