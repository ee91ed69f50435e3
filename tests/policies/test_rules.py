"""Every rule against its fixtures: exactly the `pass*` resources pass, exactly the `fail*`
resources fail, and the `unknown*` resources are in neither set (checkov style)."""

from __future__ import annotations

import pytest

from gpuforge import policies
from gpuforge.policies import Outcome

from .fixtures import CASES

PARAMS = [
    pytest.param(rule_id, i, id=f"{rule_id}[{i}]")
    for rule_id, scenarios in CASES.items()
    for i in range(len(scenarios))
]


def verdicts(rule_id: str, index: int) -> dict[Outcome, set[str]]:
    scenario = CASES[rule_id][index]
    rule = policies.RULES_BY_ID[rule_id]
    out: dict[Outcome, set[str]] = {o: set() for o in Outcome}
    for result in policies.results(scenario.triples(), scenario.context, rules=[rule]):
        out[result.outcome].add(result.resource.name)
    return out


def expected(rule_id: str, index: int, prefix: str) -> set[str]:
    rule = policies.RULES_BY_ID[rule_id]
    return {
        name
        for name, type_, _ in CASES[rule_id][index].resources
        if rule.applies_to(type_) and name.startswith(prefix)
    }


@pytest.mark.parametrize(("rule_id", "index"), PARAMS)
def test_rule_fixtures(rule_id: str, index: int) -> None:
    got = verdicts(rule_id, index)
    assert got[Outcome.PASS] == expected(rule_id, index, "pass")
    assert got[Outcome.FAIL] == expected(rule_id, index, "fail")
    assert got[Outcome.UNKNOWN] == expected(rule_id, index, "unknown")


@pytest.mark.parametrize(("rule_id", "index"), PARAMS)
def test_every_target_is_named_for_its_verdict(rule_id: str, index: int) -> None:
    rule = policies.RULES_BY_ID[rule_id]
    for name, type_, _ in CASES[rule_id][index].resources:
        if rule.applies_to(type_):
            assert name.startswith(("pass", "fail", "unknown")), (rule_id, name)


@pytest.mark.parametrize("rule", policies.RULES, ids=lambda r: r.id)
def test_every_rule_has_pass_fail_and_unknown_fixtures(rule: policies.Rule) -> None:
    assert rule.id in CASES, f"{rule.id} has no fixtures in tests/policies/fixtures/<area>.py"
    names = {
        name
        for scenario in CASES[rule.id]
        for name, type_, _ in scenario.resources
        if rule.applies_to(type_)
    }
    for prefix in ("pass", "fail", "unknown"):
        assert any(n.startswith(prefix) for n in names), f"{rule.id}: no '{prefix}' fixture"


def test_no_fixtures_for_rules_that_do_not_exist() -> None:
    assert set(CASES) <= set(policies.RULES_BY_ID)


def test_failures_say_how_to_fix() -> None:
    for rule_id, scenarios in CASES.items():
        for scenario in scenarios:
            for f in policies.evaluate(scenario.triples(), scenario.context):
                assert ":" in f.message and len(f.message) > 20, (rule_id, f.message)
