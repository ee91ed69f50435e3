"""gpuforge's security and cost policy: one set of rules for `gpuforge plan`, the CrossGuard
pack in this directory, and the tests.

Cheap to import (no pulumi). Public API:

- `RULES`: every rule (`Rule`: id, title, severity, enforcement, types, checkov, trivy).
- `evaluate(resources, context) -> list[Finding]`: `resources` is an iterable of
  `(urn, type_token, props)` with camelCase Pulumi input properties.
- `results(resources, context) -> list[Result]`: every verdict, pass and unknown included.
- `has_mandatory_failure(findings)`.
- `RuleContext(environment, monthly_budget_usd, today)`.
- `SEVERITIES`: low to critical.

Where things live: `values` (reading props: UNKNOWN, MISSING), `context` (RuleContext),
`stack` (Resource, Stack: matching children to parents), `rule` (the Rule type and the
registry), `declarative` (`key_rule`, `companion_rule`), then one module of rules per area.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from . import (  # noqa: F401  (registers rules)
    cost,
    eks,
    fsx,
    iam,
    kms,
    logs,
    netpol,
    nodes,
    runtime,
    s3,
    volumes,
    vpc,
)
from .context import RuleContext
from .rule import SEVERITIES, Outcome, Result, Rule, registered
from .stack import Resource, Stack
from .values import MISSING, UNKNOWN, is_unknown, normalize

AREAS = ("S3", "KMS", "EKS", "NODE", "VPC", "IAM", "LOG", "RUN", "COST", "FSX", "DATA", "NETPOL")
RULES: tuple[Rule, ...] = tuple(
    sorted(registered(), key=lambda r: (AREAS.index(r.id.split("-")[1]), r.id))
)
RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}


@dataclass(frozen=True)
class Finding:
    """One violation of one rule by one resource."""

    rule: str
    title: str
    severity: str
    enforcement: str
    urn: str
    type: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def to_stack(resources: Iterable[Any]) -> Stack:
    """A Stack from `(urn, type, props)` tuples (or `Resource` objects); props normalized."""
    out = []
    for item in resources:
        if isinstance(item, Resource):
            out.append(Resource(item.urn, item.type, normalize(item.props)))
        else:
            urn, type_, props = item[0], item[1], item[2]
            out.append(Resource(urn, type_, normalize(props or {})))
    return Stack(out)


def results(
    resources: Iterable[Any] | Stack,
    context: RuleContext | None = None,
    rules: Iterable[Rule] | None = None,
) -> list[Result]:
    """Every rule's verdict (pass, fail or unknown) on every resource it applies to."""
    stack = resources if isinstance(resources, Stack) else to_stack(resources)
    ctx = context or RuleContext()
    out: list[Result] = []
    for rule in RULES if rules is None else rules:
        for res in stack.of_type(*rule.types):
            out.append(rule.run(res, stack, ctx))
    return out


def findings_of(verdicts: Iterable[Result]) -> list[Finding]:
    return [
        Finding(
            rule=r.rule.id,
            title=r.rule.title,
            severity=r.rule.severity,
            enforcement=r.rule.enforcement,
            urn=r.resource.urn,
            type=r.resource.type,
            message=m,
        )
        for r in verdicts
        if r.outcome is Outcome.FAIL
        for m in r.messages
    ]


def evaluate(
    resources: Iterable[Any], context: RuleContext | Mapping[str, Any] | None = None
) -> list[Finding]:
    """The violations in a stack's resources, in rule order then resource order."""
    if isinstance(context, Mapping):
        context = RuleContext(**context)
    return findings_of(results(resources, context))


def has_mandatory_failure(findings: Iterable[Finding]) -> bool:
    return any(f.enforcement == "mandatory" for f in findings)


__all__ = [
    "MISSING",
    "RULES",
    "RULES_BY_ID",
    "SEVERITIES",
    "UNKNOWN",
    "Finding",
    "Outcome",
    "Resource",
    "Result",
    "Rule",
    "RuleContext",
    "Stack",
    "evaluate",
    "findings_of",
    "has_mandatory_failure",
    "is_unknown",
    "normalize",
    "results",
]
