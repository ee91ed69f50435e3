"""cluster-autoscaler's AWS identity: its own role, bound to its service account (Pod Identity).

The chart itself is part of the in-cluster runtime (`runtime.py`); this is the part
reached through the AWS API, so it belongs to the `aws` layer (docs/runtime.md).

The role may only do what cluster-autoscaler's AWS provider does: describe groups,
instances, launch templates and instance types (read-only, on `*`, which these APIs
require), describe this cluster's node groups, and change the desired size of, or
terminate instances in, groups tagged `k8s.io/cluster-autoscaler/<cluster>` (the
write actions name the group ARNs of this account and region and require that tag,
never `*`). `autoscaler_statements` is the whole policy, in one function.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_aws import eks, iam

from gpuforge.components import _aws
from gpuforge.model import aws_naming as rn
from gpuforge.model.names import (
    CLUSTER_AUTOSCALER_NAMESPACE,
    CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
    autoscaler_owner_tag,
)

READ_ACTIONS = (
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "autoscaling:DescribeTags",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
)
WRITE_ACTIONS = (
    "autoscaling:SetDesiredCapacity",
    "autoscaling:TerminateInstanceInAutoScalingGroup",
)


@dataclass
class ClusterAutoscalerIdentityArgs:
    """Inputs of `ClusterAutoscalerIdentity`."""

    cluster_name: pulumi.Input[str]
    """EKS cluster (the Pod Identity association's cluster)."""

    cluster_tag_name: str
    """Cluster name as it appears in the `k8s.io/cluster-autoscaler/<cluster>` tag."""

    region: str
    """Region of the cluster's Auto Scaling groups."""


class ClusterAutoscalerIdentity(pulumi.ComponentResource):
    """The role cluster-autoscaler's pods assume, and its Pod Identity association."""

    role_arn: pulumi.Output[str]
    """ARN of the cluster-autoscaler role."""

    def __init__(
        self,
        name: str,
        args: ClusterAutoscalerIdentityArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gpuforge:autoscaler:ClusterAutoscalerIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = iam.Role(
            rn.child(name, rn.AUTOSCALER_ROLE),
            description=f"cluster-autoscaler of {args.cluster_tag_name} (EKS Pod Identity)",
            assume_role_policy=_aws.pod_identity_trust(
                self,
                args.cluster_name,
                CLUSTER_AUTOSCALER_NAMESPACE,
                CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
            ),
            opts=child,
        )
        iam.RolePolicy(
            f"{name}-cluster-autoscaler-scaling",
            role=role.id,
            policy=_aws.policy_output(
                lambda part, account: autoscaler_statements(
                    part, args.region, account, args.cluster_tag_name
                ),
                _aws.partition(self),
                _aws.account_id(self),
            ),
            opts=child,
        )
        eks.PodIdentityAssociation(
            f"{name}-cluster-autoscaler",
            cluster_name=args.cluster_name,
            namespace=CLUSTER_AUTOSCALER_NAMESPACE,
            service_account=CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
            role_arn=role.arn,
            opts=child,
        )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn})


def autoscaler_statements(part: str, region: str, account: str, cluster: str) -> list[dict]:
    """Describe what it must see; scale only this cluster's tagged groups."""
    owned = {"StringEquals": {f"aws:ResourceTag/{autoscaler_owner_tag(cluster)}": "owned"}}
    return [
        {"Sid": "Describe", "Effect": "Allow", "Action": list(READ_ACTIONS), "Resource": "*"},
        {
            "Sid": "DescribeNodeGroups",
            "Effect": "Allow",
            "Action": "eks:DescribeNodegroup",
            "Resource": f"arn:{part}:eks:{region}:{account}:nodegroup/{cluster}/*",
        },
        {
            "Sid": "ScaleThisClustersGroups",
            "Effect": "Allow",
            "Action": list(WRITE_ACTIONS),
            "Resource": f"arn:{part}:autoscaling:{region}:{account}:autoScalingGroup:*"
            ":autoScalingGroupName/*",
            "Condition": owned,
        },
    ]
