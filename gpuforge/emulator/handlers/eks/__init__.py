"""EKS clusters, node groups and their access objects.

Clusters and node groups are moto's (moto checks the cluster exists, duplicate
names, launch template and disk size combinations). A node group's Auto Scaling
group, which moto names but never creates, is created here as EKS creates it (its
own launch template, the node group's sizes and subnets, EKS's own tags), so that
tags on the group (`aws.autoscaling.Tag`) land on something real. The handlers add what AWS
validates and moto does not: the cluster role, subnets (in at least two AZs),
security groups and KMS key exist; the node role, subnets and launch template of a
node group exist; scaling sizes are ordered; log types and taints are valid. Each
cluster also gets its cluster security group in the VPC, as EKS creates one.

The following are not yet implemented in moto and live in the emulator's state
(``emulator.moto_gaps``), with the cluster checked through ``describe_cluster``:
- Addon, AccessEntry, AccessPolicyAssociation, PodIdentityAssociation.
- Cluster ``accessConfig`` (moto drops it): kept so access entries can require
  ``API`` or ``API_AND_CONFIG_MAP`` authentication, as AWS does.

Not modelled at all: add-on configuration schemas, Kubernetes version skew between
cluster and node groups, node group updates, capacity or quotas; the certificate
authority data is moto's placeholder (real shape, not real PKI); the endpoint and OIDC
issuer are AWS-shaped, drawn per cluster from the account's seeded generator.
"""

from __future__ import annotations

import json
import uuid
import zlib
from typing import Any

from gpuforge.model.catalog import EKS_DEFAULT_VERSION
from gpuforge.model.names import CONTROL_PLANE_LOG_TYPES

from .. import _speedups
from ..errors import AwsError
from ._base import Context, camel, check_kms_key, check_role, num, require

LOG_TYPES = CONTROL_PLANE_LOG_TYPES  # what AWS accepts: every type there is
TAINT_EFFECTS = ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE")
DEFAULT_VERSION = EKS_DEFAULT_VERSION  # what EKS runs when a cluster names no version


def _own_endpoint_and_issuer(ctx: Context, cluster: str) -> dict:
    """Give the cluster an API endpoint and OIDC issuer of its own, shaped as AWS's.

    moto draws both once per process when it is imported, so every cluster shared them
    and they changed from one process to the next; these come from the account's
    seeded generator, so the same cluster gets the same ones in every run.
    """
    ident = ctx.emulation.account.random.get_random_hex(32).upper()
    endpoint = f"https://{ident}.gr7.{ctx.region}.eks.amazonaws.com"
    issuer = f"https://oidc.eks.{ctx.region}.amazonaws.com/id/{ident}"
    model = ctx.emulation.account.backend("eks").clusters[cluster]
    model.endpoint = endpoint
    model.identity = {"oidc": {"issuer": issuer}}
    return {"endpoint": endpoint, "identity": model.identity}


def _describe_cluster(ctx: Context, cluster: str) -> dict:
    return ctx.lookup(  # ResourceNotFoundException when missing
        "eks-cluster", cluster, lambda: ctx.client("eks").describe_cluster(name=cluster)["cluster"]
    )


def cluster(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    _speedups.cached_eks_partitions()
    eks, ec2 = ctx.client("eks"), ctx.client("ec2")
    cluster_name = ctx.physical_name(name, inputs, prefix_key=None, kind="eks")
    role_arn = require(inputs, "roleArn")
    check_role(ctx, role_arn)
    vpc_config = dict(require(inputs, "vpcConfig"))
    subnet_ids = list(vpc_config.get("subnetIds") or [])
    subnets = ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"] if subnet_ids else []
    if len({s["AvailabilityZone"] for s in subnets}) < 2:
        raise AwsError(
            "InvalidParameterException",
            "Subnets specified must be in at least two different AZs",
        )
    vpcs = {s["VpcId"] for s in subnets}
    if len(vpcs) > 1:
        raise AwsError(
            "InvalidParameterException", f"Subnets must all be in the same VPC, not {sorted(vpcs)}"
        )
    vpc_id = subnets[0]["VpcId"]
    sg_ids = list(vpc_config.get("securityGroupIds") or [])
    if sg_ids:
        ec2.describe_security_groups(GroupIds=sg_ids)  # InvalidGroup.NotFound
    log_types = list(inputs.get("enabledClusterLogTypes") or [])
    bad = sorted(set(log_types) - set(LOG_TYPES))
    if bad:
        raise AwsError(
            "InvalidParameterException",
            f"The type for cluster logging {bad} is not valid; valid types: {list(LOG_TYPES)}",
        )
    encryption = inputs.get("encryptionConfig")
    if isinstance(encryption, list):  # pulumi-aws <= 5 shape
        encryption = encryption[0] if encryption else None
    access = inputs.get("accessConfig") or {}
    ctx.state.set_cluster_auth_mode(cluster_name, access.get("authenticationMode"))  # validates

    public = bool(vpc_config.get("endpointPublicAccess", True))
    private = bool(vpc_config.get("endpointPrivateAccess", False))
    public_cidrs = list(vpc_config.get("publicAccessCidrs") or (["0.0.0.0/0"] if public else []))
    tags = ctx.tags(inputs)
    kwargs: dict[str, Any] = {
        "name": cluster_name,
        "version": inputs.get("version") or DEFAULT_VERSION,
        "roleArn": role_arn,
        "resourcesVpcConfig": {
            "subnetIds": subnet_ids,
            "securityGroupIds": sg_ids,
            "endpointPublicAccess": public,
            "endpointPrivateAccess": private,
            "publicAccessCidrs": public_cidrs,
        },
        "logging": {"clusterLogging": [{"types": log_types, "enabled": True}]} if log_types else {},
        "tags": tags,
    }
    if encryption:
        key_arn = require(encryption.get("provider") or {}, "keyArn")
        meta = check_kms_key(ctx, key_arn)
        if meta.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
            raise AwsError("InvalidParameterException", "Secrets encryption needs a symmetric key")
        kwargs["encryptionConfig"] = [
            {
                "resources": encryption.get("resources") or ["secrets"],
                "provider": {"keyArn": key_arn},
            }
        ]
    network = inputs.get("kubernetesNetworkConfig") or {}
    if network.get("serviceIpv4Cidr"):
        kwargs["kubernetesNetworkConfig"] = {"serviceIpv4Cidr": network["serviceIpv4Cidr"]}
    if not kwargs["logging"]:
        del kwargs["logging"]
    created = eks.create_cluster(**kwargs)["cluster"]
    created.update(_own_endpoint_and_issuer(ctx, cluster_name))

    sg_id = ec2.create_security_group(
        GroupName=f"eks-cluster-sg-{cluster_name}-{zlib.crc32(created['arn'].encode()):08x}",
        Description="EKS created security group applied to ENI that is attached to EKS Control "
        "Plane master nodes, as well as any managed workloads.",
        VpcId=vpc_id,
        TagSpecifications=[
            {
                "ResourceType": "security-group",
                "Tags": [{"Key": f"kubernetes.io/cluster/{cluster_name}", "Value": "owned"}],
            }
        ],
    )["GroupId"]
    return cluster_name, {
        "arn": created["arn"],
        "name": cluster_name,
        "clusterId": str(uuid.uuid5(uuid.NAMESPACE_URL, created["arn"])),
        "createdAt": camel(created["createdAt"]),
        "endpoint": created["endpoint"],
        "certificateAuthority": {"data": created["certificateAuthority"]["data"]},
        "identities": [{"oidcs": [{"issuer": created["identity"]["oidc"]["issuer"]}]}],
        "platformVersion": created.get("platformVersion", "eks.1"),
        "status": created.get("status", "ACTIVE"),
        "version": kwargs["version"],
        "vpcConfig": {
            **vpc_config,
            "endpointPublicAccess": public,
            "endpointPrivateAccess": private,
            "publicAccessCidrs": public_cidrs,
            "clusterSecurityGroupId": sg_id,
            "vpcId": vpc_id,
        },
        "accessConfig": {
            "authenticationMode": ctx.state.cluster_auth_modes[cluster_name],
            "bootstrapClusterCreatorAdminPermissions": access.get(
                "bootstrapClusterCreatorAdminPermissions", True
            ),
        },
        "kubernetesNetworkConfig": {
            "serviceIpv4Cidr": network.get("serviceIpv4Cidr") or "172.20.0.0/16",
            "ipFamily": network.get("ipFamily") or "ipv4",
            **({k: v for k, v in network.items() if k not in ("serviceIpv4Cidr", "ipFamily")}),
        },
        "tagsAll": tags,
    }


def node_group(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    _speedups.cached_eks_partitions()
    eks, ec2 = ctx.client("eks"), ctx.client("ec2")
    cluster_name = require(inputs, "clusterName")
    found = _describe_cluster(ctx, cluster_name)
    ng_name = ctx.physical_name(name, inputs, "nodeGroupName", "nodeGroupNamePrefix", kind="ng")
    role_arn = require(inputs, "nodeRoleArn")
    check_role(ctx, role_arn, "nodeRoleArn")
    subnet_ids = list(require(inputs, "subnetIds"))
    ctx.lookup(  # InvalidSubnetID.NotFound
        "subnets", ",".join(subnet_ids), lambda: ec2.describe_subnets(SubnetIds=subnet_ids)
    )
    scaling = {k: num(v) for k, v in require(inputs, "scalingConfig").items()}
    low, want, high = (
        scaling.get("minSize", 0),
        scaling.get("desiredSize", 0),
        scaling.get("maxSize", 0),
    )
    if high < 1 or not low <= want <= high:
        raise AwsError(
            "InvalidParameterException",
            f"Scaling config must satisfy 0 <= minSize ({low}) <= desiredSize ({want}) "
            f"<= maxSize ({high}) and maxSize >= 1",
        )
    taints = []
    for taint in inputs.get("taints") or []:
        if taint.get("effect") not in TAINT_EFFECTS:
            raise AwsError(
                "InvalidParameterException",
                f"Taint effect {taint.get('effect')!r} is not one of {list(TAINT_EFFECTS)}",
            )
        taints.append({k: taint[k] for k in ("key", "value", "effect") if taint.get(k) is not None})
    tags = ctx.tags(inputs)
    kwargs: dict[str, Any] = {
        "clusterName": cluster_name,
        "nodegroupName": ng_name,
        "scalingConfig": {"minSize": low, "maxSize": high, "desiredSize": want},
        "subnets": subnet_ids,
        "nodeRole": role_arn,
        "labels": dict(inputs.get("labels") or {}),
        "taints": taints,
        "tags": tags,
        "capacityType": inputs.get("capacityType") or "ON_DEMAND",
        "version": inputs.get("version") or found.get("version") or DEFAULT_VERSION,
    }
    for key, aws_key in (("instanceTypes", "instanceTypes"), ("amiType", "amiType")):
        if inputs.get(key):
            kwargs[aws_key] = inputs[key]
    if inputs.get("diskSize"):
        kwargs["diskSize"] = num(inputs["diskSize"])
    if inputs.get("releaseVersion"):
        kwargs["releaseVersion"] = inputs["releaseVersion"]
    if inputs.get("updateConfig"):
        kwargs["updateConfig"] = {k: num(v) for k, v in inputs["updateConfig"].items()}
    template = inputs.get("launchTemplate")
    if template:
        kwargs["launchTemplate"] = _check_launch_template(ctx, template)
    if inputs.get("remoteAccess"):
        kwargs["remoteAccess"] = inputs["remoteAccess"]
    created = eks.create_nodegroup(**kwargs)["nodegroup"]
    resources = created.get("resources") or {}
    for group in resources.get("autoScalingGroups") or []:
        _create_auto_scaling_group(ctx, group["name"], cluster_name, ng_name, kwargs)
    return f"{cluster_name}:{ng_name}", {
        "arn": created["nodegroupArn"],
        "nodeGroupName": ng_name,
        "status": created.get("status", "ACTIVE"),
        "version": kwargs["version"],
        "releaseVersion": created.get("releaseVersion", ""),
        "amiType": created.get("amiType", ""),
        "capacityType": kwargs["capacityType"],
        "diskSize": num(created.get("diskSize", 20)) if not template else 0,
        "instanceTypes": created.get("instanceTypes") or [],
        "resources": [
            {
                "autoscalingGroups": camel(resources.get("autoScalingGroups") or []),
                "remoteAccessSecurityGroupId": resources.get("remoteAccessSecurityGroup", ""),
            }
        ],
        "tagsAll": tags,
    }


def _create_auto_scaling_group(
    ctx: Context, asg_name: str, cluster_name: str, ng_name: str, request: dict
) -> None:
    """Create the Auto Scaling group EKS creates for a managed node group.

    moto names the group in ``describe_nodegroup`` but never creates it; EKS does, from
    a launch template of its own (``eks-<uuid>``), with the node group's sizes and
    subnets and its own tags, the cluster-autoscaler discovery tags among them. EKS
    does *not* copy the node group's tags, labels or taints to the group: that is what
    scale-from-zero needs tags on the group itself for. moto launches the group's
    desired instances, as EKS would (none for a pool at `min: 0`).
    """
    template = ctx.client("ec2").create_launch_template(
        LaunchTemplateName=asg_name,
        LaunchTemplateData={"InstanceType": (request.get("instanceTypes") or ["t3.medium"])[0]},
    )["LaunchTemplate"]
    scaling = request["scalingConfig"]
    owner = [
        ("eks:cluster-name", cluster_name),
        ("eks:nodegroup-name", ng_name),
        (f"kubernetes.io/cluster/{cluster_name}", "owned"),
        ("k8s.io/cluster-autoscaler/enabled", "true"),
        (f"k8s.io/cluster-autoscaler/{cluster_name}", "owned"),
    ]
    ctx.client("autoscaling").create_auto_scaling_group(
        AutoScalingGroupName=asg_name,
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"], "Version": "$Latest"},
        MinSize=scaling["minSize"],
        MaxSize=scaling["maxSize"],
        DesiredCapacity=scaling["desiredSize"],
        VPCZoneIdentifier=",".join(request["subnets"]),
        Tags=[
            {"Key": k, "Value": v, "PropagateAtLaunch": True, "ResourceId": asg_name}
            for k, v in owner
        ],
    )


def _check_launch_template(ctx: Context, template: dict) -> dict:
    ec2 = ctx.client("ec2")
    version = str(template.get("version") or "$Default")
    if template.get("id"):
        found = ec2.describe_launch_templates(LaunchTemplateIds=[template["id"]])
    elif template.get("name"):
        found = ec2.describe_launch_templates(LaunchTemplateNames=[template["name"]])
    else:
        raise AwsError("InvalidParameterException", "launchTemplate needs an id or a name")
    lt = found["LaunchTemplates"][0]
    latest = num(lt.get("LatestVersionNumber", 1))
    if version not in ("$Latest", "$Default") and (
        not (version.isascii() and version.isdigit()) or not 1 <= int(version) <= latest
    ):
        raise AwsError(
            "InvalidParameterException",
            f"Launch template {lt['LaunchTemplateId']} has no version {version} "
            f"(latest is {latest})",
        )
    return {"id": lt["LaunchTemplateId"], "version": version}


def addon(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    cluster_name = require(inputs, "clusterName")
    found_cluster = _describe_cluster(ctx, cluster_name)
    role_arn = inputs.get("serviceAccountRoleArn")
    if role_arn:
        check_role(ctx, role_arn, "serviceAccountRoleArn")
    for assoc in inputs.get("podIdentityAssociations") or []:
        check_role(ctx, require(assoc, "roleArn"))
    config = inputs.get("configurationValues")
    if config and config.lstrip().startswith("{"):
        try:
            json.loads(config)
        except ValueError as exc:
            raise AwsError(
                "InvalidParameterException", f"configurationValues is not valid JSON: {exc}"
            ) from None
    found = ctx.state.create_addon(
        cluster_name,
        require(inputs, "addonName"),
        inputs.get("addonVersion"),
        role_arn,
        config,
        kubernetes_version=found_cluster["version"],
    )
    return f"{cluster_name}:{found.name}", {
        "arn": found.arn,
        "addonVersion": found.version,
        "createdAt": found.created_at,
        "modifiedAt": found.created_at,
        "tagsAll": ctx.tags(inputs),
    }


def _check_principal(ctx: Context, principal_arn: str) -> None:
    iam = ctx.client("iam")
    if ":role/" in principal_arn:
        check_role(ctx, principal_arn, "principalArn")
    elif ":user/" in principal_arn:
        iam.get_user(UserName=principal_arn.rsplit("/", 1)[-1])
    else:
        raise AwsError(
            "InvalidParameterException",
            f"The specified principalArn is invalid: invalid principal {principal_arn}",
        )


def access_entry(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    cluster_name = require(inputs, "clusterName")
    _describe_cluster(ctx, cluster_name)
    principal = require(inputs, "principalArn")
    _check_principal(ctx, principal)
    entry = ctx.state.create_access_entry(
        cluster_name,
        principal,
        inputs.get("type"),
        inputs.get("userName"),
        inputs.get("kubernetesGroups"),
    )
    return f"{cluster_name}:{principal}", {
        "accessEntryArn": entry.arn,
        "createdAt": entry.created_at,
        "modifiedAt": entry.created_at,
        "type": entry.type,
        "userName": entry.username,
        "kubernetesGroups": entry.kubernetes_groups,
        "tagsAll": ctx.tags(inputs),
    }


def access_policy_association(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    cluster_name = require(inputs, "clusterName")
    _describe_cluster(ctx, cluster_name)
    principal = require(inputs, "principalArn")
    policy_arn = require(inputs, "policyArn")
    scope = require(inputs, "accessScope")
    assoc = ctx.state.associate_access_policy(
        cluster_name, principal, policy_arn, scope.get("type"), scope.get("namespaces")
    )
    return f"{cluster_name}#{principal}#{policy_arn}", {
        "associatedAt": assoc.associated_at,
        "modifiedAt": assoc.associated_at,
    }


def pod_identity_association(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    cluster_name = require(inputs, "clusterName")
    _describe_cluster(ctx, cluster_name)
    role_arn = require(inputs, "roleArn")
    check_role(ctx, role_arn)
    if inputs.get("targetRoleArn"):
        check_role(ctx, inputs["targetRoleArn"], "targetRoleArn")
    assoc = ctx.state.create_pod_identity_association(
        cluster_name, require(inputs, "namespace"), require(inputs, "serviceAccount"), role_arn
    )
    return assoc.association_id, {
        "associationArn": assoc.arn,
        "associationId": assoc.association_id,
        "tagsAll": ctx.tags(inputs),
    }


def get_cluster(ctx: Context, args: dict) -> dict:
    """`aws:eks/getCluster`: what the runtime layer reads of a cluster another stack made.

    ResourceNotFoundException when no cluster has the name, as EKS answers.
    """
    name = require(args, "name")
    found = ctx.client("eks").describe_cluster(name=name)["cluster"]
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


INVOKES = {"aws:eks/getCluster:getCluster": get_cluster}

HANDLERS = {
    "aws:eks/cluster:Cluster": cluster,
    "aws:eks/nodeGroup:NodeGroup": node_group,
    "aws:eks/addon:Addon": addon,
    "aws:eks/accessEntry:AccessEntry": access_entry,
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": access_policy_association,
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": pod_identity_association,
}
STATE_BACKED = {
    "aws:eks/cluster:Cluster",
    "aws:eks/addon:Addon",
    "aws:eks/accessEntry:AccessEntry",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation",
}
