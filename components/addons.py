"""The core EKS add-ons, managed as EKS add-ons rather than bootstrapped by EKS.

vpc-cni, kube-proxy and eks-pod-identity-agent come before any node group
(nodes need the CNI to join; training pods need the agent for their role);
coredns comes after the system node group, because it only becomes active
once there are nodes to run it; so does the EKS node monitoring agent, which sets the
node conditions that managed node groups' auto repair acts on, pinned and configured
so its DCGM host engine runs on tainted GPU nodes (`gpuforge/model/node_health.py`).
vpc-cni runs its network policy agent (`network_policy.VPC_CNI_CONFIGURATION`), so the
training namespaces' NetworkPolicies are enforced.
"""

from __future__ import annotations

import json

import pulumi
from pulumi_aws import eks

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


def before_nodes(
    parent: pulumi.Resource, name: str, cluster_name: pulumi.Input[str]
) -> dict[str, eks.Addon]:
    """The `BEFORE_NODES` add-ons by name; node groups wait for all of them."""
    return {addon: _addon(parent, name, cluster_name, addon, []) for addon in BEFORE_NODES}


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
        opts=pulumi.ResourceOptions(parent=parent, depends_on=after),
    )
