"""What EKS creates beside a cluster or node group and moto does not: the cluster's own
endpoint and OIDC issuer, its cluster security group, a node group's Auto Scaling group."""

from __future__ import annotations

import zlib

from gpuforge.model.names import autoscaler_discovery_tags

from .._base import Context


def own_endpoint_and_issuer(ctx: Context, cluster: str) -> dict:
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


def cluster_security_group(ctx: Context, cluster: str, cluster_arn: str, vpc_id: str) -> str:
    """Create the cluster security group EKS creates in the cluster's VPC; its id."""
    return ctx.client("ec2").create_security_group(
        GroupName=f"eks-cluster-sg-{cluster}-{zlib.crc32(cluster_arn.encode()):08x}",
        Description="EKS created security group applied to ENI that is attached to EKS Control "
        "Plane master nodes, as well as any managed workloads.",
        VpcId=vpc_id,
        TagSpecifications=[
            {
                "ResourceType": "security-group",
                "Tags": [{"Key": f"kubernetes.io/cluster/{cluster}", "Value": "owned"}],
            }
        ],
    )["GroupId"]


def auto_scaling_group(
    ctx: Context, asg_name: str, cluster_name: str, ng_name: str, request: dict
) -> None:
    """Create the Auto Scaling group EKS creates for a managed node group.

    moto names the group in ``describe_nodegroup`` but never creates it; EKS does, from
    a launch template of its own (``eks-<uuid>``), with the node group's sizes and
    subnets and its own tags, the cluster-autoscaler discovery tags among them. EKS
    does *not* copy the node group's tags, labels or taints to the group: that is what
    scale-from-zero needs tags on the group itself for. moto launches the group's
    desired instances, as EKS would (none for a pool at `min: 0`). `request` is the
    node group's `create_nodegroup` arguments.
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
        *autoscaler_discovery_tags(cluster_name).items(),
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
