"""What training pods may do in AWS: a role bound to their service account by EKS Pod Identity.

A role trusted by `pods.eks.amazonaws.com`, allowed only object access to the
named buckets and Decrypt/GenerateDataKey on the storage key
(`training_statements`, the whole policy in one function), bound to the
service account `training` in the training namespace by a PodIdentityAssociation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
from pulumi_aws import eks, iam

from gpuforge.components import _aws
from gpuforge.model.names import TRAINING_SERVICE_ACCOUNT

if TYPE_CHECKING:
    from gpuforge.components.cluster import ClusterArgs


def training_identity(
    parent: pulumi.Resource,
    name: str,
    args: ClusterArgs,
    cluster_name: pulumi.Input[str],
    after: list[pulumi.Resource],
) -> iam.Role:
    """The role `<name>-training`, its policy and its Pod Identity association.

    The association refers to `cluster_name` (the cluster resource's output) and
    waits for `after` (the pod identity agent add-on).
    """
    child = pulumi.ResourceOptions(parent=parent)
    role = iam.Role(
        f"{name}-training",
        description=f"Training pods of {args.cluster_name} (EKS Pod Identity)",
        assume_role_policy=_aws.assume_role_policy(
            "pods.eks.amazonaws.com", ("sts:AssumeRole", "sts:TagSession")
        ),
        opts=child,
    )
    iam.RolePolicy(
        f"{name}-training-data",
        role=role.id,
        policy=_aws.policy_output(training_statements, args.storage_key_arn, *args.bucket_arns),
        opts=child,
    )
    eks.PodIdentityAssociation(
        f"{name}-training",
        cluster_name=cluster_name,
        namespace=args.training_namespace,
        service_account=TRAINING_SERVICE_ACCOUNT,
        role_arn=role.arn,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=after),
    )
    return role


def training_statements(key_arn: str, *bucket_arns: str) -> list[dict]:
    """Object access to the named buckets and use of their key; nothing else."""
    statements: list[dict] = []
    if bucket_arns:
        statements += [
            {
                "Sid": "ListBuckets",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": list(bucket_arns),
            },
            {
                "Sid": "ReadWriteObjects",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:AbortMultipartUpload",
                ],
                "Resource": [f"{arn}/*" for arn in bucket_arns],
            },
        ]
    statements.append(
        {
            "Sid": "UseStorageKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": key_arn,
        }
    )
    return statements
