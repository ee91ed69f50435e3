"""Read `stacks/<env>.yaml` into an `EnvironmentSpec`, turning every mistake into a `SpecError`.

YAML is parsed with line tracking so that an error can say where it is, and
duplicate keys (which YAML silently overwrites) are refused.
"""

from __future__ import annotations

import re
import unicodedata
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

MAX_SPEC_BYTES = 32 * 1024
"""Largest spec file read (the shipped ones are under 2 KB); parsing 32 KiB takes ~0.25 s."""
MAX_DEPTH = 16
"""Deepest nesting of mappings and lists (the spec's own deepest is 5)."""

# Characters a spec never needs and YAML or a terminal would misread: C0/C1 controls
# (but tab, LF, CR), NEL and the Unicode line/paragraph separators YAML 1.1 treats as
# line breaks, zero-width characters, bidirectional overrides ("trojan source") and
# non-characters.
_UNWANTED_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\ufffe\uffff\ud800-\udfff]"
)


class _Loader(yaml.SafeLoader):
    """SafeLoader for specs: no anchors or aliases, plain keys, bounded depth, no duplicates.

    Anchors and aliases are refused outright: specs are short, and an alias is how
    a 2 KB file expands into gigabytes (the "billion laughs") or refers to itself.
    Without them every node is composed once, so loading is linear in the file size.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._path: list[str | int] = []

    def _error(self, problem: str, hint: str, mark: yaml.Mark) -> SpecError:
        return SpecError(_format_path(tuple(self._path)), problem, hint, line=mark.line + 1)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise self._error(
                f"YAML aliases (*{event.anchor}) are not allowed in a spec",
                "write the value out: specs are short, and aliases can expand without bound",
                event.start_mark,
            )
        if getattr(event, "anchor", None) is not None:
            raise self._error(
                f"YAML anchors (&{event.anchor}) are not allowed in a spec",
                "write the value out where it is used",
                event.start_mark,
            )
        if len(self._path) >= MAX_DEPTH:
            raise self._error(
                f"nested deeper than {MAX_DEPTH} levels",
                "a spec is at most a few levels deep: see stacks/README.md",
                event.start_mark,
            )
        return super().compose_node(parent, index)

    def compose_sequence_node(self, anchor: str | None) -> yaml.SequenceNode:
        start = self.get_event()
        tag = start.tag
        if tag is None or tag == "!":
            tag = self.resolve(yaml.SequenceNode, None, start.implicit)
        node = yaml.SequenceNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        while not self.check_event(yaml.SequenceEndEvent):
            self._path.append(len(node.value))
            node.value.append(self.compose_node(node, len(node.value)))
            self._path.pop()
        node.end_mark = self.get_event().end_mark
        return node

    def compose_mapping_node(self, anchor: str | None) -> yaml.MappingNode:
        start = self.get_event()
        tag = start.tag
        if tag is None or tag == "!":
            tag = self.resolve(yaml.MappingNode, None, start.implicit)
        node = yaml.MappingNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        while not self.check_event(yaml.MappingEndEvent):
            key = self.compose_node(node, None)
            if not isinstance(key, yaml.ScalarNode):
                kind = "list" if isinstance(key, yaml.SequenceNode) else "mapping"
                raise self._error(
                    f"a key must be a plain name, not a {kind}",
                    "YAML complex keys (? [a, b]) are not allowed in a spec",
                    key.start_mark,
                )
            if key.tag == "tag:yaml.org,2002:merge":
                raise self._error(
                    "YAML merge keys (<<) are not allowed in a spec",
                    "write the keys out",
                    key.start_mark,
                )
            self._path.append(key.value)
            value = self.compose_node(node, key)
            self._path.pop()
            node.value.append((key, value))
        node.end_mark = self.get_event().end_mark
        return node


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


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    try:
        return yaml.SafeLoader.construct_yaml_int(loader, node)
    except ValueError:  # e.g. more digits than Python converts (sys.get_int_max_str_digits)
        raise SpecError(
            "",
            f"the number {node.value[:20]}... is too long",
            "numbers in a spec are small: check the value",
            line=node.start_mark.line + 1,
        ) from None


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


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


def _check_characters(text: str, file: str) -> None:
    bad = _UNWANTED_CHARS.search(text)
    if bad is None:
        return
    line = text.count("\n", 0, bad.start()) + 1
    column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
    char = bad.group()
    name = unicodedata.name(char, "control character")
    raise SpecError(
        f"column {column}",
        f"unexpected character U+{ord(char):04X} ({name})",
        "a spec is plain text: remove it (an editor may show nothing there)",
        file=file,
        line=line,
    )


def parse_yaml(text: str, file: str) -> tuple[Any, dict[tuple, int]]:
    """Parsed data and a path -> line index, or a SpecError for bad or unsafe YAML."""
    text = text.removeprefix("\ufeff")  # a UTF-8 byte-order mark is harmless
    _check_characters(text, file)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
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
    finally:
        loader.dispose()
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
            out.append(int(part) if part.isascii() and part.isdigit() else part)
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
    text = read_spec_text(path, shown)
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


def read_spec_text(path: Path, shown: str) -> str:
    """The file's text: UTF-8, at most MAX_SPEC_BYTES, else a SpecError."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_SPEC_BYTES + 1)
    except FileNotFoundError:
        raise SpecError("", "no such spec file", "check the path", file=shown) from None
    except OSError as exc:
        raise SpecError(
            "", f"cannot read: {exc.strerror or exc}", "check the file", file=shown
        ) from None
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(
            "",
            f"the file is larger than {MAX_SPEC_BYTES // 1024} KiB",
            "a spec is a few KB: is this the right file?",
            file=shown,
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            "",
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x})",
            "save the spec as UTF-8",
            file=shown,
            line=raw.count(b"\n", 0, exc.start) + 1,
        ) from None


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
