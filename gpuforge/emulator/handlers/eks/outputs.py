"""What the Pulumi provider reads back: moto's answers as the computed outputs of each
EKS resource type (camelCase, pulumi-aws's shapes)."""

from __future__ import annotations

import uuid
from typing import Any

from .._base import Context, camel, num
from .requests import DEFAULT_VERSION, EndpointAccess


def cluster(
    ctx: Context,
    created: dict,
    inputs: dict,
    request: dict,
    endpoint: EndpointAccess,
    vpc_id: str,
    security_group_id: str,
) -> dict[str, Any]:
    """A Cluster's outputs from `create_cluster`'s answer and the request that made it."""
    name = request["name"]
    access = inputs.get("accessConfig") or {}
    network = inputs.get("kubernetesNetworkConfig") or {}
    return {
        "arn": created["arn"],
        "name": name,
        "clusterId": str(uuid.uuid5(uuid.NAMESPACE_URL, created["arn"])),
        "createdAt": camel(created["createdAt"]),
        "endpoint": created["endpoint"],
        "certificateAuthority": {"data": created["certificateAuthority"]["data"]},
        "identities": [{"oidcs": [{"issuer": created["identity"]["oidc"]["issuer"]}]}],
        "platformVersion": created.get("platformVersion", "eks.1"),
        "status": created.get("status", "ACTIVE"),
        "version": request["version"],
        "vpcConfig": {
            **inputs["vpcConfig"],
            "endpointPublicAccess": endpoint.public,
            "endpointPrivateAccess": endpoint.private,
            "publicAccessCidrs": endpoint.public_cidrs,
            "clusterSecurityGroupId": security_group_id,
            "vpcId": vpc_id,
        },
        "accessConfig": {
            "authenticationMode": ctx.state.cluster_auth_modes[name],
            "bootstrapClusterCreatorAdminPermissions": access.get(
                "bootstrapClusterCreatorAdminPermissions", True
            ),
        },
        "kubernetesNetworkConfig": {
            "serviceIpv4Cidr": network.get("serviceIpv4Cidr") or "172.20.0.0/16",
            "ipFamily": network.get("ipFamily") or "ipv4",
            **({k: v for k, v in network.items() if k not in ("serviceIpv4Cidr", "ipFamily")}),
        },
        "tagsAll": request["tags"],
    }


def node_group(created: dict, request: dict) -> dict[str, Any]:
    """A NodeGroup's outputs from `create_nodegroup`'s answer and the request that made it."""
    resources = created.get("resources") or {}
    return {
        "arn": created["nodegroupArn"],
        "nodeGroupName": request["nodegroupName"],
        "status": created.get("status", "ACTIVE"),
        "version": request["version"],
        "releaseVersion": created.get("releaseVersion", ""),
        "amiType": created.get("amiType", ""),
        "capacityType": request["capacityType"],
        "diskSize": num(created.get("diskSize", 20)) if "launchTemplate" not in request else 0,
        "instanceTypes": created.get("instanceTypes") or [],
        "resources": [
            {
                "autoscalingGroups": camel(resources.get("autoScalingGroups") or []),
                "remoteAccessSecurityGroupId": resources.get("remoteAccessSecurityGroup", ""),
            }
        ],
        "tagsAll": request["tags"],
    }


def get_cluster(name: str, found: dict) -> dict[str, Any]:
    """`aws:eks/getCluster`'s result from `describe_cluster`'s answer."""
    vpc = found.get("resourcesVpcConfig") or {}
    return {
        "id": name,
        "name": name,
        "arn": found["arn"],
        "endpoint": found["endpoint"],
        "certificateAuthorities": [{"data": found["certificateAuthority"]["data"]}],
        "version": found.get("version", DEFAULT_VERSION),
        "status": found.get("status", "ACTIVE"),
        "roleArn": found.get("roleArn", ""),
        "vpcConfigs": [
            {
                "subnetIds": vpc.get("subnetIds") or [],
                "endpointPrivateAccess": bool(vpc.get("endpointPrivateAccess")),
                "endpointPublicAccess": bool(vpc.get("endpointPublicAccess")),
            }
        ],
        "tags": found.get("tags") or {},
    }
