"""Shared checks for policy tests, usable with any resources (fixtures or an emulated plan).

`crossguard_findings(resources, context)` runs every CrossGuard policy built by
`policies.crossguard.build_policies` the way the Pulumi engine does: resource policies once
per resource with a real `ResourceValidationArgs`, stack policies once with a real
`StackValidationArgs`, props wrapped in pulumi-policy's unknown-checking proxy, and
violations reported through a recording callback. `assert_same_as_evaluate` compares that
with `policies.evaluate`. The emulated-plan integration test can call it directly with the
plan's `(urn, type, props)` triples.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.proxy import unknown_checking_proxy

from gpuforge import policies
from gpuforge.policies.crossguard import build_policies


def _opts() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def _config(context: policies.RuleContext) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if context.environment is not None:
        config["environment"] = context.environment
    if context.monthly_budget_usd is not None:
        config["monthlyBudgetUsd"] = context.monthly_budget_usd
    if context.today is not None:
        config["today"] = context.today.isoformat()
    if context.protected is not None:
        config["protected"] = context.protected
    config["minLogRetentionDays"] = context.min_log_retention_days
    if context.public_cidr_budget != policies.RuleContext().public_cidr_budget:
        config["publicCidrBudget"] = context.public_cidr_budget
    return config


def _recorder(found: set[tuple[str, str, str]], name: str, default_urn: str):
    """A ReportViolation callback that records (policy, urn, message)."""

    def report_violation(message: str, urn: str | None = None) -> None:
        found.add((name, urn or default_urn, message))

    return report_violation


def crossguard_findings(
    resources: Iterable[tuple[str, str, Any]],
    context: policies.RuleContext | None = None,
    only: Iterable[str] | None = None,
) -> set[tuple[str, str, str]]:
    """(policy name, urn, message) for every violation the CrossGuard policies report."""
    context = context or policies.RuleContext()
    triples = list(resources)
    config = _config(context)
    wanted = set(only) if only is not None else None
    found: set[tuple[str, str, str]] = set()
    for policy in build_policies():
        if wanted is not None and policy.name not in wanted:
            continue

        if isinstance(policy, ResourceValidationPolicy):
            for urn, type_, props in triples:
                args = ResourceValidationArgs(
                    type_,
                    unknown_checking_proxy(copy.deepcopy(props)),
                    urn,
                    urn.rsplit("::", 1)[-1],
                    _opts(),
                    None,
                    config,
                )
                policy.validate(args, _recorder(found, policy.name, urn))
        else:
            stack = [
                PolicyResource(
                    type_,
                    unknown_checking_proxy(copy.deepcopy(props)),
                    urn,
                    urn.rsplit("::", 1)[-1],
                    _opts(),
                    None,
                    None,
                    [],
                    {},
                )
                for urn, type_, props in triples
            ]
            policy.validate(StackValidationArgs(stack, config), _recorder(found, policy.name, ""))
    return found


def evaluate_findings(
    resources: Iterable[tuple[str, str, Any]],
    context: policies.RuleContext | None = None,
    only: Iterable[str] | None = None,
) -> set[tuple[str, str, str]]:
    wanted = set(only) if only is not None else None
    return {
        (f.rule, f.urn, f.message)
        for f in policies.evaluate(resources, context)
        if wanted is None or f.rule in wanted
    }


def assert_same_as_evaluate(
    resources: Iterable[tuple[str, str, Any]],
    context: policies.RuleContext | None = None,
    only: Iterable[str] | None = None,
) -> set[tuple[str, str, str]]:
    triples = list(resources)
    expected = evaluate_findings(triples, context, only)
    assert crossguard_findings(triples, context, only) == expected
    return expected
