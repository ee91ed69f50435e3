"""Reading resource props with three values: known, UNKNOWN (not known yet) and MISSING.

During `pulumi preview` a computed value is not known; a rule must then say UNKNOWN
(neither pass nor fail), never read it as absent. Everything here turns whatever Pulumi or
pulumi-policy hands over into plain dicts and lists with one `UNKNOWN` marker, and reads
key paths, lists and policy documents out of them. Nothing here imports pulumi.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any


class _Marker:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name

    def __bool__(self) -> bool:  # never truthy: `if value:` must not pass on a marker
        return False


UNKNOWN: Any = _Marker("UNKNOWN")
"""A value that is not known yet (computed during `pulumi preview`)."""

MISSING: Any = _Marker("MISSING")
"""A property that is not set at all."""

# pulumi-policy's sentinels (pulumi_policy/proxy.py): during preview CrossGuard passes a
# property whose value is computed as one of these strings; its proxy raises
# UnknownValueError when a policy reads one. `normalize` turns them into UNKNOWN.
# The plain string one is also the Pulumi engine's wire value for an unknown.
_UNKNOWN_SENTINELS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string (also pulumi.runtime.rpc.UNKNOWN)
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)
_PROXY_CLASSES = frozenset({"_DictProxy", "_ListProxy", "_DictSecretsProxy", "_ListSecretsProxy"})


def is_unknown(value: Any) -> bool:
    """True for UNKNOWN, a pulumi-policy sentinel string or a `pulumi.output.Unknown`."""
    if value is UNKNOWN:
        return True
    if isinstance(value, str):
        return value in _UNKNOWN_SENTINELS
    cls = type(value)
    return cls.__name__ == "Unknown" and cls.__module__.startswith("pulumi")


def normalize(value: Any) -> Any:
    """Plain dicts/lists from whatever Pulumi hands us, with every unknown as UNKNOWN.

    Handles pulumi-policy's unknown-checking and secret proxies (read through their
    `__target` so that no UnknownValueError is raised), its `Secret` wrapper, the
    sentinel strings, and the `pulumi.output.Unknown` that Pulumi mocks pass in preview.
    """
    cls = type(value)
    if cls.__name__ in _PROXY_CLASSES and cls.__module__.startswith("pulumi_policy"):
        return normalize(value["__target"])
    if cls.__name__ == "Secret" and cls.__module__.startswith("pulumi_policy"):
        return normalize(value.value)
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, Mapping):
        return {str(k): normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or (
        isinstance(value, Sequence) and not isinstance(value, (str, bytes))
    ):
        return [normalize(v) for v in value]
    return value


def get(props: Any, path: str, *, computed: bool = False) -> Any:
    """The value at a dotted key path (`vpcConfig.publicAccessCidrs`, `rules.0.status`).

    Returns MISSING when a key along the path is absent or None, UNKNOWN when a value
    along the path is unknown. With `computed=True` the property is one the provider
    computes when it is not set (an id, an autoname, a reference to another resource's
    output), so absent or None means "not known yet": UNKNOWN, not MISSING. Pulumi mocks
    outside preview drop unknown inputs entirely, which is why this matters.
    """
    cur = props
    for part in path.split("."):
        if is_unknown(cur):
            return UNKNOWN
        if isinstance(cur, Mapping):
            cur = cur.get(part, MISSING)
        elif isinstance(cur, list) and part.isdigit():
            idx = int(part)
            cur = cur[idx] if idx < len(cur) else MISSING
        else:
            cur = MISSING
        if cur is None:
            cur = MISSING
        if cur is MISSING:
            return UNKNOWN if computed else MISSING
    return UNKNOWN if is_unknown(cur) else cur


def as_list(value: Any) -> Any:
    """A list (MISSING → [], a scalar → [scalar]); UNKNOWN stays UNKNOWN."""
    if is_unknown(value):
        return UNKNOWN
    if value is MISSING or value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def tags_of(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """A resource's `tags` map, or {} when absent or unknown."""
    tags = get(props, "tags")
    return tags if isinstance(tags, Mapping) else {}


def parse_policy(value: Any) -> Any:
    """An IAM/KMS/S3 policy document as a dict (it may come as JSON text or a dict).

    Returns MISSING when unset, UNKNOWN when not known yet, and None when it is not
    valid JSON (the provider rejects that anyway; rules treat it as unknown).
    """
    if value is MISSING or is_unknown(value):
        return value
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    value = normalize(value)
    return value if isinstance(value, Mapping) else None


def statements(doc: Mapping[str, Any]) -> list[Any]:
    """The `Statement` list of a policy document (a single statement becomes a list).

    A list that is not known yet reads as one unknown statement, `[UNKNOWN]`.
    """
    if not isinstance(doc, Mapping):
        return []
    found = as_list(doc.get("Statement", MISSING))
    return [UNKNOWN] if found is UNKNOWN else found


def allow_statements(doc: Any) -> Iterator[tuple[int, Any]]:
    """(index, statement) for each Allow statement of a parsed policy document, and
    (index, UNKNOWN) for a document or statement that is not known or not valid.
    A MISSING document has none."""
    if doc is MISSING:
        return
    if doc is UNKNOWN or doc is None:
        yield -1, UNKNOWN
        return
    for i, st in enumerate(statements(doc)):
        if st is UNKNOWN or not isinstance(st, dict):
            yield i, UNKNOWN
        elif st.get("Effect") == "Allow":
            yield i, st


def statement_list(statement: Mapping[str, Any], key: str, *, partial: bool = False) -> Any:
    """A policy statement's `Action` or `Resource` (or a Principal's `Service`) as a list.

    A single value becomes a one-item list, an absent key `[]`. UNKNOWN when the value is
    not known yet or any item of it is not; with `partial=True` a known list keeps its
    unknown items, for rules where one known bad item fails the statement anyway.
    """
    items = as_list(statement.get(key, MISSING))
    if not partial and items is not UNKNOWN and UNKNOWN in items:
        return UNKNOWN
    return items


def everyone(principal: Any) -> Any:
    """Is a statement's Principal everyone (`*` or `{"AWS": "*"}`)? True, False or UNKNOWN.

    UNKNOWN when the Principal, its `AWS` list or an item of it is not known yet (and no
    known item is `*`): such a principal may turn out to be `*`.
    """
    if is_unknown(principal):
        return UNKNOWN
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    aws = as_list(principal.get("AWS", MISSING))
    if aws is UNKNOWN:
        return UNKNOWN
    if "*" in aws:
        return True
    return UNKNOWN if any(is_unknown(a) for a in aws) else False
