"""The system node group: on-demand general-purpose nodes for the cluster's own pods.

One managed node group (`managed_node_group.managed_node_group`, the same launch
template and node-group baseline as the GPU pools) of the spec's
`cluster.system_pool.instance_type`,
AL2023 standard AMI for its architecture, labelled and tagged
`gpuforge.dev/node-role: system`. No `gpuforge.dev/pool` tag and no taints:
that tag marks GPU node groups (docs/contracts.md), and CoreDNS, the add-ons
and the training operators must be able to land here.
"""

from __future__ import annotations

import pulumi
from pulumi_aws import eks

from gpuforge.components.cluster_args import ClusterArgs
from gpuforge.components.managed_node_group import ManagedNodeGroupArgs, managed_node_group
from gpuforge.model import aws_naming as rn
from gpuforge.model.names import NODE_ROLE_KEY, SYSTEM_NODE_ROLE
from gpuforge.model.pools import eks_ami_type


def system_ami_type(arch: str) -> str:
    """The EKS AL2023 standard AMI type for `x86_64` or `arm64`."""
    return eks_ami_type(arch, "STANDARD")


def system_pool(
    parent: pulumi.Resource,
    name: str,
    args: ClusterArgs,
    cluster_name: pulumi.Input[str],
    node_role_arn: pulumi.Input[str],
    after: list[pulumi.Resource],
) -> eks.NodeGroup:
    """The system node group `<name>-system` (and its launch template of the same name)."""
    tags = {**args.node_tags, NODE_ROLE_KEY: SYSTEM_NODE_ROLE}
    return managed_node_group(
        parent,
        ManagedNodeGroupArgs(
            template_name=rn.child(name, rn.SYSTEM_POOL),
            group_name=rn.child(name, rn.SYSTEM_POOL),
            description=f"System nodes of {args.cluster_name}",
            cluster_name=cluster_name,
            node_role_arn=node_role_arn,
            subnet_ids=args.private_subnet_ids,
            ami_type=system_ami_type(args.system_arch),
            capacity_type="ON_DEMAND",
            instance_type=args.cluster.system_pool.instance_type,
            min_size=args.cluster.system_pool.min,
            max_size=args.cluster.system_pool.max,
            disk_gib=args.cluster.system_pool.disk_gib,
            volume_key_arn=args.volume_key_arn,
            tags=tags,
            labels={NODE_ROLE_KEY: SYSTEM_NODE_ROLE},
            depends_on=after,
        ),
    ).group
