"""Read `stacks/<env>.yaml` into an `EnvironmentSpec`, turning every mistake into a `SpecError`.

YAML is parsed with line tracking so that an error can say where it is, and
duplicate keys (which YAML silently overwrites) are refused.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from gpuforge.model.catalog import close_names
from gpuforge.model.errors import SpecError
from gpuforge.model.spec import EnvironmentSpec

ModelT = TypeVar("ModelT", bound=BaseModel)

STACKS_DIR = "stacks"
PROJECT_FILE = "Pulumi.yaml"


# -- locating specs -----------------------------------------------------------


def project_root(start: Path | None = None) -> Path:
    """The nearest directory at or above `start` holding Pulumi.yaml (else `start`)."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / PROJECT_FILE).is_file():
            return candidate
    return here


def available_envs(root: Path | None = None) -> list[str]:
    """Environment names that have a `stacks/<name>.yaml`."""
    stacks = project_root(root) / STACKS_DIR
    return sorted(p.stem for p in stacks.glob("*.yaml")) if stacks.is_dir() else []


def resolve_env(value: str, root: Path | None = None) -> Path:
    """`-e` accepts a name (stacks/NAME.yaml) or a path to a spec file."""
    path = Path(value)
    if value.endswith((".yaml", ".yml")) or "/" in value or path.exists():
        if path.is_dir():
            raise SpecError("", "is a directory", "give a spec file or an env name", file=value)
        if not path.is_file():
            raise SpecError("", "no such spec file", "check the path", file=value)
        return path
    candidate = project_root(root) / STACKS_DIR / f"{value}.yaml"
    if not candidate.parent.is_dir():
        raise SpecError(
            "",
            f"no environment {value!r}: no {STACKS_DIR}/ directory here or above",
            "run from your gpuforge project, or give a path to a spec file",
            file=f"{STACKS_DIR}/{value}.yaml",
        )
    if not candidate.is_file():
        envs = available_envs(root)
        near = close_names(value, envs)
        hint = f"did you mean {', '.join(near)}?" if near else f"known: {', '.join(envs) or 'none'}"
        raise SpecError("", f"no environment {value!r}", hint, file=f"{STACKS_DIR}/{value}.yaml")
    return candidate


# -- YAML with line numbers ---------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and remembers where each value sits."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise SpecError(
                str(key),
                f"key appears twice (first on line {seen[key]})",
                "YAML keeps only the last one: remove the duplicate",
                line=key_node.start_mark.line + 1,
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _line_index(node: yaml.Node, prefix: tuple = ()) -> dict[tuple, int]:
    """Map each value's path (keys and list indices) to its 1-based line."""
    index: dict[tuple, int] = {prefix: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, key_node.value)
            index[path] = key_node.start_mark.line + 1
            index.update({k: v for k, v in _line_index(value_node, path).items() if k != path})
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            index.update(_line_index(item, (*prefix, i)))
    return index


def parse_yaml(text: str, file: str) -> tuple[Any, dict[tuple, int]]:
    """Parsed data and a path -> line index, or a SpecError for bad YAML."""
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except SpecError as exc:
        raise exc.located(file, exc.line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        problem = exc.problem or "invalid YAML"
        raise SpecError(
            f"column {mark.column + 1}" if mark else "",
            f"invalid YAML: {problem}",
            "check indentation and quoting",
            file=file,
            line=mark.line + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError("", f"invalid YAML: {exc}", "check the file", file=file) from None
    return data, (_line_index(node) if node is not None else {})


# -- pydantic errors, translated ------------------------------------------------


def _format_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


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
    path = _format_path(loc)
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


# -- the entry points -----------------------------------------------------------


def spec_from_data(data: Any, file: str = "<spec>", lines: dict | None = None) -> EnvironmentSpec:
    """Validate already-parsed data (from YAML or Pulumi config) into the spec model."""
    return model_from_data(
        EnvironmentSpec, data, file, lines, doc="stacks/README.md", start="stacks/dev.yaml"
    )


def model_from_data(
    model: type[ModelT],
    data: Any,
    file: str,
    lines: dict | None = None,
    *,
    doc: str,
    start: str,
    locate: Callable[[tuple], tuple[str, int | None]] | None = None,
) -> ModelT:
    """Validate parsed YAML into `model`, every mistake a `SpecError` naming file and line.

    `doc` is the reference a hint points to, `start` the example an empty file should
    begin from. `locate(path)` may place an error somewhere other than `file` (a
    command-line override); by default the path's nearest line in `file`.
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
        return model.model_validate(data)
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


def parse_path(field: str) -> tuple:
    """`a.b[0].c` -> ("a", "b", 0, "c")."""
    out: list = []
    for part in field.replace("]", "").replace("[", ".").split("."):
        if part:
            out.append(int(part) if part.isdigit() else part)
    return tuple(out)


def _nearest_line(lines: dict[tuple, int], loc: tuple) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines and end > 0:
            return lines[loc[:end]]
    return None


def load_spec(path: str | Path) -> EnvironmentSpec:
    """Read and validate one spec file. Raises SpecError with file, line and field."""
    path = Path(path)
    shown = display_path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise SpecError("", "no such spec file", "check the path", file=shown) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError("", f"cannot read: {exc}", "check the file", file=shown) from None
    data, lines = parse_yaml(text, shown)
    spec = spec_from_data(data, shown, lines)
    if path.parent.name == STACKS_DIR and spec.environment != path.stem:
        raise SpecError(
            "environment",
            f"{spec.environment!r} does not match the file name {path.name!r}",
            f"set environment: {path.stem} or rename the file",
            file=shown,
            line=lines.get(("environment",)),
        )
    return spec


def load_env(value: str, root: Path | None = None) -> tuple[Path, EnvironmentSpec]:
    """Resolve `-e VALUE` and load it."""
    path = resolve_env(value, root)
    return path, load_spec(path)


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
