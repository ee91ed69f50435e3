"""cluster-autoscaler: values from the `autoscaling` spec section, a least-privilege role."""

from __future__ import annotations

import re

import pytest
import yaml

from gpuforge.components.autoscaler import READ_ACTIONS, WRITE_ACTIONS, autoscaler_statements
from gpuforge.model import catalog, cluster_autoscaler
from gpuforge.model.loader import load_env, spec_from_data
from tests.conftest import ROOT, SHIPPED_ENVS, shipped_spec


def test_priority_expander_tries_reserved_then_on_demand_then_spot():
    data = shipped_spec("prod")
    data["gpu_pools"].append(
        {"name": "spare", "instance_type": "g6e.12xlarge", "capacity": "spot", "max": 2}
    )
    spec = spec_from_data(data)
    groups = {"h100": "eks-h100-1", "l40s": "eks-l40s-2", "spare": "eks-spare-3"}
    priorities = yaml.safe_load(cluster_autoscaler.expander_priorities(spec, groups))
    assert priorities == {
        30: ["^eks-h100-1$"],  # capacity block
        20: ["^eks-l40s-2$"],  # on-demand
        10: ["^eks-spare-3$"],  # spot
        1: [".*"],  # the system pool and anything else
    }
    assert re.match(priorities[30][0], "eks-h100-1")
    assert not re.match(priorities[30][0], "eks-h100-10")


def test_an_on_demand_pool_with_a_reservation_counts_as_reserved():
    data = shipped_spec("prod")
    data["gpu_pools"][1].update(capacity_reservation_id="cr-0123456789abcdef0", az="us-east-1b")
    spec = spec_from_data(data)
    assert cluster_autoscaler.capacity_tier(spec.gpu_pools[1]) == "reserved"


@pytest.mark.parametrize("env", SHIPPED_ENVS)
def test_values_follow_the_autoscaling_section(env):
    spec = load_env(env, ROOT)[1]
    values = cluster_autoscaler.chart_values(
        spec, {p.name: f"eks-{p.name}" for p in spec.gpu_pools}
    )
    assert values["autoDiscovery"]["clusterName"] == spec.cluster_name
    assert f"k8s.io/cluster-autoscaler/{spec.cluster_name}" in values["autoDiscovery"]["tags"]
    assert values["awsRegion"] == spec.region
    extra = values["extraArgs"]
    assert extra["expander"] == spec.autoscaling.expander == "priority"
    assert extra["balance-similar-node-groups"] is True
    assert extra["scale-down-unneeded-time"] == "10m0s"
    assert values["rbac"]["serviceAccount"]["name"] == "cluster-autoscaler"
    assert values["nodeSelector"] == {"gpuforge.dev/node-role": "system"}
    assert cluster_autoscaler.scale_down_tags(spec) == {
        cluster_autoscaler.SCALE_DOWN_OPTION: "10m0s"
    }


def test_a_changed_delay_and_expander_reach_the_values():
    data = shipped_spec("dev")
    data["autoscaling"] = {"gpu_scale_down_delay_minutes": 30, "expander": "least-waste"}
    spec = spec_from_data(data)
    values = cluster_autoscaler.chart_values(spec, {})
    assert values["extraArgs"]["scale-down-unneeded-time"] == "30m0s"
    assert values["extraArgs"]["expander"] == "least-waste"
    assert "expanderPriorities" not in values
    assert cluster_autoscaler.scale_down_tags(spec)[cluster_autoscaler.SCALE_DOWN_OPTION] == "30m0s"


@pytest.mark.parametrize("version", sorted(catalog.EKS_CALENDAR))
def test_the_autoscaler_minor_matches_the_eks_minor(version):
    tag = cluster_autoscaler.image_tag(version)
    assert tag.startswith(f"v{version}."), tag


def test_a_newer_eks_than_known_gets_the_newest_autoscaler():
    newest = max(cluster_autoscaler.IMAGE_TAGS, key=catalog.k8s_minor)
    assert cluster_autoscaler.image_tag("1.99") == cluster_autoscaler.IMAGE_TAGS[newest]


def test_the_role_writes_only_to_this_clusters_tagged_groups():
    statements = autoscaler_statements("aws", "us-east-1", "123456789012", "gpuforge-prod")
    for st in statements:
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        writes = [a for a in actions if a in WRITE_ACTIONS]
        if st["Resource"] == "*":
            assert not writes, st
            verbs = [a.split(":", 1)[1] for a in actions]
            assert all(v.startswith(("Describe", "Get")) for v in verbs), st
        if writes:
            assert "*" not in st["Resource"].split(":")[4]  # an account, not any
            assert st["Resource"].startswith("arn:aws:autoscaling:us-east-1:123456789012:")
            assert st["Condition"] == {
                "StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/gpuforge-prod": "owned"}
            }
    granted = {
        a
        for st in statements
        for a in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
    }
    assert granted == set(READ_ACTIONS) | set(WRITE_ACTIONS) | {"eks:DescribeNodegroup"}
