"""EKS control plane: secrets encryption, endpoint access, logging, supported version, and
no cluster admin for whoever created the cluster.

Endpoint CIDRs are judged by the addresses they cover (`gpuforge.model.cidrs`), never by
how they are written: `0.0.0.0/1` + `128.0.0.0/1` is the whole internet too.
"""

from __future__ import annotations

from typing import Any

from gpuforge.model import cidrs as cidr_math
from gpuforge.model.catalog import EKS_CALENDAR, k8s_minor, newest_eks_version
from gpuforge.model.names import CONTROL_PLANE_LOG_TYPES

from .context import RuleContext
from .declarative import key_rule
from .rule import rule
from .stack import Resource
from .values import MISSING, UNKNOWN, as_list

CLUSTER = "aws:eks/cluster:Cluster"

LOG_TYPES = CONTROL_PLANE_LOG_TYPES


@rule(
    "GF-EKS-001",
    "Ensure EKS clusters encrypt Kubernetes secrets with a KMS key",
    severity="high",
    types=[CLUSTER],
    checkov=["CKV_AWS_58"],
    trivy=["AVD-AWS-0039"],
)
def secrets_encryption(cluster: Resource, ctx: RuleContext):
    resources = as_list(cluster.get("encryptionConfig.resources"))
    key = cluster.get("encryptionConfig.provider.keyArn")
    if resources is UNKNOWN or (key is UNKNOWN and "secrets" in resources):
        yield UNKNOWN
    elif "secrets" not in resources or key is MISSING or key == "":
        yield (
            "encryptionConfig is not {resources: ['secrets'], provider: {keyArn: <CMK>}}: "
            "set it (it cannot be removed later, only added)"
        )


def open_to(cidrs: list, ctx: RuleContext) -> list[str]:
    """What is wrong with letting `cidrs` in: the whole internet, or over the public budget."""
    try:
        return cidr_math.problems(cidrs, ctx.public_cidr_budget)
    except (ValueError, TypeError, AttributeError):
        bad = ", ".join(repr(c) for c in cidrs if not _parses(c))
        return [f"{bad} is not a CIDR"]


def _parses(cidr) -> bool:
    try:
        cidr_math.parse(cidr)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


@rule(
    "GF-EKS-002",
    "Ensure the EKS public endpoint is off or open only to explicit CIDRs within the "
    "public-address budget, never the whole internet in any split",
    severity="critical",
    types=[CLUSTER],
    checkov=["CKV_AWS_38", "CKV_AWS_39"],
    trivy=["AVD-AWS-0040", "AVD-AWS-0041"],
)
def endpoint_public_access(cluster: Resource, ctx: RuleContext):
    public = cluster.get("vpcConfig.endpointPublicAccess")
    if public is MISSING:
        public = True  # EKS's default
    if public is UNKNOWN:
        yield UNKNOWN
        return
    if public is False:
        return
    cidrs = as_list(cluster.get("vpcConfig.publicAccessCidrs"))
    if cidrs is UNKNOWN or UNKNOWN in cidrs:
        yield UNKNOWN
    elif not cidrs:
        yield (
            "the public endpoint is on and vpcConfig.publicAccessCidrs is not set (EKS then "
            "allows 0.0.0.0/0): set endpointPublicAccess=False or list your CIDRs"
        )
    else:
        for problem in open_to(cidrs, ctx):
            yield (
                f"vpcConfig.publicAccessCidrs: {problem}: list only the CIDRs that need the "
                "API server, or keep the endpoint private (reach it over a VPN or SSM)"
            )
        yield from _ipv6_on_ipv4(cluster, cidrs)


def _ipv6_on_ipv4(cluster: Resource, cidrs: list) -> Any:
    """IPv6 blocks on an IPv4 cluster: EKS takes them only for dual-stack IPv6 clusters
    (VpcConfigRequest, docs.aws.amazon.com/eks/latest/APIReference/API_VpcConfigRequest.html),
    and an IPv4-mapped block such as `::ffff:0.0.0.0/96` would otherwise hide 0.0.0.0/0."""
    v6 = [c for c in cidrs if isinstance(c, str) and ":" in c]
    if not v6:
        return
    family = cluster.get("kubernetesNetworkConfig.ipFamily")
    if family is UNKNOWN:
        yield UNKNOWN
    elif str(family).lower() != "ipv6":  # MISSING: EKS's default, ipv4
        yield (
            f"vpcConfig.publicAccessCidrs: {', '.join(v6)} is IPv6 on an IPv4 cluster, "
            "which EKS refuses: list IPv4 ranges"
        )


key_rule(
    "GF-EKS-003",
    "Ensure EKS clusters have the private endpoint enabled",
    severity="medium",
    types=[CLUSTER],
    path="vpcConfig.endpointPrivateAccess",
    equals=True,
    fix="set it True so nodes reach the API server inside the VPC",
)


def _logs_every_type(types: Any) -> bool:
    return all(t in as_list(types) for t in LOG_TYPES)


key_rule(
    "GF-EKS-004",
    "Ensure EKS clusters enable all five control plane log types",
    severity="medium",
    types=[CLUSTER],
    path="enabledClusterLogTypes",
    test=_logs_every_type,
    fix=f"enable all of {list(LOG_TYPES)}",
    checkov=["CKV_AWS_37"],
    trivy=["AVD-AWS-0038"],
)


@rule(
    "GF-EKS-005",
    "Ensure EKS clusters run a Kubernetes version in standard support",
    severity="medium",
    enforcement="advisory",
    types=[CLUSTER],
)
def supported_version(cluster: Resource, ctx: RuleContext):
    version = cluster.get("version")
    if version is MISSING:  # EKS picks its current default version
        return
    if version is UNKNOWN:
        yield UNKNOWN
        return
    minor = k8s_minor(str(version))
    newest = newest_eks_version()
    if minor is None:
        yield f"version {version!r} is not a Kubernetes minor version like '1.34'"
        return
    if minor > (k8s_minor(newest) or (0, 0)):
        return
    key = f"{minor[0]}.{minor[1]}"
    today = ctx.on_date()
    if key not in EKS_CALENDAR:
        yield f"version {version} is past EKS support: upgrade to {newest}"
        return
    end_standard, end_extended = EKS_CALENDAR[key]
    if today > end_extended:
        yield f"version {version} left EKS support on {end_extended}: upgrade to {newest}"
    elif today > end_standard:
        yield (
            f"version {version} left standard support on {end_standard} (extended support "
            f"costs extra per cluster hour): upgrade to {newest}"
        )


key_rule(
    "GF-EKS-006",
    "Ensure the identity that creates an EKS cluster does not keep cluster admin "
    "(bootstrapClusterCreatorAdminPermissions false)",
    severity="high",
    types=[CLUSTER],
    path="accessConfig.bootstrapClusterCreatorAdminPermissions",
    equals=False,
    unset="not set (EKS's default is true)",
    fix="the deployer keeps cluster admin for the cluster's lifetime, outside the access "
    "entries; set it False and grant admin through access entries (cluster.admins in the spec)",
)
