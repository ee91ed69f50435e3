"""One program, three layers: a private cluster gets its runtime from a second stack."""

from __future__ import annotations

import json

import pytest

from gpuforge import policies
from gpuforge.emulator import EmulatedAccount, EmulationError, run_program
from gpuforge.model.errors import SpecError
from gpuforge.model.loader import load_env, spec_from_data
from gpuforge.model.stack_config import config_from_spec
from gpuforge.planning import seed_preexisting
from gpuforge.program import layer_from_config, main
from tests.conftest import ROOT, shipped_spec


def config(spec, layer: str) -> dict:
    return {**config_from_spec(spec), "gpuforge:layer": layer}


def test_aws_layer_then_runtime_layer_in_the_same_account():
    _, spec = load_env("dev", ROOT)
    with EmulatedAccount(region=spec.region) as account:
        seed_preexisting(account, spec)
        aws = run_program(main, stack="dev", config=config(spec, "aws"), account=account)
        assert not [r for r in aws.resources if r.kind == "kubernetes"]
        assert aws.of_type("aws:eks/cluster:Cluster")
        # the aws stack alone says what its runtime stack must bring, without blocking
        findings = policies.evaluate(aws.policy_resources())
        assert {f.rule for f in findings} == {"GF-RUN-002", "GF-RUN-003"}
        assert not policies.has_mandatory_failure(findings)
        runtime = run_program(
            main, stack="dev-runtime", config=config(spec, "runtime"), account=account
        )
        assert {r.kind for r in runtime.resources} == {"component", "provider", "kubernetes"}
        assert runtime.outputs["trainingServiceAccount"] == "training"
        (provider,) = runtime.of_type("pulumi:providers:kubernetes")
        found = account.client("eks").describe_cluster(name=spec.cluster_name)["cluster"]
        server = json.loads(provider.inputs["kubeconfig"])["clusters"][0]["cluster"]["server"]
        assert server == found["endpoint"]  # read through the EKS API, not retyped
        (release,) = [
            r for r in runtime.of_type("kubernetes:helm.sh/v3:Release")
            if r.inputs["name"] == "cluster-autoscaler"
        ]  # fmt: skip
        groups = account.client("autoscaling").describe_auto_scaling_groups()
        l4 = [
            g["AutoScalingGroupName"] for g in groups["AutoScalingGroups"]
            if {"Key": "gpuforge.dev/pool", "Value": "l4"} in
            [{"Key": t["Key"].rsplit("label/", 1)[-1], "Value": t["Value"]} for t in g["Tags"]]
        ]  # fmt: skip
        assert len(l4) == 1  # found by its node-template label tag, as the runtime layer does
        assert f"^{l4[0]}$" in release.inputs["values"]["expanderPriorities"]


def test_the_runtime_layer_needs_the_cluster_to_exist():
    _, spec = load_env("dev", ROOT)
    with (
        EmulatedAccount(region=spec.region) as account,
        pytest.raises(EmulationError, match="ResourceNotFound"),
    ):
        run_program(main, stack="dev-runtime", config=config(spec, "runtime"), account=account)


def test_layer_defaults_to_all_and_refuses_unknown_values():
    assert layer_from_config(lambda key: None) == "all"
    assert layer_from_config({"gpuforge:layer": "aws"}.get) == "aws"
    with pytest.raises(SpecError, match="unknown layer"):
        layer_from_config({"gpuforge:layer": "k8s"}.get)


def test_switching_the_autoscaler_off_is_flagged():
    data = shipped_spec("dev")
    data["autoscaling"] = {"enabled": False}
    # With every GPU pool at min 0 no GPU node could ever start: validation refuses that
    # (issue 22, class 8); a pool kept at one node is what switching the autoscaler off means.
    data["gpu_pools"][0]["min"] = 1
    from gpuforge.planning import plan

    report = plan(spec_from_data(data))
    flagged = {(f.rule, f.urn.rsplit("::", 1)[-1]) for f in report.findings}
    # GF-COST-001: the pool's one node is billed while idle (the min 1 above).
    assert {rule for rule, _ in flagged} == {"GF-RUN-002", "GF-COST-001"}
    assert {name for rule, name in flagged if rule == "GF-RUN-002"} == {
        "gpuforge-dev-system",
        "gpuforge-dev-l4-ng",
    }
    assert not report.mandatory_failures
    assert not [
        r for r in report.resources
        if r.name.endswith("-cluster-autoscaler") or r.inputs.get("name") == "cluster-autoscaler"
    ]  # fmt: skip
