"""The IAM role every node of the cluster runs as (system and GPU node groups alike).

AmazonEKSWorkerNodePolicy, AmazonEC2ContainerRegistryReadOnly and
AmazonEKS_CNI_Policy. vpc-cni keeps the node role's CNI policy rather than a
pod-identity role: the CNI must work before any pod (the pod identity agent
included) can start, and this avoids that ordering trap at the cost of the CNI
permissions on the node role; with IMDSv2 hop limit 1 (`managed_node_group.py`) pods
cannot reach those credentials.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_aws import iam

from gpuforge.components import _aws
from gpuforge.model import aws_naming as rn

NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonEKS_CNI_Policy",
)


@dataclass
class NodeRole:
    """What `node_role` declared."""

    role: iam.Role
    attachments: list[iam.RolePolicyAttachment]
    """The managed-policy attachments a node group must wait for."""


def node_role(
    parent: pulumi.Resource, name: str, cluster_name: str, part: pulumi.Input[str]
) -> NodeRole:
    """The role `<name>-node`, trusted by EC2, with the `NODE_POLICIES` attached."""
    child = pulumi.ResourceOptions(parent=parent)
    role = iam.Role(
        rn.child(name, rn.NODE_ROLE),
        description=f"EC2 nodes of {cluster_name}",
        assume_role_policy=_aws.assume_role_policy("ec2.amazonaws.com"),
        opts=child,
    )
    attachments = [
        iam.RolePolicyAttachment(
            f"{name}-node-{policy}",
            role=role.name,
            policy_arn=_aws.managed_policy_arn(part, policy),
            opts=child,
        )
        for policy in NODE_POLICIES
    ]
    return NodeRole(role=role, attachments=attachments)
