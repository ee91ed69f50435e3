"""Who may use the Kubernetes API: access entries only, and the admins the spec names.

The cluster authenticates through EKS access entries (`authenticationMode: API`,
no aws-auth ConfigMap). Each principal in `cluster.admins` gets an access entry
and AmazonEKSClusterAdminPolicy on the whole cluster. `access_config` is what
the control plane declares; both live here so that access is changed in one place.

The identity that creates the cluster (the deployer, often a CI role) gets no
admin of its own unless the spec writes `cluster.bootstrap_creator_admin: true`
(`gpuforge.model.grants.creator_admin`): EKS would otherwise keep that grant for
the cluster's lifetime, invisible among the access entries.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi_aws import eks

ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"


def access_config(creator_admin: bool) -> dict[str, Any]:
    """The EKS cluster's `access_config`: access entries only; the creator's admin as given."""
    return {
        "authentication_mode": "API",
        "bootstrap_cluster_creator_admin_permissions": creator_admin,
    }


def grant_admins(
    parent: pulumi.Resource,
    name: str,
    cluster_name: pulumi.Input[str],
    admins: list[str],
    part: pulumi.Input[str],
) -> list[eks.AccessPolicyAssociation]:
    """An access entry plus cluster-wide `ADMIN_POLICY` for each admin principal ARN."""
    child = pulumi.ResourceOptions(parent=parent)
    grants = []
    for i, principal in enumerate(admins):
        entry = eks.AccessEntry(
            f"{name}-admin-{i}",
            cluster_name=cluster_name,
            principal_arn=principal,
            type="STANDARD",
            opts=child,
        )
        grants.append(
            eks.AccessPolicyAssociation(
                f"{name}-admin-{i}",
                cluster_name=cluster_name,
                principal_arn=entry.principal_arn,
                policy_arn=pulumi.Output.concat(
                    "arn:", part, ":eks::aws:cluster-access-policy/", ADMIN_POLICY
                ),
                access_scope={"type": "cluster"},
                opts=child,
            )
        )
    return grants
