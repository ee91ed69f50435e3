"""The public API: evaluate, Finding, has_mandatory_failure, and how unknowns are read."""

from __future__ import annotations

from typing import Any

from pulumi.output import Unknown
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, unknown_checking_proxy

from gpuforge import policies
from gpuforge.policies.values import MISSING, UNKNOWN, get, normalize

LT = "aws:ec2/launchTemplate:LaunchTemplate"
URN = f"urn:pulumi:dev::gpuforge::{LT}::lt"


def test_evaluate_returns_findings_with_as_dict() -> None:
    findings = policies.evaluate([(URN, LT, {"metadataOptions": {"httpTokens": "optional"}})])
    by_rule = {f.rule: f for f in findings}
    f = by_rule["GF-NODE-001"]
    assert f.as_dict() == {
        "rule": "GF-NODE-001",
        "title": "Ensure launch templates require IMDSv2 (session tokens)",
        "severity": "high",
        "enforcement": "mandatory",
        "urn": URN,
        "type": LT,
        "message": "metadataOptions.httpTokens is 'optional': set metadataOptions.httpTokens="
        "'required'",
    }
    assert policies.has_mandatory_failure(findings)
    assert not policies.has_mandatory_failure([x for x in findings if x.enforcement != "mandatory"])


def test_evaluate_accepts_a_context_mapping() -> None:
    ng = (
        "urn:pulumi:dev::gpuforge::aws:eks/nodeGroup:NodeGroup::gpu",
        "aws:eks/nodeGroup:NodeGroup",
        {
            "instanceTypes": ["p5.48xlarge"],
            "scalingConfig": {"minSize": 0, "maxSize": 4, "desiredSize": 0},
        },
    )
    ids = {f.rule for f in policies.evaluate([ng], {"monthly_budget_usd": 1000})}
    assert "GF-COST-002" in ids


def test_unknown_representations_all_read_as_unknown() -> None:
    props = {"a": Unknown(), "b": UNKNOWN_BOOLEAN_VALUE, "c": {"d": [UNKNOWN_BOOLEAN_VALUE]}}
    n = normalize(unknown_checking_proxy(props))  # the proxy must not raise
    assert n["a"] is UNKNOWN and n["b"] is UNKNOWN and n["c"]["d"][0] is UNKNOWN
    assert get(n, "c.d.0") is UNKNOWN
    assert get(n, "a.deeper") is UNKNOWN


def test_missing_versus_computed() -> None:
    assert get({"x": None}, "x") is MISSING
    assert get({}, "x") is MISSING
    # a reference to another resource's output that mocks dropped: not known yet
    assert get({"x": None}, "x", computed=True) is UNKNOWN
    assert get({}, "x.y", computed=True) is UNKNOWN


def test_readme_rule_table_is_current() -> None:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "gen_policy_docs.py"
    spec = importlib.util.spec_from_file_location("gen_policy_docs", path)
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    text = gen.README.read_text()
    assert gen.updated(text) == text, "run: .venv/bin/python scripts/gen_policy_docs.py"


def test_policy_view_is_what_the_rules_see_ids_included() -> None:
    from types import SimpleNamespace

    from gpuforge.emulator.run import policy_view

    def record(type_: str, name: str, kind: str, id_: str, **inputs: Any) -> SimpleNamespace:
        urn = f"urn:pulumi:dev::gpuforge::{type_}::{name}"
        return SimpleNamespace(urn=urn, type=type_, name=name, id=id_, inputs=inputs, kind=kind)

    vpc = "aws:ec2/vpc:Vpc"
    records = [
        record("gpuforge:network:Network", "net", "component", ""),
        record("pulumi:providers:aws", "default", "provider", "p-1"),
        record(vpc, "main", "emulated", "vpc-0abc", cidrBlock="10.0.0.0/16"),
        record("aws:ec2/flowLog:FlowLog", "fl", "echoed", "fl-1", vpcId="vpc-0abc"),
    ]
    view = policy_view(records)
    assert [(t, p) for _, t, p in view] == [
        (vpc, {"cidrBlock": "10.0.0.0/16", "id": "vpc-0abc"}),
        ("aws:ec2/flowLog:FlowLog", {"vpcId": "vpc-0abc", "id": "fl-1"}),
    ]
    # the FlowLog names its VPC by id: only the id in the view lets the rule see the match
    assert not [f for f in policies.evaluate(view) if f.rule == "GF-VPC-001"]
    without_ids = [(u, t, {k: v for k, v in p.items() if k != "id"}) for u, t, p in view]
    assert [f.rule for f in policies.evaluate(without_ids) if f.rule == "GF-VPC-001"] == [
        "GF-VPC-001"
    ]
