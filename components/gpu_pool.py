"""One GPU (or Neuron) managed node group per `gpu_pools` entry.

- AMI type from the accelerator: AL2023_x86_64_NVIDIA, AL2023_ARM_64_NVIDIA on
  arm64, AL2023_x86_64_NEURON for AWS Neuron.
- Scales from `min` (usually 0) to `max`. The launch template and node group
  come from `managed_node_group.managed_node_group`, shared with the system pool:
  IMDSv2 required with hop limit 1, a gp3 root volume of `disk_gib`
  encrypted with the environment's EBS key, explicit tags on the instances,
  volumes and ENIs, an explicit template name, and a desired size the cluster
  autoscaler owns.
- Taint `nvidia.com/gpu=true:NoSchedule` (`aws.amazon.com/neuron=true:NoSchedule`
  on Neuron pools) plus the spec's taints; labels `gpuforge.dev/pool`,
  `gpuforge.dev/gpu-model`, `nvidia.com/gpu.present` and the cluster-autoscaler's
  `k8s.amazonaws.com/accelerator` (NVIDIA only) plus the spec's.
- `efa: true`: one EFA interface on every network card of the type
  (`interfaceType: efa` at deviceIndex 0 on card 0 - the primary ENI, with the
  node's IP - and `efa-only`, no IP, at deviceIndex 1 on the other cards, as AWS
  now recommends for p5), a cluster placement group (not on reserved capacity:
  a capacity block or a targeted reservation is already placed, see
  `model.pools.wants_placement_group`), the one private subnet of `az`, and an
  EFA security group that allows all traffic from and to itself. The interfaces carry the EFA
  group and the cluster security group (a template with interfaces replaces
  the security groups EKS would otherwise attach). Its launch template's user data
  is a NodeConfig that gives containers an unlimited memlock rlimit, which
  libfabric's EFA provider needs (`gpuforge.model.nodeadm`).
- Capacity: SPOT, CAPACITY_BLOCK (market type `capacity-block` plus the
  reservation as target) or ON_DEMAND (targeting an ODCR when one is given).
- Tags: the environment's tags, `gpuforge.dev/pool`, the cluster-autoscaler
  discovery tags and the `k8s.io/cluster-autoscaler/node-template/...` label,
  taint and resource tags that let the autoscaler scale this pool up from zero.
  EKS does not copy a node group's tags to its Auto Scaling group, where the
  autoscaler reads them, so the same tags are also put on the group the node group
  reports (`resources[0].autoscalingGroups[0].name`), one `aws.autoscaling.Tag` each.

This module adds only what is GPU-specific: the EFA parts, the capacity market,
labels, taints and autoscaler tags. Labels, taints, AMI type and autoscaler tags
are pure facts of the pool, shared with the job runner: they live in
`gpuforge.model.pools`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_aws import autoscaling, ec2, vpc

from gpuforge.components.managed_node_group import ManagedNodeGroupArgs, managed_node_group
from gpuforge.model import aws_naming as rn
from gpuforge.model.names import POOL_KEY
from gpuforge.model.nodeadm import efa_node_config, user_data
from gpuforge.model.pools import (
    EFA_INTERFACE,
    EFA_ONLY_INTERFACE,
    EKS_CAPACITY_TYPES,
    EKS_TAINT_EFFECTS,
    ami_type,
    autoscaler_tags,
    node_labels,
    node_taints,
    wants_placement_group,
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

    volume_key_arn: pulumi.Input[str]
    """KMS key of the nodes' root volumes (`Encryption.ebs_key_arn`)."""

    vpc_id: pulumi.Input[str] | None = None
    """VPC of the cluster; needed for the EFA security group when `pool.efa`."""

    cluster_security_group_id: pulumi.Input[str] | None = None
    """EKS cluster security group; put on EFA interfaces next to the EFA group."""

    tags: dict[str, str] = field(default_factory=dict)
    """Environment tags, set explicitly on the node group and launch template."""

    autoscaling_options: dict[str, str] = field(default_factory=dict)
    """More tags for the Auto Scaling group only: per-group cluster-autoscaler options
    (`.../node-template/autoscaling-options/...`, e.g. the GPU scale-down delay)."""


class GpuNodePool(pulumi.ComponentResource):
    """A managed EKS node group of GPU/accelerator nodes, scale-to-zero capable."""

    node_group_name: pulumi.Output[str]
    """Name of the EKS node group."""
    autoscaling_group_name: pulumi.Output[str]
    """The Auto Scaling group EKS made for the node group; carries the node-template tags."""
    placement_group_name: pulumi.Output[str] | None
    """Cluster placement group of an EFA pool; None otherwise."""
    efa_security_group_id: pulumi.Output[str] | None
    """Self-referencing EFA security group of an EFA pool; None otherwise."""

    def __init__(
        self, name: str, args: GpuNodePoolArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpuforge:nodepool:GpuNodePool", name, None, opts)
        pool = args.pool
        base_tags = {**args.tags, POOL_KEY: pool.name}

        self.placement_group_name = None
        self.efa_security_group_id = None
        extras = self._efa(name, args) if pool.efa else {}
        extras.update(_capacity_options(pool))

        zones = [pool.az] if pool.az is not None else list(args.private_subnet_ids)
        group = managed_node_group(
            self,
            ManagedNodeGroupArgs(
                template_name=rn.child(name, rn.POOL_LAUNCH_TEMPLATE),
                group_name=rn.child(name, rn.POOL_NODE_GROUP),
                description=f"GPU pool {pool.name} of {args.cluster_name}",
                cluster_name=args.cluster_name,
                node_role_arn=args.node_role_arn,
                subnet_ids=[args.private_subnet_ids[z] for z in zones],
                ami_type=ami_type(pool),
                capacity_type=EKS_CAPACITY_TYPES[pool.capacity],
                instance_type=pool.instance_type,
                min_size=pool.min,
                max_size=pool.max,
                disk_gib=pool.disk_gib,
                volume_key_arn=args.volume_key_arn,
                tags=base_tags,
                group_tags=autoscaler_tags(pool, args.cluster_name),
                labels=node_labels(pool),
                taints=[
                    {"key": t["key"], "value": t["value"], "effect": EKS_TAINT_EFFECTS[t["effect"]]}
                    for t in node_taints(pool)
                ],
                template_extras=extras,
                # Wait for what the component waits for (the CNI add-on): nodes need it to join.
                depends_on=_depends_on(opts),
            ),
        ).group

        self.node_group_name = group.node_group_name
        self.autoscaling_group_name = group.resources[0].autoscaling_groups[0].name
        child = pulumi.ResourceOptions(parent=self)
        group_tags = {**autoscaler_tags(pool, args.cluster_name), **args.autoscaling_options}
        for key, value in group_tags.items():
            autoscaling.Tag(
                f"{name}-asg-{key}",
                autoscaling_group_name=self.autoscaling_group_name,
                tag={"key": key, "value": value, "propagate_at_launch": False},
                opts=child,
            )
        self.register_outputs(
            {
                "node_group_name": self.node_group_name,
                "autoscaling_group_name": self.autoscaling_group_name,
                "placement_group_name": self.placement_group_name,
                "efa_security_group_id": self.efa_security_group_id,
            }
        )

    def _efa(self, name: str, args: GpuNodePoolArgs) -> dict[str, Any]:
        """The placement group (unless reserved capacity) and EFA security group; the
        template's EFA arguments."""
        child = pulumi.ResourceOptions(parent=self)
        pool = args.pool
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
        self.efa_security_group_id = sg.id
        extras: dict[str, Any] = {
            "network_interfaces": _efa_interfaces(pool.instance.network_cards, groups),
            # libfabric pins its buffers: unlimited memlock in containers (model.nodeadm)
            "user_data": user_data(efa_node_config()),
        }
        if wants_placement_group(pool):
            pg = ec2.PlacementGroup(f"{name}-pg", strategy="cluster", opts=child)
            self.placement_group_name = pg.name
            extras["placement"] = {"group_name": pg.name}
        return extras


def _efa_interfaces(network_cards: int, groups: list[Any]) -> list[dict[str, Any]]:
    """One EFA interface per network card: on card 0 the primary ENI (deviceIndex 0,
    `efa`: EFA device plus an IP address for the node), on every other card an
    `efa-only` interface at deviceIndex 1 (the EFA device alone, no IP address): the EC2
    user guide's "EFA configuration for P5 instances", use case 1 ("save IP addresses":
    primary EFA-with-ENA on card 0 device 0, EFA-only on cards 1-31 device 1), in
    https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa-acc-inst-types.html. On a
    p5.48xlarge that saves 31 subnet IP addresses per node; NCCL's traffic goes through
    the EFA devices, which need none. An EFA-only interface cannot be the primary one."""
    return [
        {
            "network_card_index": card,
            "device_index": 0 if card == 0 else 1,
            "interface_type": EFA_INTERFACE if card == 0 else EFA_ONLY_INTERFACE,
            "associate_public_ip_address": "false",
            "delete_on_termination": "true",
            "security_groups": groups,
        }
        for card in range(network_cards)
    ]


def _capacity_options(pool: GpuPoolSpec) -> dict[str, Any]:
    """Launch-template arguments for a capacity block and a targeted capacity reservation."""
    options: dict[str, Any] = {}
    if pool.capacity == "capacity-block":
        options["instance_market_options"] = {"market_type": "capacity-block"}
    if pool.capacity_reservation_id is not None:
        options["capacity_reservation_specification"] = {
            "capacity_reservation_target": {"capacity_reservation_id": pool.capacity_reservation_id}
        }
    return options


def _depends_on(opts: pulumi.ResourceOptions | None) -> list[Any]:
    deps = opts.depends_on if opts is not None else None
    if deps is None:
        return []
    return list(deps) if isinstance(deps, list | tuple) else [deps]
