"""Facts derived from `storage.filesystems`: AZ, throughput, who may write, what it costs.

Pure, shared by the checks, the components, the policy rules, the plan's cost and
the job path (`fit`, the dry run's throughput line).

Throughput: an FSx for Lustre SSD file system's baseline disk throughput is its
storage in TiB times its throughput per TiB (FSx for Lustre User Guide,
"Performance": docs.aws.amazon.com/fsx/latest/LustreGuide/performance.html).
SCRATCH_2 has a fixed 200 MB/s/TiB baseline.
"""

from __future__ import annotations

from gpuforge.model.filesystem_spec import LUSTRE, S3_MOUNT, FilesystemSpec
from gpuforge.model.names import READ_WRITE
from gpuforge.model.spec import EnvironmentSpec

DEFAULT_THROUGHPUT = {"PERSISTENT_2": 250, "PERSISTENT_1": 200, "SCRATCH_2": 200}
THROUGHPUTS = {"PERSISTENT_2": (125, 250, 500, 1000), "PERSISTENT_1": (50, 100, 200)}
"""PerUnitStorageThroughput values FSx accepts per deployment type (FSx API reference,
CreateFileSystemLustreConfiguration:
docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystemLustreConfiguration.html)."""
LUSTRE_PORTS = ((988, 988), (1018, 1023))
"""Lustre's TCP ports, which FSx requires open from clients and from the file system's own
security group (FSx for Lustre User Guide, "File system access control with Amazon VPC":
docs.aws.amazon.com/fsx/latest/LustreGuide/limit-access-security-groups.html)."""


def throughput_per_tib(fs: FilesystemSpec) -> int:
    """MB/s per TiB: the spec's value, else the deployment type's default."""
    return fs.throughput_per_tib or DEFAULT_THROUGHPUT[fs.deployment_type]


def throughput_gbps(fs: FilesystemSpec) -> float | None:
    """Aggregate baseline throughput in GB/s (None for s3-mount: S3 scales with clients)."""
    if fs.kind != LUSTRE:
        return None
    return round(fs.storage_gib / 1024 * throughput_per_tib(fs) / 1000, 3)


def zone(spec: EnvironmentSpec, fs: FilesystemSpec) -> str:
    """The AZ: the spec's, else the one AZ of the EFA pools, else the VPC's first AZ."""
    if fs.az:
        return fs.az
    efa_zones = sorted({p.az for p in spec.gpu_pools if p.efa and p.az})
    return efa_zones[0] if efa_zones else spec.zones[0]


def buckets(fs: FilesystemSpec) -> list[str]:
    """The environment buckets behind a file system (its links, or its one bucket)."""
    if fs.kind == S3_MOUNT:
        return [fs.bucket] if fs.bucket else []
    return [link.bucket for link in fs.links]


def writable(spec: EnvironmentSpec, fs: FilesystemSpec) -> bool:
    """Training pods may write it when every bucket behind it is `read-write`.

    A Lustre file system with no links holds nothing of S3: pods may write it.
    """
    access = {b.name: b.training_access for b in spec.storage.buckets}
    return all(access.get(b) == READ_WRITE for b in buckets(fs))


def filesystem(spec: EnvironmentSpec, name: str) -> FilesystemSpec | None:
    return next((f for f in spec.storage.filesystems if f.name == name), None)


def lustre(spec: EnvironmentSpec) -> list[FilesystemSpec]:
    return [f for f in spec.storage.filesystems if f.kind == LUSTRE]


def s3_mounts(spec: EnvironmentSpec) -> list[FilesystemSpec]:
    return [f for f in spec.storage.filesystems if f.kind == S3_MOUNT]


def metadata_configuration(fs: FilesystemSpec) -> dict | None:
    """FSx's `MetadataConfiguration` (PERSISTENT_2 only), as pulumi-aws inputs, or None."""
    if fs.kind != LUSTRE or fs.deployment_type != "PERSISTENT_2" or fs.metadata_iops is None:
        return None
    if fs.metadata_iops == "automatic":
        return {"mode": "AUTOMATIC"}
    return {"mode": "USER_PROVISIONED", "iops": fs.metadata_iops}
