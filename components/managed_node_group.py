"""A managed EKS node group with its launch template: what every pool kind shares.

The system pool (`system_pool.py`) and each GPU pool (`gpu_pool.py`) call
`managed_node_group`, so the node baseline lives here once:

- IMDSv2 required with hop limit 1 (pods, one hop away, cannot reach the
  node's instance credentials; they get AWS access through EKS Pod Identity);
- a gp3 root volume encrypted with the environment's EBS key (a customer
  managed key, `Encryption.ebs_key_arn`, not `aws/ebs`), deleted with the node;
- explicit tags on the instances, volumes and ENIs the template launches
  (the provider's default tags do not reach them);
- an explicit launch-template name, because the node group and the policy
  rules match node groups to templates by `launchTemplate.name`;
- the initial desired size is `min_size` and later changes to it are ignored
  (the cluster autoscaler owns it); one node unavailable at a time on update;
- EKS node auto repair on (`node_repair_config`): the node monitoring agent add-on
  (`addons.py`) sets `AcceleratedHardwareReady`, `KernelReady`, `NetworkingReady`, ...
  and EKS reboots or replaces the node after the condition has held (10 min for
  `AcceleratedHardwareReady`, 30 min for the others). The per-XID action (Reboot or
  Replace, by the condition's reason `NvidiaXID<code>Error`) is EKS's default: only
  managed node groups can Reboot, so no override narrows it
  (https://docs.aws.amazon.com/eks/latest/userguide/node-repair.html; the reasons:
  aws/eks-node-monitoring-agent@c399089dec78cb245306ca2a5f9806b7c32ca093 (v1.7.0):
  monitors/nvidia/dcgm/dcgm_policies.go:98-147, pkg/reasons/reasons.go:83-90).

A pool kind adds its own template arguments (`template_extras`: EFA interfaces,
placement group, capacity market) but cannot replace the baseline's.
No component of its own: the resources are children of the calling component,
so their URNs stay those of the system pool and the GPU pool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_aws import ec2, eks

BASELINE_TEMPLATE_ARGS = frozenset(
    {"name", "metadata_options", "block_device_mappings", "tag_specifications"}
)
"""Launch-template arguments `managed_node_group` sets itself; `template_extras` may not."""


@dataclass
class ManagedNodeGroupArgs:
    """Inputs of `managed_node_group`."""

    template_name: str
    """Logical and physical name of the launch template (explicit: referred to by name)."""

    group_name: str
    """Logical name of the node group (EKS names it physically)."""

    description: str
    """Description of the launch template."""

    cluster_name: pulumi.Input[str]
    """EKS cluster the nodes join."""

    node_role_arn: pulumi.Input[str]
    """Node IAM role (`node_role.NodeRole.arn`)."""

    subnet_ids: list[pulumi.Input[str]]
    """Private subnets the nodes launch in."""

    ami_type: str
    """EKS AMI type, e.g. `AL2023_x86_64_STANDARD` or `AL2023_x86_64_NVIDIA`."""

    capacity_type: str
    """EKS capacity type: `ON_DEMAND`, `SPOT` or `CAPACITY_BLOCK`."""

    instance_type: str
    """EC2 instance type of the nodes."""

    min_size: int
    """Minimum and initial size of the group."""

    max_size: int
    """Maximum size of the group."""

    disk_gib: int
    """Root volume size in GiB."""

    volume_key_arn: pulumi.Input[str]
    """Customer managed KMS key of the root volume (`Encryption.ebs_key_arn`)."""

    tags: dict[str, str] = field(default_factory=dict)
    """Tags on the template, what it launches and the node group."""

    group_tags: dict[str, str] = field(default_factory=dict)
    """Tags on the node group only, after `tags` (e.g. cluster-autoscaler tags)."""

    labels: dict[str, str] = field(default_factory=dict)
    """Kubernetes labels of the nodes."""

    taints: list[dict[str, str]] = field(default_factory=list)
    """Taints of the nodes in the EKS API's spelling (`effect: NO_SCHEDULE`); none when empty."""

    template_extras: dict[str, Any] = field(default_factory=dict)
    """More `ec2.LaunchTemplate` arguments of the pool kind (placement, network interfaces, ...)."""

    depends_on: list[pulumi.Resource] = field(default_factory=list)
    """What the node group waits for (node-role policies, the CNI add-on)."""


@dataclass
class ManagedNodeGroup:
    """What `managed_node_group` declared."""

    template: ec2.LaunchTemplate
    group: eks.NodeGroup


def managed_node_group(parent: pulumi.Resource, args: ManagedNodeGroupArgs) -> ManagedNodeGroup:
    """Declare a launch template with the node baseline and a node group that uses it."""
    overridden = BASELINE_TEMPLATE_ARGS & set(args.template_extras)
    if overridden:
        raise ValueError(f"template_extras may not replace the node baseline: {sorted(overridden)}")
    template = ec2.LaunchTemplate(
        args.template_name,
        name=args.template_name,
        description=args.description,
        metadata_options=metadata_options(),
        block_device_mappings=[root_volume(args.disk_gib, args.volume_key_arn)],
        tag_specifications=tag_specifications(args.tags),
        update_default_version=True,
        tags=args.tags,
        opts=pulumi.ResourceOptions(parent=parent),
        **args.template_extras,
    )
    group = eks.NodeGroup(
        args.group_name,
        cluster_name=args.cluster_name,
        node_role_arn=args.node_role_arn,
        subnet_ids=args.subnet_ids,
        ami_type=args.ami_type,
        capacity_type=args.capacity_type,
        instance_types=[args.instance_type],
        scaling_config={
            "min_size": args.min_size,
            "max_size": args.max_size,
            "desired_size": args.min_size,
        },
        update_config={"max_unavailable": 1},
        node_repair_config=node_repair_config(),
        launch_template={"name": template.name, "version": _version_string(template)},
        labels=args.labels,
        taints=args.taints or None,
        tags={**args.tags, **args.group_tags},
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=args.depends_on,
            ignore_changes=["scalingConfig.desiredSize"],
        ),
    )
    return ManagedNodeGroup(template=template, group=group)


def node_repair_config() -> dict[str, Any]:
    """EKS node auto repair, with EKS's default actions and thresholds (see the docstring)."""
    return {"enabled": True}


def metadata_options() -> dict[str, Any]:
    """Launch-template metadata options for EKS nodes: IMDSv2 only, hop limit 1."""
    return {
        "http_endpoint": "enabled",
        "http_tokens": "required",
        "http_put_response_hop_limit": 1,
        "instance_metadata_tags": "disabled",
    }


def root_volume(disk_gib: int, key_arn: pulumi.Input[str]) -> dict[str, Any]:
    """The AL2023 root volume (`/dev/xvda`): gp3, encrypted with `key_arn`, deleted with the node.

    The key's policy must let the EC2 Auto Scaling service-linked role use it and
    create grants (`encryption.py`), or the node group's instances fail to launch.
    """
    return {
        "device_name": "/dev/xvda",
        "ebs": {
            "volume_size": disk_gib,
            "volume_type": "gp3",
            "encrypted": "true",
            "kms_key_id": key_arn,
            "delete_on_termination": "true",
        },
    }


def tag_specifications(tags: dict[str, str]) -> list[dict[str, Any]]:
    """Tag instances, volumes and ENIs launched from a template."""
    return [
        {"resource_type": kind, "tags": dict(tags)}
        for kind in ("instance", "volume", "network-interface")
    ]


def _version_string(template: ec2.LaunchTemplate) -> pulumi.Output[str]:
    """A launch template's latest version as the string EKS node groups expect."""
    return template.latest_version.apply(lambda v: None if v is None else str(v))
