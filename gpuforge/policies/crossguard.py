"""The CrossGuard wrapping: every gpuforge rule as a pulumi_policy policy.

Resource rules become `ResourceValidationPolicy`s, stack rules `StackValidationPolicy`s:
the rule ID is the policy name, the title its description, severity and enforcement map
to the SDK's enums. `build_policies(config)` returns the list without starting anything,
so tests can call each policy's `validate`; `serve()` starts the pack (it never returns).

Configuration (environment, monthly budget, protected, minimum log retention, public-address
budget), lowest precedence first:
1. `build_policies(config)`'s argument / the environment variables GPUFORGE_ENV,
   GPUFORGE_MONTHLY_BUDGET_USD, GPUFORGE_PROTECTED, GPUFORGE_MIN_LOG_RETENTION_DAYS and
   GPUFORGE_PUBLIC_CIDR_BUDGET (read by `serve`), else the Pulumi stack name (PULUMI_STACK)
   for the environment;
2. per-policy config from `--policy-pack-config`, e.g.
   `{"GF-COST-002": {"monthlyBudgetUsd": 20000}, "GF-LOG-003": {"minLogRetentionDays": 90},
   "GF-EKS-002": {"publicCidrBudget": 24}}`;
3. a resource's own `gpuforge.dev/environment` / `gpuforge.dev/protected` tag.

Unknown values: pulumi_policy hands props through a proxy that raises UnknownValueError
on a value unknown at preview; the rules read them through `normalize` instead, so an
unknown never raises and never fails a rule (the rule's verdict is UNKNOWN: no violation).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from . import RULES, Outcome, Resource, Rule, RuleContext, Stack, normalize
from .context import DEFAULT_MIN_LOG_RETENTION_DAYS

PACK_NAME = "gpuforge"

_ENFORCEMENT = {"advisory": EnforcementLevel.ADVISORY, "mandatory": EnforcementLevel.MANDATORY}
_SEVERITY = {
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}
CONFIG_SCHEMA = {
    "environment": {"type": "string", "description": "gpuforge environment (dev, prod, ...)"},
    "monthlyBudgetUsd": {
        "type": "number",
        "description": "most one node group may cost per month at its max size",
    },
    "today": {"type": "string", "description": "ISO date for the EKS support calendar"},
    "protected": {
        "type": "boolean",
        "description": "a production environment (a resource's gpuforge.dev/protected tag wins)",
    },
    "minLogRetentionDays": {
        "type": "integer",
        "description": "shortest retention a CloudWatch log group may have (default 365)",
    },
    "publicCidrBudget": {
        "type": "integer",
        "minimum": 0,
        "maximum": 128,
        "description": "prefix length: public access may total at most one /N of addresses "
        "per address family (default 16)",
    },
}


def _context(base: Mapping[str, Any], override: Mapping[str, Any] | None) -> RuleContext:
    merged = {**base, **{k: v for k, v in (override or {}).items() if v is not None}}
    budget = merged.get("monthlyBudgetUsd", merged.get("monthly_budget_usd"))
    today = merged.get("today")  # ISO date; pins the EKS support calendar (tests)
    protected = merged.get("protected")
    retention = merged.get("minLogRetentionDays")
    cidr_budget = merged.get("publicCidrBudget", merged.get("public_cidr_budget"))
    extra = {} if cidr_budget in (None, "") else {"public_cidr_budget": int(cidr_budget)}
    return RuleContext(
        environment=merged.get("environment"),
        monthly_budget_usd=float(budget) if budget not in (None, "") else None,
        today=date.fromisoformat(today) if isinstance(today, str) and today else None,
        protected=_flag(protected),
        min_log_retention_days=(
            int(retention) if retention not in (None, "") else DEFAULT_MIN_LOG_RETENTION_DAYS
        ),
        **extra,
    )


def _flag(value: Any) -> bool | None:
    """A boolean config value (JSON true/false, or "true"/"false" from the environment)."""
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower())
    return value if isinstance(value, bool) else None


def _remediation(rule: Rule) -> str:
    ids = ", ".join([*rule.checkov, *rule.trivy])
    return f"{rule.title}." + (f" Same as {ids}." if ids else "")


def _policy_fields(rule: Rule) -> dict[str, Any]:
    """What a CrossGuard policy takes from its rule, whichever kind of policy it is."""
    return {
        "name": rule.id,
        "description": rule.title,
        "enforcement_level": _ENFORCEMENT[rule.enforcement],
        "config_schema": PolicyConfigSchema(properties=dict(CONFIG_SCHEMA)),
        "severity": _SEVERITY[rule.severity],
        "remediation_steps": _remediation(rule),
    }


def _resource_policy(rule: Rule, base: Mapping[str, Any]) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not rule.applies_to(args.resource_type):
            return
        res = Resource(args.urn, args.resource_type, normalize(args.props))
        result = rule.run(res, Stack([res]), _context(base, args.get_config()))
        if result.outcome is Outcome.FAIL:
            for message in result.messages:
                report_violation(message, None)

    return ResourceValidationPolicy(validate=validate, **_policy_fields(rule))


def _stack_policy(rule: Rule, base: Mapping[str, Any]) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        stack = Stack(
            [Resource(r.urn, r.resource_type, normalize(r.props)) for r in args.resources]
        )
        ctx = _context(base, args.get_config())
        for res in stack.of_type(*rule.types):
            result = rule.run(res, stack, ctx)
            if result.outcome is Outcome.FAIL:
                for message in result.messages:
                    report_violation(message, res.urn)

    return StackValidationPolicy(validate=validate, **_policy_fields(rule))


def build_policies(
    config: Mapping[str, Any] | None = None,
) -> list[ResourceValidationPolicy | StackValidationPolicy]:
    """One policy per rule, in RULES order. `config`: `environment`, `monthlyBudgetUsd`."""
    base = dict(config or {})
    return [
        _stack_policy(rule, base) if rule.stack else _resource_policy(rule, base) for rule in RULES
    ]


def config_from_env(env: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Pack-wide defaults from GPUFORGE_ENV / GPUFORGE_MONTHLY_BUDGET_USD / PULUMI_STACK,
    GPUFORGE_PROTECTED (true/false), GPUFORGE_MIN_LOG_RETENTION_DAYS and
    GPUFORGE_PUBLIC_CIDR_BUDGET."""
    config: dict[str, Any] = {}
    if env.get("GPUFORGE_PROTECTED"):
        config["protected"] = _flag(env["GPUFORGE_PROTECTED"])
    if env.get("GPUFORGE_MIN_LOG_RETENTION_DAYS"):
        config["minLogRetentionDays"] = int(env["GPUFORGE_MIN_LOG_RETENTION_DAYS"])
    environment = env.get("GPUFORGE_ENV") or env.get("PULUMI_STACK")
    if environment:
        config["environment"] = environment
    if env.get("GPUFORGE_MONTHLY_BUDGET_USD"):
        config["monthlyBudgetUsd"] = float(env["GPUFORGE_MONTHLY_BUDGET_USD"])
    if env.get("GPUFORGE_PUBLIC_CIDR_BUDGET"):
        config["publicCidrBudget"] = int(env["GPUFORGE_PUBLIC_CIDR_BUDGET"])
    return config


def serve() -> None:
    """Start the pack's gRPC server for the Pulumi engine (blocks forever)."""
    PolicyPack(
        name=PACK_NAME,
        policies=build_policies(config_from_env()),
        enforcement_level=EnforcementLevel.ADVISORY,
        description="gpuforge security and cost baseline",
    )
