"""The Rule type, the three-valued lookup helpers, the declarative helper and the registry.

A rule is one small unit (checkov style): an ID, an "Ensure ..." title, a severity, an
enforcement level, the Pulumi type tokens it applies to, the matching checkov / Trivy IDs,
and one check function. A check is a generator over one resource of a matching type that
yields

- a string: a violation, worded as what to change;
- `UNKNOWN`: some value it needs is not known yet (`pulumi preview`), so the rule can
  neither pass nor fail this resource.

Yielding nothing means the resource passes. A known violation wins over an unknown.

Resource rules see one resource's props. Stack rules are evaluated per target resource
too, but also see the whole `Stack` (needed to find the separate resources that configure
a bucket or a VPC). Nothing here imports pulumi.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Literal

Severity = Literal["low", "medium", "high", "critical"]
Enforcement = Literal["advisory", "mandatory"]
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
ENFORCEMENTS: tuple[str, ...] = ("advisory", "mandatory")

ENV_TAG = "gpuforge.dev/environment"
POOL_TAG = "gpuforge.dev/pool"


# --------------------------------------------------------------------------- unknowns


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
    """The `Statement` list of a policy document (a single statement becomes a list)."""
    return as_list(doc.get("Statement", MISSING)) if isinstance(doc, Mapping) else []


# --------------------------------------------------------------------------- context


@dataclass(frozen=True)
class RuleContext:
    """What a rule may know beyond the resource: the environment and the budget.

    `environment` is the gpuforge environment name (`dev`, `staging`, `prod`, ...);
    a resource's own `gpuforge.dev/environment` tag wins over it.
    `monthly_budget_usd` is the most one node group may cost per month at its max size
    (None: no budget, the budget rule passes). `today` pins the date for date-dependent
    rules (the EKS support calendar); None means the real date.
    """

    environment: str | None = None
    monthly_budget_usd: float | None = None
    today: date | None = None

    def environment_of(self, props: Mapping[str, Any]) -> str | None:
        tag = tags_of(props).get(ENV_TAG)
        if isinstance(tag, str) and not is_unknown(tag):
            return tag
        return self.environment

    def on_date(self) -> date:
        from gpuforge.model.catalog import policy_date

        return self.today or policy_date()


# --------------------------------------------------------------------------- resources


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

    def __post_init__(self) -> None:
        for r in self.resources:
            self._by_type.setdefault(r.type, []).append(r)

    def of_type(self, *types: str) -> list[Resource]:
        return [r for t in types for r in self._by_type.get(t, [])]

    @staticmethod
    def keys_of(parent: Resource, name_prop: str | None = None) -> set[str]:
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

    def check_children(
        self,
        parent: Resource,
        child_type: str,
        ref_prop: str,
        ok: Callable[[Resource], Any],
        missing: str,
        wrong: str,
        name_prop: str | None = None,
    ) -> Iterator[Any]:
        """The common shape of "every parent has a child that is ok" stack rules.

        Passes if any matched child is ok (`ok` returns True/False/UNKNOWN); UNKNOWN if none
        is but one is unknown or some child's reference is unknown; else yields `wrong` when
        children exist but none is ok, `missing` when there are none.
        """
        children, ref_unknown = self.children(parent, child_type, ref_prop, name_prop)
        verdicts = [ok(c) for c in children]
        if any(v is True for v in verdicts):
            return
        if ref_unknown or any(v is UNKNOWN for v in verdicts):
            yield UNKNOWN
            return
        yield wrong if children else missing

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


# --------------------------------------------------------------------------- rules

Check = Callable[..., Iterable[Any]]


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Result:
    """One rule's verdict on one resource."""

    rule: Rule
    resource: Resource
    outcome: Outcome
    messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """One rule: `check(resource, ctx)`, or for stack rules `check(resource, stack, ctx)`."""

    id: str
    title: str
    severity: Severity
    enforcement: Enforcement
    types: tuple[str, ...]
    check: Check = field(repr=False, compare=False)
    stack: bool = False
    checkov: tuple[str, ...] = ()
    trivy: tuple[str, ...] = ()

    def applies_to(self, type_token: str) -> bool:
        return type_token in self.types

    def run(self, resource: Resource, stack: Stack, ctx: RuleContext) -> Result:
        items = self.check(resource, stack, ctx) if self.stack else self.check(resource, ctx)
        messages: list[str] = []
        unknown = False
        for item in items or ():
            if item is UNKNOWN:
                unknown = True
            else:
                messages.append(str(item))
        if messages:
            return Result(self, resource, Outcome.FAIL, tuple(messages))
        return Result(self, resource, Outcome.UNKNOWN if unknown else Outcome.PASS)


_REGISTRY: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    """Add a rule to the registry (IDs are unique; the module order is the table order)."""
    if rule.id in _REGISTRY:
        raise ValueError(f"duplicate rule id {rule.id}")
    if rule.severity not in SEVERITIES or rule.enforcement not in ENFORCEMENTS:
        raise ValueError(f"{rule.id}: bad severity or enforcement")
    if not rule.title.startswith("Ensure "):
        raise ValueError(f"{rule.id}: titles start with 'Ensure '")
    _REGISTRY[rule.id] = rule
    return rule


def registered() -> list[Rule]:
    return list(_REGISTRY.values())


def rule(
    id: str,
    title: str,
    *,
    severity: Severity,
    enforcement: Enforcement = "mandatory",
    types: Sequence[str],
    stack: bool = False,
    checkov: Sequence[str] = (),
    trivy: Sequence[str] = (),
) -> Callable[[Check], Rule]:
    """Decorator: register the decorated check function as a Rule."""

    def wrap(fn: Check) -> Rule:
        return register(
            Rule(
                id=id,
                title=title,
                severity=severity,
                enforcement=enforcement,
                types=tuple(types),
                check=fn,
                stack=stack,
                checkov=tuple(checkov),
                trivy=tuple(trivy),
            )
        )

    return wrap


_NOTHING: Any = _Marker("NOTHING")


def key_rule(
    id: str,
    title: str,
    *,
    severity: Severity,
    enforcement: Enforcement = "mandatory",
    types: Sequence[str],
    path: str,
    equals: Any = _NOTHING,
    one_of: Sequence[Any] | None = None,
    not_equals: Any = _NOTHING,
    not_in: Sequence[Any] | None = None,
    default: Any = MISSING,
    fix: str,
    checkov: Sequence[str] = (),
    trivy: Sequence[str] = (),
) -> Rule:
    """Declarative rule: the value at `path` must equal / be one of / not equal / not be in.

    `default` is the value the provider uses when the property is not set (AWS's default);
    leave it MISSING when an unset property should fail an `equals`/`one_of` rule and pass a
    `not_equals`/`not_in` rule. An unknown value is always UNKNOWN. `fix` says what to write.
    """
    expected = [equals] if equals is not _NOTHING else list(one_of) if one_of is not None else None
    forbidden = (
        [not_equals] if not_equals is not _NOTHING else list(not_in) if not_in is not None else None
    )
    if (expected is None) == (forbidden is None):
        raise ValueError(f"{id}: give exactly one of equals/one_of/not_equals/not_in")

    def check(resource: Resource, ctx: RuleContext) -> Iterator[Any]:
        value = resource.get(path)
        if value is MISSING:
            value = default
        if value is UNKNOWN:
            yield UNKNOWN
            return
        shown = "not set" if value is MISSING else f"{value!r}"
        bad_expected = expected is not None and value not in expected
        bad_forbidden = forbidden is not None and value is not MISSING and value in forbidden
        if bad_expected or bad_forbidden:
            yield f"{path} is {shown}: {fix}"

    return register(
        Rule(
            id=id,
            title=title,
            severity=severity,
            enforcement=enforcement,
            types=tuple(types),
            check=check,
            checkov=tuple(checkov),
            trivy=tuple(trivy),
        )
    )
