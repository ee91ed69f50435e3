"""The Rule type, its verdicts, and the registry every area module adds its rules to.

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
a bucket or a VPC). A rule that reads one key, or asks every parent for a companion, is
declared with a helper in `declarative`; any other check is written by hand and
registered with `@rule`. Nothing here imports pulumi.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from .context import RuleContext
from .stack import Resource, Stack
from .values import UNKNOWN

Severity = Literal["low", "medium", "high", "critical"]
Enforcement = Literal["advisory", "mandatory"]
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
"""Every severity, least severe first (the plan shows them reversed)."""
ENFORCEMENTS: tuple[str, ...] = ("advisory", "mandatory")

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
