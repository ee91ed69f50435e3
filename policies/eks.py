"""EKS control plane: secrets encryption, endpoint access, logging, supported version."""

from __future__ import annotations

from gpuforge.model.catalog import EKS_CALENDAR, k8s_minor, newest_eks_version
from gpuforge.model.names import CONTROL_PLANE_LOG_TYPES

from .context import RuleContext
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


@rule(
    "GF-EKS-002",
    "Ensure the EKS public endpoint is off or limited to explicit CIDRs, never 0.0.0.0/0",
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
    elif any(c in ("0.0.0.0/0", "::/0") for c in cidrs):
        yield "vpcConfig.publicAccessCidrs contains 0.0.0.0/0: list the CIDRs that need access"


@rule(
    "GF-EKS-003",
    "Ensure EKS clusters have the private endpoint enabled",
    severity="medium",
    types=[CLUSTER],
)
def endpoint_private_access(cluster: Resource, ctx: RuleContext):
    private = cluster.get("vpcConfig.endpointPrivateAccess")
    if private is UNKNOWN:
        yield UNKNOWN
    elif private is not True:
        yield (
            "vpcConfig.endpointPrivateAccess is not True: set it so nodes reach the API "
            "server inside the VPC"
        )


@rule(
    "GF-EKS-004",
    "Ensure EKS clusters enable all five control plane log types",
    severity="medium",
    types=[CLUSTER],
    checkov=["CKV_AWS_37"],
    trivy=["AVD-AWS-0038"],
)
def control_plane_logging(cluster: Resource, ctx: RuleContext):
    types = as_list(cluster.get("enabledClusterLogTypes"))
    if types is UNKNOWN or UNKNOWN in types:
        yield UNKNOWN
        return
    missing = [t for t in LOG_TYPES if t not in types]
    if missing:
        yield f"enabledClusterLogTypes lacks {missing}: enable all of {list(LOG_TYPES)}"


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
