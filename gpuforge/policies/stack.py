"""The resources rules see, and how a child resource is matched to its parent.

A `Resource` is one resource's URN, type token and plain camelCase props. A `Stack` is all
of them, with the lookups stack rules need: the children of a parent (the
BucketVersioning of a Bucket, the FlowLog of a Vpc) and the resource a reference names
(the LaunchTemplate of a NodeGroup).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .values import UNKNOWN, get, is_unknown


@dataclass(frozen=True)
class Resource:
    """One resource as the rules see it: URN, type token, plain camelCase props."""

    urn: str
    type: str
    props: Mapping[str, Any]

    @property
    def name(self) -> str:
        """The logical name: the last `::` segment of the URN."""
        return self.urn.rsplit("::", 1)[-1]

    def get(self, path: str, *, computed: bool = False) -> Any:
        return get(self.props, path, computed=computed)


@dataclass
class Stack:
    """Every resource of one stack, with the lookups stack rules need.

    Matching a child resource (a BucketVersioning, a FlowLog, ...) to its parent (a
    Bucket, a Vpc): the child's reference property (`bucket`, `vpcId`) is compared with
    the parent's keys: its own name property where it has one (`bucket` for a Bucket),
    its `id` prop when the caller knows it (CrossGuard stack props carry it), its logical
    name and its URN. A child whose reference is unknown matches no parent but makes every
    parent that has no match of its own UNKNOWN instead of failing, since that child may be
    the one that configures it.
    """

    resources: list[Resource]
    _by_type: dict[str, list[Resource]] = field(default_factory=dict, init=False, repr=False)
    _derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for r in self.resources:
            self._by_type.setdefault(r.type, []).append(r)

    def derived(self, key: str, compute: Callable[[Stack], Any]) -> Any:
        """`compute(self)`, once per stack: what a rule reads for each of many resources
        (each node group's scan of every Auto Scaling group tag was quadratic)."""
        if key not in self._derived:
            self._derived[key] = compute(self)
        return self._derived[key]

    def of_type(self, *types: str) -> list[Resource]:
        """The resources of these type tokens, in stack order."""
        return [r for t in types for r in self._by_type.get(t, [])]

    @staticmethod
    def keys_of(parent: Resource, name_prop: str | None = None) -> set[str]:
        """What a reference to `parent` may be: its name prop, id, name, ARN, logical name, URN."""
        keys = {parent.name, parent.urn}
        for prop in (name_prop, "id", "name", "arn"):
            if prop:
                value = parent.get(prop)
                if isinstance(value, str) and value and not is_unknown(value):
                    keys.add(value)
        return keys

    def children(
        self, parent: Resource, child_type: str, ref_prop: str, name_prop: str | None = None
    ) -> tuple[list[Resource], bool]:
        """(children of `child_type` whose `ref_prop` names `parent`, any child ref unknown?)"""
        keys = self.keys_of(parent, name_prop)
        matched: list[Resource] = []
        unknown = False
        for child in self.of_type(child_type):
            ref = child.get(ref_prop, computed=True)
            if ref is UNKNOWN:
                unknown = True
            elif isinstance(ref, str) and ref in keys:
                matched.append(child)
        return matched, unknown

    def find(self, types: Iterable[str], ref: Any, name_prop: str | None = None) -> Any:
        """The resource of one of `types` that `ref` names; UNKNOWN if ref is; None if none."""
        if ref is UNKNOWN:
            return UNKNOWN
        if not isinstance(ref, str):
            return None
        for r in self.of_type(*types):
            if ref in self.keys_of(r, name_prop):
                return r
        return None
