"""Declarative rules: "this key must (not) equal", and "every parent has a companion like this".

A rule of one of these shapes is one call here instead of a hand-written check:

- `key_rule`: the value at a key path of one resource must equal / be one of / not equal /
  not be in given values, or pass a value test (checkov's `get_inspected_key` /
  `get_expected_value`).
- `companion_rule`: every parent resource (a Bucket, a Vpc) must be named by a companion
  resource of one type (its BucketVersioning, its FlowLog) whose props satisfy a condition.

Conditions are functions of a resource's props that answer True, False or UNKNOWN; `expect`
and `any_item` build the common ones; `one_of`, `nonempty_string`, `is_set` and `empty`
are value tests for `expect` and `key_rule`. Each helper registers the rule it declares.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .context import RuleContext
from .rule import Enforcement, Rule, Severity, rule
from .stack import Resource, Stack
from .values import MISSING, UNKNOWN, as_list, get

Condition = Callable[[Mapping[str, Any]], Any]
"""Props -> True (satisfied), False (not) or UNKNOWN (not known yet)."""

_NOTHING: Any = object()


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
    test: Callable[[Any], bool] | None = None,
    default: Any = MISSING,
    fix: str,
    unset: str = "not set",
    checkov: Sequence[str] = (),
    trivy: Sequence[str] = (),
) -> Rule:
    """Declarative rule: the value at `path` must equal / be one of / not equal / not be in
    given values, or pass a value `test` (like `expect`'s: it gets MISSING when unset).

    Values match as in `expect`: a bool matches only itself (True is not 1). `default` is
    the value the provider uses when the property is not set (AWS's default); leave it
    MISSING when an unset property should fail an `equals`/`one_of` rule and pass a
    `not_equals`/`not_in` rule. A value that is unknown, or a list with an unknown item,
    is UNKNOWN. A violation reads "<path> is <value>: <fix>", the value shown as `unset`
    when the property is not set.
    """
    expected = [equals] if equals is not _NOTHING else list(one_of) if one_of is not None else None
    forbidden = (
        [not_equals] if not_equals is not _NOTHING else list(not_in) if not_in is not None else None
    )
    if sum(x is not None for x in (expected, forbidden, test)) != 1:
        raise ValueError(f"{id}: give exactly one of equals/one_of/not_equals/not_in/test")

    def holds(value: Any) -> bool:
        if test is not None:
            return bool(test(value))
        if expected is not None:
            return any(_satisfies(value, want) for want in expected)
        return value is MISSING or not any(_satisfies(value, bad) for bad in forbidden or ())

    def check(resource: Resource, ctx: RuleContext) -> Iterator[Any]:
        value = resource.get(path)
        shown = unset if value is MISSING else f"{value!r}"
        if value is MISSING:
            value = default
        if value is UNKNOWN or (isinstance(value, list) and UNKNOWN in value):
            yield UNKNOWN
        elif not holds(value):
            yield f"{path} is {shown}: {fix}"

    return rule(
        id,
        title,
        severity=severity,
        enforcement=enforcement,
        types=types,
        checkov=checkov,
        trivy=trivy,
    )(check)


# --------------------------------------------------------------------------- conditions


def _satisfies(value: Any, wanted: Any) -> bool:
    if callable(wanted):
        return bool(wanted(value))
    if isinstance(wanted, bool):  # True must not match 1
        return value is wanted
    return value == wanted


def expect(wanted: Mapping[str, Any]) -> Condition:
    """Every key path in `wanted` holds its value (or, for a function, satisfies it).

    A function receives the known value, MISSING when the key is not set. The condition is
    False as soon as one known value misses (a known miss wins over an unknown), UNKNOWN
    when none misses but one is unknown, else True.
    """

    def condition(props: Mapping[str, Any]) -> Any:
        verdict: Any = True
        for path, want in wanted.items():
            value = get(props, path)
            if value is UNKNOWN:
                verdict = UNKNOWN
            elif not _satisfies(value, want):
                return False
        return verdict

    return condition


def any_item(path: str, condition: Condition) -> Condition:
    """The list at `path` has an item that satisfies `condition` (UNKNOWN if it may have)."""

    def any_(props: Mapping[str, Any]) -> Any:
        items = as_list(get(props, path))
        if items is UNKNOWN:
            return UNKNOWN
        verdicts = [
            UNKNOWN if item is UNKNOWN else condition(item if isinstance(item, Mapping) else {})
            for item in items
        ]
        if any(v is True for v in verdicts):
            return True
        return UNKNOWN if any(v is UNKNOWN for v in verdicts) else False

    return any_


def one_of(*values: Any) -> Callable[[Any], bool]:
    """A value test for `expect`: the value is one of these."""
    return lambda value: value in values


def nonempty_string(value: Any) -> bool:
    """A value test for `expect`: a string with something in it (an ARN, a name)."""
    return isinstance(value, str) and bool(value)


def is_set(value: Any) -> bool:
    """A value test: the property is set, to something other than an empty string."""
    return value is not MISSING and value != ""


def empty(value: Any) -> bool:
    """A value test for `expect`: no items (unset, None or [])."""
    return as_list(value) == []


# --------------------------------------------------------------------------- companions


@dataclass(frozen=True)
class Parent:
    """A kind of resource that companions configure: `Parent(BUCKET, "bucket", "bucket")`.

    `noun` names it in messages ("no FlowLog names this VPC"); `name_prop` is its own name
    property, which companions may reference (a Bucket's `bucket`), besides its id, logical
    name and URN (see `Stack.keys_of`).
    """

    type: str
    noun: str
    name_prop: str | None = None


@dataclass(frozen=True)
class Exemption:
    """A documented exception to a companion rule's condition.

    Where `applies(parent, stack)` is True, a companion that satisfies `condition` passes
    too (S3 server access log targets may use SSE-S3). `applies` answers True, False or
    UNKNOWN; an UNKNOWN makes a companion that only the exemption would pass UNKNOWN.
    """

    applies: Callable[[Resource, Stack], Any]
    condition: Condition


def _with_exemption(main: Any, exempt: Any, applies: Any) -> Any:
    """The verdict on a companion: its `main` one, or the exemption's where that applies."""
    if main is True or (exempt is True and applies is True):
        return True
    exemption_may_pass = exempt in (True, UNKNOWN) and applies in (True, UNKNOWN)
    return UNKNOWN if main is UNKNOWN or exemption_may_pass else False


def companion_rule(
    id: str,
    title: str,
    *,
    severity: Severity,
    enforcement: Enforcement = "mandatory",
    parent: Parent,
    companion: str,
    ref: str,
    condition: Condition | None = None,
    missing: str,
    wrong: str = "",
    parent_may_satisfy: bool = False,
    exemption: Exemption | None = None,
    checkov: Sequence[str] = (),
    trivy: Sequence[str] = (),
) -> Rule:
    """Declarative stack rule: every `parent` is named by a `companion` that satisfies `condition`.

    A companion names its parent through its `ref` property (`bucket`, `vpcId`), matched as
    `Stack.children` does. The parent passes when any of its companions satisfies
    `condition` (no condition: when it has one at all); it is UNKNOWN when none does but one
    may (its condition is UNKNOWN, or some companion's `ref` is unknown and could name this
    parent); else it fails with `wrong` when it has companions, and with
    "no <Companion> names this <noun>: <missing>" when it has none. With
    `parent_may_satisfy`, the parent's own props may satisfy `condition` instead (a Bucket's
    legacy inline `policy`). With an `exemption`, a companion may satisfy its condition
    instead where it applies to the parent.
    """
    if condition is not None and not wrong:
        raise ValueError(f"{id}: a companion_rule with a condition needs `wrong`")
    kind = companion.rsplit(":", 1)[-1]
    none_message = f"no {kind} names this {parent.noun}: {missing}"

    def check(res: Resource, stack: Stack, ctx: RuleContext) -> Iterator[Any]:
        children, ref_unknown = stack.children(res, companion, ref, parent.name_prop)
        verdicts = [True if condition is None else condition(c.props) for c in children]
        if exemption is not None and condition is not None:
            applies = exemption.applies(res, stack)
            verdicts = [
                _with_exemption(v, exemption.condition(c.props), applies)
                for v, c in zip(verdicts, children, strict=True)
            ]
        if parent_may_satisfy and condition is not None:
            verdicts.append(condition(res.props))
        if any(v is True for v in verdicts):
            return
        if ref_unknown or any(v is UNKNOWN for v in verdicts):
            yield UNKNOWN
            return
        yield wrong if children else none_message

    return rule(
        id,
        title,
        severity=severity,
        enforcement=enforcement,
        types=[parent.type],
        stack=True,
        checkov=checkov,
        trivy=trivy,
    )(check)
