"""The names and tags `validate` checks are the ones the components really create.

`gpuforge/model/aws_naming.py` and `checks.pools.node_group_tags` predict what the
components send to AWS; these tests build each shipped platform under echo mocks
and compare, so a renamed child or a new tag cannot slip past the limits.
"""

from __future__ import annotations

import pytest

from gpuforge.model import aws_limits, aws_naming
from gpuforge.model.checks.pools import node_group_tags
from gpuforge.model.resource_tags import default_tags
from tests.components.conftest import built
from tests.conftest import SHIPPED_ENVS

TYPES = {
    "EKS node group name": "aws:eks/nodeGroup:NodeGroup",
    "IAM role name": "aws:iam/role:Role",
    "launch template name": "aws:ec2/launchTemplate:LaunchTemplate",
    "EKS cluster name": "aws:eks/cluster:Cluster",
}
NAME_INPUT = {
    "aws:eks/nodeGroup:NodeGroup": "nodeGroupName",
    "aws:iam/role:Role": "name",
    "aws:ec2/launchTemplate:LaunchTemplate": "name",
    "aws:eks/cluster:Cluster": "name",
}


@pytest.mark.parametrize("env", SHIPPED_ENVS)
def test_predicted_names_are_the_built_ones(env):
    spec, b = built(env)
    predicted = aws_naming.environment_resources(spec.environment)
    for pool in spec.gpu_pools:
        predicted += aws_naming.pool_resources(spec.environment, pool.name)
    kinds = {fs.kind for fs in spec.storage.filesystems}
    predicted += aws_naming.data_driver_resources(
        spec.environment, "lustre" in kinds, "s3-mount" in kinds
    )
    for named in predicted:
        token = TYPES[named.kind]
        if named.kind == "EKS cluster name":
            (cluster,) = b.of(token)
            assert cluster.inputs["name"] == named.logical
            continue
        resource = b.named(token, named.logical)
        explicit = resource.inputs.get(NAME_INPUT[token])
        if named.auto_named:
            assert explicit is None, f"{named.logical} is named explicitly: {explicit}"
        else:
            assert explicit == named.logical
    # every node group, role and launch template of the build is predicted
    for token in set(TYPES.values()) - {"aws:eks/cluster:Cluster"}:
        built_names = {r.name for r in b.of(token)}
        assert built_names <= {n.logical for n in predicted if TYPES[n.kind] == token}


@pytest.mark.parametrize("env", SHIPPED_ENVS)
def test_node_group_tags_are_the_built_ones(env):
    spec, b = built(env)
    for pool in spec.gpu_pools:
        (group,) = [
            r
            for r in b.of("aws:eks/nodeGroup:NodeGroup")
            if r.name == aws_naming.pool_resources(spec.environment, pool.name)[0].logical
        ]
        assert group.inputs["tags"] == node_group_tags(spec, pool)


@pytest.mark.parametrize("env", SHIPPED_ENVS)
def test_other_resources_add_at_most_most_own_tags(env):
    spec, b = built(env)
    defaults = set(default_tags(spec))
    gpu_groups = {
        aws_naming.pool_resources(spec.environment, p.name)[0].logical for p in spec.gpu_pools
    }
    extra = {
        r.name: len(set(r.inputs["tags"]) - defaults)
        for r in b.resources
        if isinstance(r.inputs.get("tags"), dict) and r.name not in gpu_groups
    }
    assert max(extra.values()) == aws_naming.MOST_OWN_TAGS, extra


def test_auto_named_length_counts_the_suffix():
    named = aws_naming.NamedResource("IAM role name", "gpuforge-x-node", True, 64)
    assert named.length == len("gpuforge-x-node") + 1 + 7
    assert named.shown == "gpuforge-x-node-xxxxxxx"


def test_every_environment_name_that_validates_fits_the_shared_names():
    for named in aws_naming.environment_resources("e" * 20):
        assert named.length <= named.limit, named
    longest_role = max(
        n.length for n in aws_naming.environment_resources("e" * 20) if n.kind == "IAM role name"
    )
    assert (
        longest_role
        == len("gpuforge-" + "e" * 20 + "-cluster-autoscaler") + aws_limits.PULUMI_AUTONAME_SUFFIX
    )
