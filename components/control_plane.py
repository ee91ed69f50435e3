"""The EKS control plane: its role, its log group and the cluster.

- Cluster role: trusted by `eks.amazonaws.com` only for this account and this
  cluster's ARN (`aws:SourceAccount`, `aws:SourceArn`: the confused-deputy guard
  EKS documents for cluster roles); the AmazonEKSClusterPolicy managed policy,
  plus one inline policy that lets it use the secrets key (EKS encrypts secrets
  as the cluster role; the managed policy grants no KMS access).
- Secrets envelope encryption with the secrets key; API endpoint private
  (public only with explicit CIDRs); every spec log type enabled into a
  pre-created, KMS-encrypted `/aws/eks/<cluster>/cluster` log group; access as
  `access.access_config` says; the core add-ons are not bootstrapped by EKS
  (`addons.py` manages them).

No IAM OIDC provider: pods get AWS credentials through EKS Pod Identity, which
needs none (an unused provider would only let IRSA trust policies appear later
without review). The cluster's issuer URL is still exported.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_aws import cloudwatch, eks, iam

from gpuforge.components import _aws
from gpuforge.components.access import access_config
from gpuforge.components.cluster_args import ClusterArgs
from gpuforge.model import aws_naming as rn


@dataclass
class ControlPlane:
    """What `control_plane` declared."""

    role: iam.Role
    cluster: eks.Cluster
    issuer: pulumi.Output[str]
    """OIDC issuer URL of the cluster."""


def control_plane(
    parent: pulumi.Resource, name: str, args: ClusterArgs, part: pulumi.Input[str]
) -> ControlPlane:
    """The cluster role, the control-plane log group and the EKS cluster."""
    role, role_policies = cluster_role(parent, name, args, part, _aws.account_id(parent))
    log_group = cloudwatch.LogGroup(
        f"{name}-control-plane",
        name=f"/aws/eks/{args.cluster_name}/cluster",
        retention_in_days=args.cluster.log_retention_days,
        kms_key_id=args.logs_key_arn,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    cluster = eks.Cluster(
        f"{name}-eks",
        name=args.cluster_name,
        version=args.cluster.version,
        role_arn=role.arn,
        vpc_config={
            "subnet_ids": args.private_subnet_ids,
            "endpoint_private_access": True,
            "endpoint_public_access": args.cluster.public_endpoint,
            "public_access_cidrs": list(args.cluster.public_access_cidrs)
            if args.cluster.public_endpoint
            else None,
        },
        encryption_config={
            "provider": {"key_arn": args.secrets_key_arn},
            "resources": ["secrets"],
        },
        enabled_cluster_log_types=list(args.cluster.log_types),
        access_config=access_config(args.bootstrap_creator_admin),
        # The core add-ons are managed as EKS add-ons (addons.py).
        bootstrap_self_managed_addons=False,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[*role_policies, log_group]),
    )
    return ControlPlane(role=role, cluster=cluster, issuer=cluster.identities.apply(_issuer))


def cluster_role(
    parent: pulumi.Resource,
    name: str,
    args: ClusterArgs,
    part: pulumi.Input[str],
    account: pulumi.Input[str],
) -> tuple[iam.Role, list[pulumi.Resource]]:
    """The role EKS assumes, and the policies the cluster must wait for."""
    child = pulumi.ResourceOptions(parent=parent)
    role = iam.Role(
        rn.child(name, rn.CLUSTER_ROLE),
        description=f"EKS control plane of {args.cluster_name}",
        assume_role_policy=pulumi.Output.all(part, account).apply(
            lambda pa: _aws.assume_role_policy(
                "eks.amazonaws.com",
                ("sts:AssumeRole", "sts:TagSession"),
                _aws.source_condition(
                    pa[1], f"arn:{pa[0]}:eks:{args.region}:{pa[1]}:cluster/{args.cluster_name}"
                ),
            )
        ),
        opts=child,
    )
    managed = iam.RolePolicyAttachment(
        f"{name}-cluster-AmazonEKSClusterPolicy",
        role=role.name,
        policy_arn=_aws.managed_policy_arn(part, "AmazonEKSClusterPolicy"),
        opts=child,
    )
    secrets_key = iam.RolePolicy(
        f"{name}-cluster-secrets-key",
        role=role.id,
        policy=_aws.policy_output(
            lambda key: [
                {
                    "Effect": "Allow",
                    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                    "Resource": key,
                }
            ],
            args.secrets_key_arn,
        ),
        opts=child,
    )
    return role, [managed, secrets_key]


def _issuer(identities: list | None) -> str | None:
    """`identities[0].oidcs[0].issuer` of an EKS cluster, or None before it exists."""
    for identity in identities or []:
        for oidc in getattr(identity, "oidcs", None) or []:
            if getattr(oidc, "issuer", None):
                return oidc.issuer
    return None
