"""The node baseline every pool kind gets from `managed_node_group.managed_node_group`.

Whole platforms: every node group, the system one and each GPU pool's, refers by
name to a launch template that carries that explicit name, IMDSv2 with hop limit 1,
an encrypted root volume and tags on what it launches. The helper alone: the
baseline is set whatever a pool kind adds, and a pool kind cannot replace it.
"""

from __future__ import annotations

import pulumi
import pytest

from gpuforge.components.managed_node_group import (
    BASELINE_TEMPLATE_ARGS,
    ManagedNodeGroupArgs,
    managed_node_group,
)
from gpuforge.components.system_pool import system_ami_type
from tests.components.conftest import built
from tests.components.mocks import build

LT = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCHED = ["instance", "volume", "network-interface"]
VOLUME_KEY = "arn:aws:kms:us-east-1:123456789012:key/0000aaaa-11bb-22cc-33dd-444444eeeeee"


def assert_node_baseline(
    template: dict, disk_gib: int, tags: dict[str, str], volume_key: str
) -> None:
    md = template["metadataOptions"]
    assert md["httpTokens"] == "required"
    assert md["httpPutResponseHopLimit"] == 1
    assert md["httpEndpoint"] == "enabled"
    [root] = template["blockDeviceMappings"]
    assert root["deviceName"] == "/dev/xvda"
    assert root["ebs"] == {
        "volumeSize": disk_gib,
        "volumeType": "gp3",
        "encrypted": "true",
        "kmsKeyId": volume_key,
        "deleteOnTermination": "true",
    }
    specs = template["tagSpecifications"]
    assert [s["resourceType"] for s in specs] == LAUNCHED
    assert all(s["tags"] == tags for s in specs)
    assert template["tags"] == tags
    assert "keyName" not in template


def test_every_pool_kind_gets_the_baseline_through_its_named_template(env):
    spec, b = built(env)
    templates = {lt.name: lt.inputs for lt in b.of(LT)}
    # every node volume, system and GPU, is under the environment's own EBS key (the
    # mocks' ARNs end with the key's logical name)
    [ebs_key] = {t["blockDeviceMappings"][0]["ebs"]["kmsKeyId"] for t in templates.values()}
    assert ebs_key.startswith("arn:aws:kms:") and ebs_key.endswith(f"gpuforge-{env}-ebs")
    disk = {f"gpuforge-{env}-system": spec.cluster.system_pool.disk_gib}
    disk |= {f"gpuforge-{env}-{p.name}-ng": p.disk_gib for p in spec.gpu_pools}
    assert {ng.name for ng in b.of(NODE_GROUP)} == set(disk), "a pool kind lost its node group"
    for ng in b.of(NODE_GROUP):
        ref = ng.inputs["launchTemplate"]
        assert ref["version"] == "1"
        assert ref["name"] in templates, f"{ng.name}: no template named {ref['name']}"
        template = templates[ref["name"]]
        # explicit name: the policy rules match node groups to templates by it
        assert template["name"] == ref["name"]
        template_tags = {k: v for k, v in ng.inputs["tags"].items() if k in template["tags"]}
        assert template_tags == template["tags"]
        assert_node_baseline(template, disk[ng.name], template["tags"], ebs_key)
        assert template["tags"]["gpuforge.dev/environment"] == env
        assert ng.inputs["updateConfig"] == {"maxUnavailable": 1}
        scaling = ng.inputs["scalingConfig"]
        assert scaling["desiredSize"] == scaling["minSize"]


def _build_node_group(**changes) -> tuple[dict, dict]:
    """(template inputs, node group inputs) of one `managed_node_group` under mocks."""
    args = ManagedNodeGroupArgs(
        template_name="pool-lt",
        group_name="pool-ng",
        description="a pool",
        cluster_name="c",
        node_role_arn="arn:aws:iam::123456789012:role/node",
        subnet_ids=["subnet-a"],
        ami_type="AL2023_x86_64_NVIDIA",
        capacity_type="SPOT",
        instance_type="g6.xlarge",
        min_size=0,
        max_size=3,
        disk_gib=120,
        volume_key_arn=VOLUME_KEY,
        tags={"team": "ml"},
        **changes,
    )

    def program() -> dict:
        parent = pulumi.ComponentResource("test:index:Parent", "parent")
        made = managed_node_group(parent, args)
        return {"template": made.template.name, "group": made.group.node_group_name}

    b = build(program, "us-east-1", "unit")
    assert b.exports == {"template": "pool-lt", "group": "pool-ng"}
    for r in b.resources:
        if not r.type.startswith("test:"):
            assert r.parent_type == "test:index:Parent", r.urn
    return b.named(LT, "pool-lt").inputs, b.named(NODE_GROUP, "pool-ng").inputs


def test_helper_sets_the_baseline_and_keeps_what_a_pool_kind_adds():
    template, group = _build_node_group(
        group_tags={"k8s.io/cluster-autoscaler/enabled": "true"},
        labels={"gpuforge.dev/pool": "g6"},
        taints=[{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}],
        template_extras={"instance_market_options": {"market_type": "capacity-block"}},
    )
    assert_node_baseline(template, 120, {"team": "ml"}, VOLUME_KEY)
    assert template["name"] == "pool-lt"
    assert template["updateDefaultVersion"] is True
    assert template["instanceMarketOptions"] == {"marketType": "capacity-block"}
    assert group["launchTemplate"] == {"name": "pool-lt", "version": "1"}
    assert group["scalingConfig"] == {"minSize": 0, "maxSize": 3, "desiredSize": 0}
    assert group["tags"] == {"team": "ml", "k8s.io/cluster-autoscaler/enabled": "true"}
    assert group["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
    assert group["capacityType"] == "SPOT" and group["instanceTypes"] == ["g6.xlarge"]


def test_helper_declares_no_taints_when_there_are_none():
    _, group = _build_node_group()
    assert "taints" not in group


@pytest.mark.parametrize("key", sorted(BASELINE_TEMPLATE_ARGS))
def test_a_pool_kind_cannot_replace_the_baseline(key):
    with pytest.raises(ValueError, match=key):
        managed_node_group(
            None,  # type: ignore[arg-type]  # refused before any resource is declared
            ManagedNodeGroupArgs(
                template_name="t",
                group_name="g",
                description="d",
                cluster_name="c",
                node_role_arn="r",
                subnet_ids=[],
                ami_type="AL2023_x86_64_STANDARD",
                capacity_type="ON_DEMAND",
                instance_type="m7i.large",
                min_size=1,
                max_size=1,
                disk_gib=20,
                volume_key_arn=VOLUME_KEY,
                template_extras={key: {}},
            ),
        )


def test_system_pool_ami_follows_its_architecture():
    assert system_ami_type("x86_64") == "AL2023_x86_64_STANDARD"
    assert system_ami_type("arm64") == "AL2023_ARM_64_STANDARD"
