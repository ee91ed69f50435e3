"""The IAM role every node of the cluster runs as (system and GPU node groups alike).

AmazonEKSWorkerNodePolicy and AmazonEC2ContainerRegistryReadOnly. Not
AmazonEKS_CNI_Policy: the VPC CNI gets it through its own role, bound to the
`aws-node` service account by the vpc-cni add-on's Pod Identity association
(`addons.py`), as the EKS guide recommends ("We recommend that you assign it to a
separate role", docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html). So no
process on a node can use the node role to create, attach or delete network
interfaces. The ordering works because the Pod Identity agent runs on the host
network and needs no pod IP: it starts before the CNI has any.
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
