"""Pulumi inputs, once checked, as the keyword arguments of moto's EKS calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpuforge.model.catalog import EKS_DEFAULT_VERSION

from .._base import num
from .checks import ClusterNetwork, Scaling

DEFAULT_VERSION = EKS_DEFAULT_VERSION  # what EKS runs when a cluster names no version


@dataclass(frozen=True)
class EndpointAccess:
    """The API endpoint's access, with EKS's defaults filled in (public, to everyone)."""

    public: bool
    private: bool
    public_cidrs: list[str]

    @classmethod
    def of(cls, vpc_config: dict) -> EndpointAccess:
        public = bool(vpc_config.get("endpointPublicAccess", True))
        private = bool(vpc_config.get("endpointPrivateAccess", False))
        cidrs = vpc_config.get("publicAccessCidrs") or (["0.0.0.0/0"] if public else [])
        return cls(public, private, list(cidrs))


def create_cluster(
    name: str,
    inputs: dict,
    network: ClusterNetwork,
    endpoint: EndpointAccess,
    log_types: list[str],
    encryption: dict | None,
    tags: dict[str, str],
) -> dict[str, Any]:
    """The arguments of `eks.create_cluster`."""
    kwargs: dict[str, Any] = {
        "name": name,
        "version": inputs.get("version") or DEFAULT_VERSION,
        "roleArn": inputs["roleArn"],
        "resourcesVpcConfig": {
            "subnetIds": network.subnet_ids,
            "securityGroupIds": network.security_group_ids,
            "endpointPublicAccess": endpoint.public,
            "endpointPrivateAccess": endpoint.private,
            "publicAccessCidrs": endpoint.public_cidrs,
        },
        "tags": tags,
    }
    if log_types:
        kwargs["logging"] = {"clusterLogging": [{"types": log_types, "enabled": True}]}
    if encryption:
        kwargs["encryptionConfig"] = [
            {"resources": encryption["resources"], "provider": {"keyArn": encryption["keyArn"]}}
        ]
    network_config = inputs.get("kubernetesNetworkConfig") or {}
    if network_config.get("serviceIpv4Cidr"):
        kwargs["kubernetesNetworkConfig"] = {"serviceIpv4Cidr": network_config["serviceIpv4Cidr"]}
    return kwargs


def create_nodegroup(
    cluster_name: str,
    cluster_version: str | None,
    name: str,
    inputs: dict,
    subnet_ids: list[str],
    scaling: Scaling,
    taints: list[dict],
    launch_template: dict | None,
    tags: dict[str, str],
) -> dict[str, Any]:
    """The arguments of `eks.create_nodegroup`: its version defaults to the cluster's."""
    kwargs: dict[str, Any] = {
        "clusterName": cluster_name,
        "nodegroupName": name,
        "scalingConfig": {
            "minSize": scaling.low,
            "maxSize": scaling.high,
            "desiredSize": scaling.want,
        },  # fmt: skip
        "subnets": subnet_ids,
        "nodeRole": inputs["nodeRoleArn"],
        "labels": dict(inputs.get("labels") or {}),
        "taints": taints,
        "tags": tags,
        "capacityType": inputs.get("capacityType") or "ON_DEMAND",
        "version": inputs.get("version") or cluster_version or DEFAULT_VERSION,
    }
    for key in ("instanceTypes", "amiType"):
        if inputs.get(key):
            kwargs[key] = inputs[key]
    if inputs.get("diskSize"):
        kwargs["diskSize"] = num(inputs["diskSize"])
    if inputs.get("releaseVersion"):
        kwargs["releaseVersion"] = inputs["releaseVersion"]
    if inputs.get("updateConfig"):
        kwargs["updateConfig"] = {k: num(v) for k, v in inputs["updateConfig"].items()}
    if launch_template:
        kwargs["launchTemplate"] = launch_template
    if inputs.get("remoteAccess"):
        kwargs["remoteAccess"] = inputs["remoteAccess"]
    return kwargs
