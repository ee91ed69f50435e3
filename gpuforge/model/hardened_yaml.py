"""Spec YAML read defensively: bounded size, plain text, no aliases, no duplicate keys.

`read_spec_text` reads at most `MAX_SPEC_BYTES` of UTF-8; `parse_yaml` parses it with a
`SafeLoader` that refuses what a spec never needs (anchors and aliases, merge and complex
keys, deep nesting, invisible characters) and tracks the line of every value, so that a
later error can say where it is. Every problem is a `SpecError` naming file and line.
"""

from __future__ import annotations

import math
import re
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from gpuforge.model.errors import SpecError, format_path
from gpuforge.model.input_files import MAX_INPUT_BYTES, read_user_text

MAX_SPEC_BYTES = MAX_INPUT_BYTES
"""Largest spec file read: the one cap of `input_files`, for environment and job specs."""
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


_SCALAR_KINDS = {
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "a date",
}


class _Loader(yaml.SafeLoader):
    """SafeLoader for specs: no anchors or aliases, plain keys, bounded depth, no duplicates.

    Anchors and aliases are refused outright: specs are short, and an alias is how
    a 2 KB file expands into gigabytes (the "billion laughs") or refers to itself.
    Without them every node is composed once, so loading is linear in the file size.
    """

    def __init__(self, stream: str, strict_scalars: bool = True) -> None:
        super().__init__(stream)
        self._path: list[str | int] = []
        self._strict_scalars = strict_scalars

    def _error(self, problem: str, hint: str, mark: yaml.Mark) -> SpecError:
        return SpecError(format_path(tuple(self._path)), problem, hint, line=mark.line + 1)

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
        node = super().compose_node(parent, index)
        if isinstance(node, yaml.ScalarNode) and node.style is None:
            problem = scalar_problem(node.tag, node.value, strict=self._strict_scalars)
            if problem:
                raise self._error(*problem, node.start_mark)
        return node

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
            if self._strict_scalars and key.tag != "tag:yaml.org,2002:str":
                kind = _SCALAR_KINDS.get(key.tag, "not text")
                raise self._error(
                    f"the key {key.value or '(empty)'} is {kind}; keys are names",
                    f"quote it ('{key.value}') if it is meant as a name",
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


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


# -- plain scalars: YAML 1.2 meanings only ------------------------------------------------
#
# PyYAML resolves plain scalars by YAML 1.1 (https://yaml.org/type/int.html,
# https://yaml.org/type/float.html, https://yaml.org/type/bool.html), where `1:30` is the
# base-60 number 90, `0400` is octal 256, `0x10` is 16, `1_000` is 1000 and `yes`, `no`,
# `on`, `off` are booleans. YAML 1.2's core schema (https://yaml.org/spec/1.2.2/#1032-tag-
# resolution) reads all of these differently or as text. A spec is refused where the two
# versions disagree, so nothing means something its writer did not see: numbers are
# decimal (`256`, `1.5`), booleans are `true`/`false`, and anything else meant as text is
# quoted. `.inf`/`.nan` are refused too (no target takes them), and so is an integer
# outside int64 (Kubernetes' and AWS's widest integer; Python would stop at 4300 digits).

INT64_MAX = 2**63 - 1
_INT_YAML12 = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_FLOAT_YAML12 = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_BOOL_YAML12 = {"true", "True", "TRUE", "false", "False", "FALSE"}
YAML_RULE = (
    "numbers are decimal, booleans are true/false; YAML 1.1 forms (1:30, 0400, 0x1F, 1_000, "
    "yes/no/on/off, .inf/.nan) are refused: quote them for text"
)
"""What `scalar_problem` refuses, in one sentence (docs/spec.md and docs/jobs.md say it)."""


def scalar_problem(tag: str, value: str, *, strict: bool = True) -> tuple[str, str] | None:
    """(problem, hint) for a plain scalar YAML 1.1 and 1.2 read differently, else None."""
    if tag == "tag:yaml.org,2002:int":
        digits = value.lstrip("+-").replace("_", "")
        if len(digits) > 19 or (_INT_YAML12.fullmatch(value) and abs(int(value)) > INT64_MAX):
            shown = value if len(value) <= 24 else f"{value[:20]}... ({len(digits)} digits)"
            return (
                f"the number {shown} is too long: above 2^63-1, the largest integer taken",
                "no setting is that large: check the value",
            )
        if strict and not _INT_YAML12.fullmatch(value):
            meant = yaml.SafeLoader.construct_yaml_int(_Loader(""), yaml.ScalarNode(tag, value))
            return (
                f"{value} is a YAML 1.1 number ({_form(value)}, read as {meant})",
                f"write it in decimal ({meant}), or quote it ('{value}') for text",
            )
    elif tag == "tag:yaml.org,2002:float":
        lowered = value.lower().lstrip("+-")
        if lowered in (".inf", ".nan"):
            return f"{value} is not a finite number", "write a number"
        if strict and not _FLOAT_YAML12.fullmatch(value):
            return (
                f"{value} is a YAML 1.1 number ({_form(value)})",
                "write it in decimal (e.g. 1.5), or quote it for text",
            )
        if not math.isfinite(float(value.replace("_", "").split(":")[0] or "0")):
            return f"{value} is not a finite number", "write a smaller number"
    elif tag == "tag:yaml.org,2002:bool" and strict and value not in _BOOL_YAML12:
        return (
            f"{value} is a YAML 1.1 boolean",
            f"write true or false, or quote it ('{value}') for text",
        )
    return None


def _form(value: str) -> str:
    if ":" in value:
        return "base 60"
    if "_" in value:
        return "with '_' separators"
    bare = value.lstrip("+-").lower()
    if bare.startswith("0x"):
        return "hexadecimal"
    if bare.startswith("0b"):
        return "binary"
    return "octal"


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


def parse_yaml(
    text: str, file: str, *, strict_scalars: bool = True
) -> tuple[Any, dict[tuple, int]]:
    """Parsed data and a path -> line index, or a SpecError for bad or unsafe YAML.

    `strict_scalars` refuses plain scalars YAML 1.1 and 1.2 read differently (`YAML_RULE`);
    a file gpuforge does not define (a kubeconfig) is read without it.
    """
    text = text.removeprefix("\ufeff")  # a UTF-8 byte-order mark is harmless
    _check_characters(text, file)
    loader = _Loader(text, strict_scalars)
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


def read_spec_text(path: Path, shown: str) -> str:
    """The file's text: a regular file, UTF-8, at most MAX_SPEC_BYTES, else a SpecError."""
    return read_user_text(path, shown, what="spec file")
