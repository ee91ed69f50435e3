"""One GPU (or Neuron) managed node group per `gpu_pools` entry.

- AMI type from the accelerator: AL2023_x86_64_NVIDIA, AL2023_ARM_64_NVIDIA on
  arm64, AL2023_x86_64_NEURON for AWS Neuron.
- Scales from `min` (usually 0) to `max`; the initial desired size is `min`
  and later changes to it are ignored (the cluster autoscaler owns it).
- A launch template: IMDSv2 required with hop limit 1, an encrypted gp3 root
  volume of `disk_gib`, explicit tags on the instances, volumes and ENIs.
- Taint `nvidia.com/gpu=true:NoSchedule` (`aws.amazon.com/neuron=true:NoSchedule`
  on Neuron pools) plus the spec's taints; labels `gpuforge.dev/pool`,
  `gpuforge.dev/gpu-model`, `nvidia.com/gpu.present` (NVIDIA only) plus the spec's.
- `efa: true`: one EFA interface on every network card of the type
  (`interfaceType: efa`, deviceIndex 0 on card 0 - the primary ENI - and
  deviceIndex 1 on the other cards, as AWS documents for p4d/p5), a cluster
  placement group, the one private subnet of `az`, and an EFA security group
  that allows all traffic from and to itself. The interfaces carry the EFA
  group and the cluster security group (a template with interfaces replaces
  the security groups EKS would otherwise attach).
- Capacity: SPOT, CAPACITY_BLOCK (market type `capacity-block` plus the
  reservation as target) or ON_DEMAND (targeting an ODCR when one is given).
- Tags: the environment's tags, `gpuforge.dev/pool`, the cluster-autoscaler
  discovery tags and the `k8s.io/cluster-autoscaler/node-template/...` label,
  taint and resource tags that let the autoscaler scale this pool up from zero.

Labels, taints, AMI type and autoscaler tags are pure facts of the pool, shared
with the job runner: they live in `gpuforge.model.pools`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_aws import ec2, eks, vpc

from gpuforge.components import _aws
from gpuforge.model.names import POOL_TAG
from gpuforge.model.pools import (
    EKS_CAPACITY_TYPES,
    EKS_TAINT_EFFECTS,
    ami_type,
    autoscaler_tags,
    node_labels,
    node_taints,
)
from gpuforge.model.spec import GpuPoolSpec


@dataclass
class GpuNodePoolArgs:
    """Inputs of `GpuNodePool`."""

    pool: GpuPoolSpec
    """The pool as the spec gives it (instance type, capacity, sizes, EFA, AZ, labels, taints)."""

    cluster_name: str
    """EKS cluster name (also used in the autoscaler discovery tag)."""

    node_role_arn: pulumi.Input[str]
    """Node IAM role (`Cluster.node_role_arn`)."""

    private_subnet_ids: dict[str, pulumi.Input[str]]
    """Private subnet ID by AZ (`Network.private_subnet_ids`); `pool.az` picks one."""

    vpc_id: pulumi.Input[str] | None = None
    """VPC of the cluster; needed for the EFA security group when `pool.efa`."""

    cluster_security_group_id: pulumi.Input[str] | None = None
    """EKS cluster security group; put on EFA interfaces next to the EFA group."""

    tags: dict[str, str] = field(default_factory=dict)
    """Environment tags, set explicitly on the node group and launch template."""


class GpuNodePool(pulumi.ComponentResource):
    """A managed EKS node group of GPU/accelerator nodes, scale-to-zero capable."""

    node_group_name: pulumi.Output[str]
    """Name of the EKS node group."""
    placement_group_name: pulumi.Output[str] | None
    """Cluster placement group of an EFA pool; None otherwise."""
    efa_security_group_id: pulumi.Output[str] | None
    """Self-referencing EFA security group of an EFA pool; None otherwise."""

    def __init__(
        self, name: str, args: GpuNodePoolArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpuforge:nodepool:GpuNodePool", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        pool = args.pool
        instance = pool.instance
        base_tags = {**args.tags, POOL_TAG: pool.name}

        lt: dict[str, Any] = {
            "metadata_options": _aws.node_metadata_options(),
            "block_device_mappings": [_aws.node_root_volume(pool.disk_gib)],
            "tag_specifications": _aws.node_tag_specifications(base_tags),
        }
        self.placement_group_name = None
        self.efa_security_group_id = None
        if pool.efa:
            pg = ec2.PlacementGroup(f"{name}-pg", strategy="cluster", opts=child)
            sg = ec2.SecurityGroup(
                f"{name}-efa",
                vpc_id=args.vpc_id,
                description=f"EFA traffic between nodes of pool {pool.name}",
                tags={"Name": f"{name}-efa"},
                opts=child,
            )
            vpc.SecurityGroupIngressRule(
                f"{name}-efa-in",
                security_group_id=sg.id,
                referenced_security_group_id=sg.id,
                ip_protocol="-1",
                description="All traffic from EFA peers",
                opts=child,
            )
            vpc.SecurityGroupEgressRule(
                f"{name}-efa-out",
                security_group_id=sg.id,
                referenced_security_group_id=sg.id,
                ip_protocol="-1",
                description="All traffic to EFA peers",
                opts=child,
            )
            groups = [g for g in (args.cluster_security_group_id, sg.id) if g is not None]
            lt["placement"] = {"group_name": pg.name}
            lt["network_interfaces"] = [
                {
                    "network_card_index": card,
                    "device_index": 0 if card == 0 else 1,
                    "interface_type": "efa",
                    "associate_public_ip_address": "false",
                    "delete_on_termination": "true",
                    "security_groups": groups,
                }
                for card in range(instance.network_cards)
            ]
            self.placement_group_name = pg.name
            self.efa_security_group_id = sg.id
        if pool.capacity == "capacity-block":
            lt["instance_market_options"] = {"market_type": "capacity-block"}
        if pool.capacity_reservation_id is not None:
            lt["capacity_reservation_specification"] = {
                "capacity_reservation_target": {
                    "capacity_reservation_id": pool.capacity_reservation_id
                }
            }
        template = ec2.LaunchTemplate(
            f"{name}-lt",
            name=f"{name}-lt",  # explicit, so the node group (and policy checks) can refer by name
            description=f"GPU pool {pool.name} of {args.cluster_name}",
            update_default_version=True,
            tags=base_tags,
            opts=child,
            **lt,
        )

        zones = [pool.az] if pool.az is not None else list(args.private_subnet_ids)
        group = eks.NodeGroup(
            f"{name}-ng",
            cluster_name=args.cluster_name,
            node_role_arn=args.node_role_arn,
            subnet_ids=[args.private_subnet_ids[z] for z in zones],
            ami_type=ami_type(pool),
            capacity_type=EKS_CAPACITY_TYPES[pool.capacity],
            instance_types=[pool.instance_type],
            scaling_config={"min_size": pool.min, "max_size": pool.max, "desired_size": pool.min},
            update_config={"max_unavailable": 1},
            launch_template={"name": template.name, "version": _aws.version_string(template)},
            labels=node_labels(pool),
            taints=[
                {"key": t["key"], "value": t["value"], "effect": EKS_TAINT_EFFECTS[t["effect"]]}
                for t in node_taints(pool)
            ],
            tags={**base_tags, **autoscaler_tags(pool, args.cluster_name)},
            opts=pulumi.ResourceOptions(
                parent=self,
                # Wait for what the component waits for (the CNI add-on): nodes need it to join.
                depends_on=_depends_on(opts),
                ignore_changes=["scalingConfig.desiredSize"],
            ),
        )

        self.node_group_name = group.node_group_name
        self.register_outputs(
            {
                "node_group_name": self.node_group_name,
                "placement_group_name": self.placement_group_name,
                "efa_security_group_id": self.efa_security_group_id,
            }
        )


def _depends_on(opts: pulumi.ResourceOptions | None) -> list[Any]:
    deps = opts.depends_on if opts is not None else None
    if deps is None:
        return []
    return list(deps) if isinstance(deps, list | tuple) else [deps]
