"""The core EKS add-ons, managed as EKS add-ons rather than bootstrapped by EKS.

vpc-cni, kube-proxy and eks-pod-identity-agent come before any node group
(nodes need the CNI to join; training pods need the agent for their role);
coredns comes after the system node group, because it only becomes active
once there are nodes to run it; so does the EKS node monitoring agent, which sets the
node conditions that managed node groups' auto repair acts on, pinned and configured
so its DCGM host engine runs on tainted GPU nodes (`gpuforge/model/node_health.py`).
vpc-cni runs its network policy agent (`network_policy.VPC_CNI_CONFIGURATION`), so the
training namespaces' NetworkPolicies are enforced.

vpc-cni runs as its own IAM role (`cni_role`, AWS's `AmazonEKS_CNI_Policy`), bound
to its `aws-node` service account in kube-system through the add-on's Pod Identity
association. The EKS guide lists the Amazon VPC CNI among the add-ons that support
Pod Identity ("The Amazon VPC CNI plugin also supports Amazon EKS Pod Identities",
docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html; the add-on API's
`podIdentityAssociations`, docs.aws.amazon.com/eks/latest/userguide/update-addon-role.html).
It waits for the Pod Identity agent add-on, which serves aws-node its credentials.
"""

from __future__ import annotations

import json

import pulumi
from pulumi_aws import eks, iam

from gpuforge.components import _aws
from gpuforge.model import aws_naming as rn
from gpuforge.model import network_policy, node_health

BEFORE_NODES = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
AFTER_NODES = ("coredns", node_health.NODE_MONITORING_ADDON)
PINNED = {
    node_health.NODE_MONITORING_ADDON: (
        node_health.NODE_MONITORING_VERSION,
        node_health.configuration_json(node_health.NODE_MONITORING_CONFIG),
    )
}
"""Add-ons with a pinned version and configuration values; the others take EKS's default."""
CNI_NAMESPACE, CNI_SERVICE_ACCOUNT = "kube-system", "aws-node"
CNI_POLICY = "AmazonEKS_CNI_Policy"


def before_nodes(
    parent: pulumi.Resource, name: str, cluster_name: pulumi.Input[str]
) -> dict[str, eks.Addon]:
    """The `BEFORE_NODES` add-ons by name; node groups wait for all of them."""
    made = {
        addon: _addon(parent, name, cluster_name, addon, [])
        for addon in BEFORE_NODES
        if addon != "vpc-cni"
    }
    role, attachment = cni_role(parent, name, cluster_name)
    made["vpc-cni"] = _addon(
        parent,
        name,
        cluster_name,
        "vpc-cni",
        [made["eks-pod-identity-agent"], attachment],
        [{"role_arn": role.arn, "service_account": CNI_SERVICE_ACCOUNT}],
    )
    return {addon: made[addon] for addon in BEFORE_NODES}


def cni_role(
    parent: pulumi.Resource, name: str, cluster_name: pulumi.Input[str]
) -> tuple[iam.Role, iam.RolePolicyAttachment]:
    """The role `<name>-vpc-cni` that aws-node assumes through Pod Identity."""
    child = pulumi.ResourceOptions(parent=parent)
    role = iam.Role(
        rn.child(name, rn.CNI_ROLE),
        description="Amazon VPC CNI (aws-node) through EKS Pod Identity",
        assume_role_policy=_aws.pod_identity_trust(
            parent, cluster_name, CNI_NAMESPACE, CNI_SERVICE_ACCOUNT
        ),
        opts=child,
    )
    attachment = iam.RolePolicyAttachment(
        f"{name}-vpc-cni-{CNI_POLICY}",
        role=role.name,
        policy_arn=_aws.managed_policy_arn(_aws.partition(parent), CNI_POLICY),
        opts=child,
    )
    return role, attachment


def after_nodes(
    parent: pulumi.Resource,
    name: str,
    cluster_name: pulumi.Input[str],
    system_nodes: pulumi.Resource,
) -> dict[str, eks.Addon]:
    """The `AFTER_NODES` add-ons by name, declared after the system node group."""
    return {
        addon: _addon(parent, name, cluster_name, addon, [system_nodes]) for addon in AFTER_NODES
    }


def _addon(
    parent: pulumi.Resource,
    name: str,
    cluster_name: pulumi.Input[str],
    addon: str,
    after: list[pulumi.Resource],
    pod_identity: list[dict] | None = None,
) -> eks.Addon:
    version, config = PINNED.get(addon, (None, None))
    if addon == network_policy.VPC_CNI_ADDON:
        config = json.dumps(network_policy.VPC_CNI_CONFIGURATION)
    return eks.Addon(
        f"{name}-{addon}",
        cluster_name=cluster_name,
        addon_name=addon,
        addon_version=version,
        configuration_values=config,
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="PRESERVE",
        pod_identity_associations=pod_identity,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=after),
    )
