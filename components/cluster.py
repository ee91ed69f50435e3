"""The EKS cluster as one component, composed of one module per concern.

`Cluster` declares, in this order, with itself as the parent of everything:

1. `control_plane`: the cluster role, the control-plane log group and the EKS
   cluster (no IAM OIDC provider: pods use EKS Pod Identity);
2. `access`: an access entry with cluster admin for each `admins` principal;
3. `addons`: vpc-cni, kube-proxy and eks-pod-identity-agent;
4. `node_role`: the role of every node, system and GPU;
5. `system_pool`: the system node group (`managed_node_group`, shared with GPU pools);
6. `addons`: coredns, once there are nodes to run it;
7. `training_identity`: the training pods' role and its Pod Identity association.

The parts declare plain resources under this component rather than components
of their own, so every URN stays `...$gpuforge:cluster:Cluster$<aws type>::<name>`.
"""

from __future__ import annotations

import pulumi

from gpuforge.components import _aws, addons
from gpuforge.components.access import grant_admins
from gpuforge.components.cluster_args import ClusterArgs
from gpuforge.components.control_plane import control_plane
from gpuforge.components.node_role import node_role
from gpuforge.components.system_pool import system_pool
from gpuforge.components.training_identity import training_identity


class Cluster(pulumi.ComponentResource):
    """An EKS cluster with a system node group, core add-ons and a training pod role."""

    cluster_name: pulumi.Output[str]
    """Name of the EKS cluster."""
    endpoint: pulumi.Output[str]
    """HTTPS endpoint of the Kubernetes API server."""
    certificate_authority: pulumi.Output[str]
    """Base64 PEM of the cluster CA."""
    oidc_issuer: pulumi.Output[str]
    """OIDC issuer URL of the cluster (no IAM OIDC provider is created for it)."""
    cluster_security_group_id: pulumi.Output[str]
    """Security group EKS created for the control plane and nodes."""
    cluster_role_arn: pulumi.Output[str]
    """ARN of the cluster IAM role."""
    node_role_arn: pulumi.Output[str]
    """ARN of the node IAM role (system and GPU node groups)."""
    training_role_arn: pulumi.Output[str]
    """ARN of the role training pods assume through EKS Pod Identity."""
    system_node_group_name: pulumi.Output[str]
    """Name of the system node group."""
    ready: list[pulumi.Resource]
    """Resources node groups should wait for (the add-ons nodes need to join)."""

    def __init__(
        self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpuforge:cluster:Cluster", name, None, opts)
        part = _aws.partition(self)

        plane = control_plane(self, name, args, part)
        cluster = plane.cluster
        grant_admins(self, name, cluster.name, args.cluster.admins, part)
        before_nodes = addons.before_nodes(self, name, cluster.name)
        nodes = node_role(self, name, args.cluster_name, part)
        system = system_pool(
            self,
            name,
            args,
            cluster_name=cluster.name,
            node_role_arn=nodes.role.arn,
            after=[*nodes.attachments, *before_nodes.values()],
        )
        addons.after_nodes(self, name, cluster.name, system)
        training_role = None
        if args.training_role:
            training_role = training_identity(
                self,
                name,
                args,
                cluster_name=cluster.name,
                after=[before_nodes["eks-pod-identity-agent"]],
            )

        self.cluster_name = cluster.name
        self.endpoint = cluster.endpoint
        self.certificate_authority = cluster.certificate_authority.apply(
            lambda ca: getattr(ca, "data", None)
        )
        self.oidc_issuer = plane.issuer
        self.cluster_security_group_id = cluster.vpc_config.apply(
            lambda vc: getattr(vc, "cluster_security_group_id", None)
        )
        self.cluster_role_arn = plane.role.arn
        self.node_role_arn = nodes.role.arn
        self.training_role_arn = training_role.arn if training_role is not None else None
        self.system_node_group_name = system.node_group_name
        self.ready = list(before_nodes.values())
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "endpoint": self.endpoint,
                "certificate_authority": self.certificate_authority,
                "oidc_issuer": self.oidc_issuer,
                "cluster_security_group_id": self.cluster_security_group_id,
                "cluster_role_arn": self.cluster_role_arn,
                "node_role_arn": self.node_role_arn,
                "training_role_arn": self.training_role_arn,
                "system_node_group_name": self.system_node_group_name,
            }
        )
