"""FSx for Lustre: CMK encryption, Lustre ports closed to the internet, exports only to the
environment's buckets, and GPU pools in the file system's AZ.

Lustre's ports (TCP 988 and 1018-1023) are the ones FSx needs open between clients
and the file system (FSx for Lustre User Guide, "File system access control with
Amazon VPC": docs.aws.amazon.com/fsx/latest/LustreGuide/limit-access-security-groups.html);
`gpuforge.model.filesystems.LUSTRE_PORTS` holds them.
"""

from __future__ import annotations

from typing import Any

from gpuforge.model.filesystems import LUSTRE_PORTS

from .context import RuleContext
from .nodes import is_gpu_node_group
from .rule import rule
from .stack import Resource, Stack
from .values import MISSING, UNKNOWN, as_list, get, is_unknown
from .vpc import _SG_TYPES, _public, _reaching

LUSTRE_FS = "aws:fsx/lustreFileSystem:LustreFileSystem"
DRA = "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation"
BUCKET = "aws:s3/bucket:Bucket"
SUBNET = "aws:ec2/subnet:Subnet"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
PORTS = [p for low, high in LUSTRE_PORTS for p in range(low, high + 1)]


@rule(
    "GF-FSX-001",
    "Ensure FSx for Lustre file systems are encrypted with a customer managed KMS key",
    severity="high",
    types=[LUSTRE_FS],
    checkov=["CKV_AWS_178"],
)
def lustre_cmk(fs: Resource, ctx: RuleContext):
    key = fs.get("kmsKeyId")
    if key is UNKNOWN:
        yield UNKNOWN
    elif key is MISSING or not key:
        yield "kmsKeyId is not set: FSx encrypts with its AWS-managed key; set the storage CMK"


@rule(
    "GF-FSX-002",
    "Ensure no security group lets the internet reach the Lustre ports (988, 1018-1023)",
    severity="critical",
    types=_SG_TYPES,
    stack=True,
)
def lustre_ports_closed(res: Resource, stack: Stack, ctx: RuleContext):
    unknown = False
    found: list[str] = []
    for port in PORTS:
        cidrs, port_unknown = _reaching(res, port)
        unknown = unknown or port_unknown
        found += [c for c in cidrs if c not in found and _public([c])]
    if found:
        yield (
            f"ingress to the Lustre ports from {', '.join(found)}: allow only the nodes' "
            "security group and the file system's own"
        )
    elif unknown:
        yield UNKNOWN


def _bucket_of(path: Any) -> Any:
    if is_unknown(path):
        return UNKNOWN
    if not isinstance(path, str) or not path.startswith("s3://"):
        return None
    return path.removeprefix("s3://").split("/", 1)[0]


@rule(
    "GF-FSX-003",
    "Ensure FSx data repository associations export only to buckets the environment names",
    severity="high",
    types=[DRA],
    stack=True,
)
def export_to_own_buckets(dra: Resource, stack: Stack, ctx: RuleContext):
    events = as_list(dra.get("s3.autoExportPolicy.events"))
    if events is UNKNOWN:
        yield UNKNOWN
        return
    if not events:
        return
    bucket = _bucket_of(dra.get("dataRepositoryPath", computed=True))
    if bucket is UNKNOWN:
        yield UNKNOWN
        return
    names = [b.get("bucket", computed=True) for b in stack.of_type(BUCKET)]
    if bucket in names:
        return
    if UNKNOWN in names:
        yield UNKNOWN
        return
    yield (
        f"exports to s3://{bucket}, which is not a bucket of this environment: link only "
        "storage.buckets"
    )


def _zones(subnet_refs: Any, stack: Stack) -> Any:
    refs = as_list(subnet_refs)
    if refs is UNKNOWN:
        return UNKNOWN
    zones = set()
    for ref in refs:
        subnet = stack.find([SUBNET], ref)
        if subnet is UNKNOWN:
            return UNKNOWN
        zone = get(subnet.props, "availabilityZone") if isinstance(subnet, Resource) else UNKNOWN
        if is_unknown(zone) or zone is MISSING:
            return UNKNOWN
        zones.add(zone)
    return zones


@rule(
    "GF-FSX-004",
    "Ensure every GPU node group has nodes in the AZ of the FSx for Lustre file systems",
    severity="low",
    enforcement="advisory",
    types=[NODE_GROUP],
    stack=True,
)
def gpu_pool_in_filesystem_az(ng: Resource, stack: Stack, ctx: RuleContext):
    file_systems = stack.of_type(LUSTRE_FS)
    if not file_systems:
        return
    gpu = is_gpu_node_group(ng, stack)
    if gpu is False:
        return
    pool_zones = _zones(ng.get("subnetIds", computed=True), stack)
    if gpu is UNKNOWN or pool_zones is UNKNOWN:
        yield UNKNOWN
        return
    for fs in file_systems:
        fs_zones = _zones(fs.get("subnetIds", computed=True), stack)
        if fs_zones is UNKNOWN:
            yield UNKNOWN
            continue
        if pool_zones and pool_zones.isdisjoint(fs_zones):
            yield (
                f"every node ({', '.join(sorted(pool_zones))}) reads file system {fs.name} in "
                f"{', '.join(sorted(fs_zones))} across AZs (charged per GB, higher latency): "
                "pin the pool to the file system's AZ (gpu_pools[].az), or set the file "
                "system's az"
            )
