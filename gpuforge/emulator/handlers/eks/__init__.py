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

The package splits as moto splits models from responses: `checks` (what AWS validates),
`requests` (the inputs as moto's calls), `effects` (what EKS creates beside a resource),
`outputs` (the answer Pulumi reads), and `resources`, one handler per type using them.

Not modelled at all: add-on configuration schemas, Kubernetes version skew between
cluster and node groups, node group updates, capacity or quotas; the certificate
authority data is moto's placeholder (real shape, not real PKI); the endpoint and OIDC
issuer are AWS-shaped, drawn per cluster from the account's seeded generator.
"""

from __future__ import annotations

from .resources import (
    access_entry,
    access_policy_association,
    addon,
    cluster,
    get_cluster,
    node_group,
    pod_identity_association,
)

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
