"""`gpuforge plan`: offline preview, policy verdicts and exit codes, from the CLI."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from gpuforge.cli.main import cli

TOP_KEYS = {
    "environment",
    "kubernetes",
    "region",
    "resources",
    "outputs",
    "findings",
    "cost",
    "emulation",
    "seconds",
}


def _plan_json(runner, env: str):
    result = runner.invoke(cli, ["plan", "-e", env, "-o", "json"])
    return result, (json.loads(result.stdout) if result.stdout.strip() else None)


def _edit_prod(project, change) -> None:
    path = project / "stacks" / "prod.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_prod_plan_passes_and_the_json_document_is_complete(runner, project):
    result, doc = _plan_json(runner, "prod")
    assert result.exit_code == 0, result.output
    assert set(doc) == TOP_KEYS
    assert doc["findings"] == []
    assert doc["emulation"]["echoed_types"] == []
    types = {r["type"] for r in doc["resources"]}
    assert "aws:eks/cluster:Cluster" in types and "gpuforge:platform:Platform" in types
    for r in doc["resources"]:
        assert set(r) >= {"urn", "type", "name", "inputs", "outputs"}
    assert doc["outputs"]["clusterName"] == "gpuforge-prod"
    assert set(doc["outputs"]["nodeGroups"]) == {"system", "h100", "l40s"}
    assert doc["cost"]["monthly_max"] > doc["cost"]["monthly_min"] > 0
    for pool in doc["cost"]["pools"]:
        assert pool["hourly_idle"] == 0  # every prod pool scales to zero
        assert pool["hourly_at_max"] == round(pool["hourly_per_node"] * pool["max"], 4)
    assert set(doc["outputs"]["autoscalingGroups"]) == {"h100", "l40s"}
    charts = {c["release"]: c["version"] for c in doc["kubernetes"]["charts"]}
    assert set(charts) == {
        "nvidia-device-plugin", "aws-efa-k8s-device-plugin", "kueue", "cluster-autoscaler",
        "jobset", "kubeflow-trainer",  # prod offers the jobset and trainjob backends
    }  # fmt: skip
    assert doc["cost"]["as_of"]


VIOLATIONS = {
    "public endpoint open to the world": (
        lambda d: d["cluster"].update(public_endpoint=True, public_access_cidrs=["0.0.0.0/0"]),
        "GF-EKS-002",
        "aws:eks/cluster:Cluster",
    ),
    "public endpoint open to the internet in two halves": (
        lambda d: d["cluster"].update(
            public_endpoint=True, public_access_cidrs=["0.0.0.0/1", "128.0.0.0/1"]
        ),
        "GF-EKS-002",
        "aws:eks/cluster:Cluster",
    ),
    "public endpoint wider than the public-address budget": (
        lambda d: d["cluster"].update(public_endpoint=True, public_access_cidrs=["198.18.0.0/15"]),
        "GF-EKS-002",
        "aws:eks/cluster:Cluster",
    ),
    "deployer keeps cluster admin": (
        lambda d: d["cluster"].update(bootstrap_creator_admin=True),
        "GF-EKS-006",
        "aws:eks/cluster:Cluster",
    ),
    "versioning disabled": (
        lambda d: d["storage"]["buckets"][1].update(versioning=False),
        "GF-S3-009",
        "aws:s3/bucket:Bucket",
    ),
    "force_destroy on the protected prod": (
        lambda d: d["storage"].update(force_destroy=True),
        "GF-S3-013",
        "aws:s3/bucket:Bucket",
    ),
    "flow logs kept 90 days, below the 365-day minimum": (
        lambda d: d["network"].update(flow_logs_retention_days=90),
        "GF-LOG-003",
        "aws:cloudwatch/logGroup:LogGroup",
    ),
    "rotation removed": (
        lambda d: d["encryption"].update(rotation=False),
        "GF-KMS-001",
        "aws:kms/key:Key",
    ),
}


@pytest.mark.parametrize("case", list(VIOLATIONS))
def test_weakening_prod_is_flagged_and_fails_the_plan(runner, project, case):
    change, rule, type_ = VIOLATIONS[case]
    _edit_prod(project, change)
    result, doc = _plan_json(runner, "prod")
    assert result.exit_code == 1, result.output
    flagged = {(f["rule"], f["type"]) for f in doc["findings"]}
    assert (rule, type_) in flagged
    assert {f["rule"] for f in doc["findings"]} == {rule}, doc["findings"]
    finding = next(f for f in doc["findings"] if f["rule"] == rule)
    assert finding["enforcement"] == "mandatory" and finding["message"]


def test_split_internet_finding_names_the_ranges(runner, project):
    _edit_prod(
        project,
        lambda d: d["cluster"].update(
            public_endpoint=True, public_access_cidrs=["0.0.0.0/1", "128.0.0.0/1"]
        ),
    )
    result, doc = _plan_json(runner, "prod")
    assert result.exit_code == 1
    (message,) = [f["message"] for f in doc["findings"]]
    assert "0.0.0.0/1, 128.0.0.0/1 (together 0.0.0.0/0) is the whole IPv4 internet" in message


def test_a_small_public_range_plans_clean(runner, project):
    _edit_prod(
        project,
        lambda d: d["cluster"].update(public_endpoint=True, public_access_cidrs=["203.0.113.0/24"]),
    )
    result, doc = _plan_json(runner, "prod")
    assert result.exit_code == 0, doc["findings"]


def test_table_output_has_every_section(runner, project):
    _edit_prod(project, lambda d: d["encryption"].update(rotation=False))
    result = runner.invoke(cli, ["plan", "-e", "prod"])
    assert result.exit_code == 1
    out = result.stdout
    for needle in (
        "Plan for prod",
        "Resources by service",
        "Stack outputs",
        "Policy findings",
        "GF-KMS-001",
        "mandatory rule violation",
        "Estimated monthly cost",
        "as of",
    ):
        assert needle in out, needle
    words = " ".join(re.sub(r"[│┃]", " ", out).split())
    for needle in (
        "Kubernetes (recorded, not applied)",
        "training/gpuforge-gpus",
        "requests.nvidia.com/gpu=64",
        "kueue-system/kueue",
        "they were not fetched or rendered",
        "GPU pools (USD per hour)",
        "h100 (p5.48xlarge, EFA) 0-8 8 capacity-block 0.00 440.32 1",
        "l40s (g6e.12xlarge) 0-4 4 on-demand 0.00 41.97 2",
    ):
        assert needle in words, needle


def test_tree_shows_children_under_their_components(runner, project):
    result = runner.invoke(cli, ["plan", "-e", "dev", "--tree"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    platform = next(i for i, line in enumerate(lines) if "gpuforge:platform:Platform" in line)
    nested = [line for line in lines[platform + 1 :] if "aws:eks/cluster:Cluster" in line]
    assert nested and len(nested[0]) - len(nested[0].lstrip("│ └├─")) > lines[platform].index(
        "gpuforge"
    )


def test_bad_input_exits_2_before_emulating(runner, project):
    (project / "stacks" / "dev.yaml").write_text(
        "environment: dev\nregion: us-east-1\nnetwork: {nat: lots}\n"
    )
    result = runner.invoke(cli, ["plan", "-e", "dev"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: stacks/dev.yaml:3: network.nat: 'lots' is not allowed")
    assert runner.invoke(cli, ["plan"]).exit_code == 2


def test_aws_refusal_is_one_clear_line(runner, project, monkeypatch):
    """An admin role that does not exist in the account gets no EKS access entry: AWS says why."""
    monkeypatch.setattr("gpuforge.planning.seed_preexisting", lambda account, spec: None)
    result = runner.invoke(cli, ["plan", "-e", "prod"])
    assert result.exit_code == 1
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: plan: the emulated AWS account refused a resource: ")
    assert 'aws:eks/accessEntry:AccessEntry "gpuforge-prod-admin-0"' in line
    assert "Traceback" not in result.output


def test_plan_emulates_the_spec_account(runner, project):
    """What validate accepts, plan accepts: admins of the spec's account get access entries."""
    _edit_prod(
        project,
        lambda d: (
            d.update(account_id="999999999999")
            or d["cluster"].update(admins=["arn:aws:iam::999999999999:role/ops/platform-admin"])
        ),
    )
    result, doc = _plan_json(runner, "prod")
    assert result.exit_code == 0, result.output
    arns = [v for v in doc["outputs"]["roleArns"].values()]
    assert arns and all(":999999999999:" in arn for arn in arns), arns


def test_colliding_subnets_fail_with_the_aws_error(runner, project, monkeypatch):
    """If the subnet plan ever produced overlapping CIDRs, AWS (moto) would refuse them."""
    import gpuforge.model.netplan as netplan

    real = netplan.plan_subnets

    def colliding(cidr, zones):
        plan = real(cidr, zones)
        return [netplan.ZoneSubnets(z.zone, plan[0].private, z.public) for z in plan]

    monkeypatch.setattr("gpuforge.model.spec.plan_subnets", colliding)
    result = runner.invoke(cli, ["plan", "-e", "dev"])
    assert result.exit_code == 1, result.output
    assert "InvalidSubnet.Conflict" in result.stderr
    assert "aws:ec2/subnet:Subnet" in result.stderr


def test_an_advisory_finding_is_shown_but_does_not_fail(runner, project):
    _edit_prod(project, lambda d: d["network"].update(endpoints=["s3"]))
    result, doc = _plan_json(runner, "prod")
    assert result.exit_code == 0, result.output
    (finding,) = doc["findings"]
    assert (finding["rule"], finding["enforcement"]) == ("GF-VPC-007", "advisory")
    assert "ecr.api (Interface), ecr.dkr (Interface), sts (Interface)" in finding["message"]
