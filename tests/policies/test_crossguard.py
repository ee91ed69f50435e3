"""The CrossGuard pack wraps the same rules: same findings as `policies.evaluate`, through
pulumi-policy's real argument classes and its unknown-checking proxy."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)

from gpuforge import policies
from gpuforge.policies.crossguard import build_policies, config_from_env

from .fixtures import CASES
from .helpers import assert_same_as_evaluate, crossguard_findings

ROOT = Path(__file__).resolve().parents[2]


def test_one_policy_per_rule_with_the_rule_metadata() -> None:
    built = build_policies()
    assert [p.name for p in built] == [r.id for r in policies.RULES]
    assert len({p.name for p in built}) == len(built)
    for policy, rule in zip(built, policies.RULES, strict=True):
        assert policy.description == rule.title
        assert policy.enforcement_level == EnforcementLevel(rule.enforcement)
        assert policy.severity == Severity(rule.severity)
        expected = StackValidationPolicy if rule.stack else ResourceValidationPolicy
        assert isinstance(policy, expected)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_same_findings_as_evaluate(rule_id: str) -> None:
    for scenario in CASES[rule_id]:
        found = assert_same_as_evaluate(scenario.triples(), scenario.context, only=[rule_id])
        fails = {name for name, *_ in scenario.resources if name.startswith("fail")}
        assert {urn.rsplit("::", 1)[-1] for _, urn, _ in found} == fails


def test_all_policies_over_all_fixtures_at_once() -> None:
    triples = [t for scenarios in CASES.values() for s in scenarios for t in s.triples()]
    context = policies.RuleContext(
        environment="dev", monthly_budget_usd=50_000, today=date(2026, 11, 22)
    )
    assert assert_same_as_evaluate(triples, context)


def test_policy_config_overrides_build_config() -> None:
    scenario = CASES["GF-COST-002"][0]
    [policy] = [p for p in build_policies({"monthlyBudgetUsd": 1e9}) if p.name == "GF-COST-002"]
    assert not crossguard_findings(scenario.triples(), only=["GF-COST-002"])  # no budget
    found = crossguard_findings(scenario.triples(), scenario.context, only=["GF-COST-002"])
    assert {u.rsplit("::", 1)[-1] for _, u, _ in found} == {"fail"}
    assert policy.config_schema is not None
    assert "monthlyBudgetUsd" in policy.config_schema.properties


def test_config_from_env() -> None:
    env = {"PULUMI_STACK": "staging", "GPUFORGE_MONTHLY_BUDGET_USD": "1200"}
    assert config_from_env(env) == {"environment": "staging", "monthlyBudgetUsd": 1200.0}
    assert config_from_env({"GPUFORGE_ENV": "prod", "PULUMI_STACK": "x"}) == {"environment": "prod"}
    assert config_from_env({"GPUFORGE_PUBLIC_CIDR_BUDGET": "24"}) == {"publicCidrBudget": 24}


def test_public_cidr_budget_comes_from_pack_and_policy_config() -> None:
    """A /20 passes the default /16 budget; a pack-wide or per-policy /24 budget flags it."""
    props = {
        "roleArn": "arn:aws:iam::111122223333:role/eks",
        "vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["198.18.0.0/20"]},
    }
    urn = "urn:pulumi:test::gpuforge::aws:eks/cluster:Cluster::c"
    policy = next(p for p in build_policies() if p.name == "GF-EKS-002")
    tight = next(p for p in build_policies({"publicCidrBudget": 24}) if p.name == "GF-EKS-002")

    def violations(pol, config):
        found: list[str] = []
        args = ResourceValidationArgs(
            "aws:eks/cluster:Cluster", props, urn, "c", None, None, config
        )
        pol.validate(args, lambda message, urn=None: found.append(message))
        return found

    assert violations(policy, {}) == []
    assert violations(policy, {"publicCidrBudget": 24})
    assert "more than a /24" in violations(tight, {})[0]


def test_importing_the_entry_point_does_not_start_the_pack() -> None:
    """The pack folder's `__main__.py` serves only when Pulumi runs it as a script."""
    import runpy

    names = runpy.run_path(str(ROOT / "policies" / "__main__.py"), run_name="pack")
    assert "serve" not in names  # imported only under `__main__`


def test_pack_starts_the_way_pulumi_runs_it(tmp_path: Path) -> None:
    """`python -m pulumi.policy <engine> <pack dir>` from elsewhere: it prints its port."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(ROOT / "policies")],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline().strip() if proc.stdout else ""
        if not line.isdigit():
            proc.kill()
            raise AssertionError(
                f"no port printed: {line!r} {proc.stderr.read() if proc.stderr else ''}"
            )
        _analyze_over_grpc(int(line))
    finally:
        proc.kill()
        proc.wait(timeout=10)


def _analyze_over_grpc(port: int) -> None:
    """Ask the running pack over the engine's own gRPC API, as `pulumi preview` does."""
    import grpc
    from google.protobuf import empty_pb2, struct_pb2
    from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = analyzer_pb2_grpc.AnalyzerStub(channel)
        info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=10)
        assert [p.name for p in info.policies] == [r.id for r in policies.RULES]
        props = struct_pb2.Struct()
        props.update({"metadataOptions": {"httpTokens": "optional"}, "keyName": "ops"})
        request = analyzer_pb2.AnalyzeRequest(
            type="aws:ec2/launchTemplate:LaunchTemplate",
            properties=props,
            urn="urn:pulumi:dev::gpuforge::aws:ec2/launchTemplate:LaunchTemplate::lt",
            name="lt",
        )
        reply = stub.Analyze(request, timeout=10)
        names = {d.policyName for d in reply.diagnostics}
        assert {"GF-NODE-001", "GF-NODE-002", "GF-NODE-003"} <= names
        # an unknown at preview: no violation and no crash
        props = struct_pb2.Struct()
        props.update({"metadataOptions": {"httpTokens": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}})
        request.properties.CopyFrom(props)
        reply = stub.Analyze(request, timeout=10)
        assert "GF-NODE-001" not in {d.policyName for d in reply.diagnostics}


def test_the_example_pack_config_is_read_as_written() -> None:
    """`policies/config.example.json` (cited by PulumiPolicy.yaml and the README) names real
    policies, uses Pulumi's per-policy config shape, and sets what it says it sets."""
    import json

    from gpuforge.policies.crossguard import CONFIG_SCHEMA, _context

    example = json.loads((ROOT / "policies" / "config.example.json").read_text())
    levels = {"advisory", "mandatory", "disabled"}
    json_types = {"string": str, "number": (int, float)}
    for name, value in example.items():
        assert name in policies.RULES_BY_ID or name == "all", name
        if isinstance(value, str):
            assert value in levels, (name, value)
            continue
        for key, setting in value.items():
            if key == "enforcementLevel":
                assert setting in levels, (name, setting)
            else:
                assert isinstance(setting, json_types[CONFIG_SCHEMA[key]["type"]]), (name, key)
    assert _context({}, example["GF-COST-002"]).monthly_budget_usd == 20000.0
    assert _context({}, example["GF-COST-001"]).environment == "dev"


def test_config_from_env_reads_protected_and_the_log_retention_minimum() -> None:
    env = {"GPUFORGE_PROTECTED": "true", "GPUFORGE_MIN_LOG_RETENTION_DAYS": "90"}
    assert config_from_env(env) == {"protected": True, "minLogRetentionDays": 90}
    assert config_from_env({"GPUFORGE_PROTECTED": "false"}) == {"protected": False}
