"""`ClusterArgs`: the inputs of `Cluster`, which each of its parts reads.

In a module of its own so that `cluster.py` imports the parts and the parts import
only their inputs (no cycle). The settings come as the spec's `cluster` section;
its defaults live in `gpuforge.model.spec` and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from gpuforge.model.spec import ClusterSpec


@dataclass
class ClusterArgs:
    """Inputs of `Cluster`."""

    cluster_name: str
    """EKS cluster name (`spec.cluster_name`); also names the control-plane log group."""

    region: str
    """AWS region of the cluster: its ARN in the cluster role's trust policy, and the S3
    endpoint (`s3.<region>.amazonaws.com`) through which the training role may use the key."""

    cluster: ClusterSpec
    """The spec's `cluster` section: version, endpoint access, control-plane logs, admins
    and the system node group."""

    bootstrap_creator_admin: bool
    """Let the identity that creates the cluster keep cluster admin
    (`gpuforge.model.grants.creator_admin`)."""

    system_arch: str
    """CPU architecture of the system pool's instance type (`x86_64` or `arm64`), picks the
    AMI type."""

    training_namespace: str
    """Namespace of the `training` service account bound to the training role."""

    private_subnet_ids: list[pulumi.Input[str]]
    """Private subnets for the control-plane ENIs and the system node group."""

    secrets_key_arn: pulumi.Input[str]
    """KMS key for secrets envelope encryption (`Encryption.secrets_key_arn`)."""

    logs_key_arn: pulumi.Input[str]
    """KMS key for the control-plane log group (`Encryption.logs_key_arn`)."""

    storage_key_arn: pulumi.Input[str]
    """KMS key of the buckets; the training role may Decrypt/GenerateDataKey with it."""

    volume_key_arn: pulumi.Input[str]
    """KMS key of the system nodes' root volumes (`Encryption.ebs_key_arn`)."""

    read_bucket_arns: list[pulumi.Input[str]]
    """Buckets training pods may only read (List, Get): `training_access: read-only`."""

    write_bucket_arns: list[pulumi.Input[str]]
    """Buckets training pods may also write (Put, Delete, AbortMultipartUpload)."""

    node_tags: dict[str, str]
    """Tags set explicitly on node groups, launch templates and what they launch."""

    training_role: bool = True
    """Declare the `training` role of the training namespace. False with `teams:`, whose
    roles `components.team_access` declares, one per team namespace."""
