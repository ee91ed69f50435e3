"""`storage.filesystems`: what FSx for Lustre and Mountpoint for S3 would refuse, refused first.

Each limit cites where FSx states it:
- capacity: "1200 GiB, 2400 GiB, or increments of 2400 GiB" for SSD SCRATCH_2,
  PERSISTENT_1 and PERSISTENT_2 (API reference, CreateFileSystem `StorageCapacity`:
  docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystem.html);
- throughput per TiB: `PerUnitStorageThroughput` (API reference,
  CreateFileSystemLustreConfiguration);
- EFA: "only supported when deploymentType is set to PERSISTENT_2, metadataConfiguration
  is used" (CreateFileSystemLustreConfiguration `EfaEnabled`);
- Metadata IOPS: 1500, 3000, 6000, 12000 and multiples of 12000 up to 192000
  (CreateFileSystemLustreMetadataConfiguration), PERSISTENT_2 only;
- a file system lives in one subnet: its AZ must be one the VPC has subnets in;
- up to 8 data repository associations per file system (FSx for Lustre User Guide,
  "Linking your file system to an S3 bucket":
  docs.aws.amazon.com/fsx/latest/LustreGuide/create-dra-linked-data-repo.html);
- a link or mount names an environment bucket; export writes the bucket, so it must be
  `read-write` for training.
"""

from __future__ import annotations

from gpuforge.model import filesystems as fsf
from gpuforge.model.checks._common import check_unique
from gpuforge.model.errors import SpecError
from gpuforge.model.filesystem_spec import S3_MOUNT
from gpuforge.model.k8s_syntax import dns1123_label_problem
from gpuforge.model.names import NO_ACCESS, READ_WRITE
from gpuforge.model.spec import EnvironmentSpec

MAX_LINKS = 8
METADATA_IOPS = (1500, 3000, 6000, *range(12000, 192001, 12000))


def capacity_ok(gib: int) -> bool:
    return gib in (1200, 2400) or (gib > 0 and gib % 2400 == 0)


def check_filesystems(spec: EnvironmentSpec) -> None:
    buckets = {b.name: b for b in spec.storage.buckets}
    for i, fs in enumerate(spec.storage.filesystems):
        at = f"storage.filesystems[{i}]"
        problem = dns1123_label_problem(fs.name)
        if problem:
            raise SpecError(
                f"{at}.name", f"{fs.name!r} {problem}", "lower-case letters, digits, '-'"
            )
        if fs.name in buckets:
            raise SpecError(
                f"{at}.name",
                f"{fs.name!r} is also a bucket's name; jobs mount either by name",
                "name the file system after what it serves, e.g. datasets-fsx",
            )
        if fs.kind == S3_MOUNT:
            _check_s3_mount(at, fs, buckets)
        else:
            _check_lustre(spec, at, fs, buckets)
    check_unique("storage.filesystems", [f.name for f in spec.storage.filesystems], "file system")


def _bucket(path: str, name: str | None, buckets: dict) -> None:
    if name not in buckets:
        raise SpecError(
            path,
            f"no bucket {name!r} in storage.buckets",
            f"one of: {', '.join(buckets) or 'none (add one)'}",
        )
    if buckets[name].training_access == NO_ACCESS:
        raise SpecError(
            path,
            f"bucket {name!r} has training_access: none",
            "give the bucket read-only or read-write training access, or mount another",
        )


def _check_s3_mount(at: str, fs, buckets: dict) -> None:
    if fs.bucket is None:
        raise SpecError(f"{at}.bucket", "is required for kind: s3-mount", "name the bucket mounted")
    _bucket(f"{at}.bucket", fs.bucket, buckets)
    if fs.links:
        raise SpecError(f"{at}.links", "only a lustre file system has links", "use bucket:")


def _check_lustre(spec: EnvironmentSpec, at: str, fs, buckets: dict) -> None:
    if fs.bucket is not None:
        raise SpecError(f"{at}.bucket", "only an s3-mount has bucket", "link buckets under links:")
    dtype = fs.deployment_type
    if not capacity_ok(fs.storage_gib):
        low = max(2400, fs.storage_gib // 2400 * 2400)
        raise SpecError(
            f"{at}.storage_gib",
            f"FSx does not create {dtype} SSD file systems of {fs.storage_gib} GiB",
            f"1200, 2400 or a multiple of 2400, e.g. {low} or {low + 2400}",
        )
    if fs.throughput_per_tib is not None:
        allowed = fsf.THROUGHPUTS.get(dtype)
        if allowed is None:
            raise SpecError(
                f"{at}.throughput_per_tib",
                f"{dtype} has a fixed throughput (200 MB/s per TiB)",
                "leave throughput_per_tib out",
            )
        if fs.throughput_per_tib not in allowed:
            raise SpecError(
                f"{at}.throughput_per_tib",
                f"FSx offers no {fs.throughput_per_tib} MB/s per TiB on {dtype}",
                f"one of {', '.join(map(str, allowed))}",
            )
    metadata = fs.metadata_iops
    if metadata is not None and dtype != "PERSISTENT_2" and "metadata_iops" in fs.model_fields_set:
        raise SpecError(
            f"{at}.metadata_iops",
            f"a metadata configuration exists only on PERSISTENT_2, not {dtype}",
            "leave metadata_iops out",
        )
    if isinstance(metadata, int) and metadata not in METADATA_IOPS:
        raise SpecError(
            f"{at}.metadata_iops",
            f"FSx does not provision {metadata} Metadata IOPS",
            "1500, 3000, 6000, 12000 or a multiple of 12000 up to 192000, or automatic",
        )
    if fs.efa and (dtype != "PERSISTENT_2" or metadata is None):
        raise SpecError(
            f"{at}.efa",
            "FSx supports EFA only on PERSISTENT_2 with a metadata configuration",
            "set deployment_type: PERSISTENT_2 and metadata_iops: automatic, or efa: false",
        )
    if fs.az is not None and fs.az not in spec.zones:
        raise SpecError(
            f"{at}.az",
            f"{fs.az} has no subnet of this VPC",
            f"one of {', '.join(spec.zones)} (network.azs)",
        )
    if fs.az is None:
        efa_zones = sorted({p.az for p in spec.gpu_pools if p.efa and p.az})
        if len(efa_zones) > 1:
            raise SpecError(
                f"{at}.az",
                f"the EFA pools are in several AZs ({', '.join(efa_zones)})",
                "set az: to the AZ whose pools read it",
            )
    if len(fs.links) > MAX_LINKS:
        raise SpecError(f"{at}.links", f"{len(fs.links)} links", f"FSx allows {MAX_LINKS}")
    paths: set[str] = set()
    for j, link in enumerate(fs.links):
        lat = f"{at}.links[{j}]"
        _bucket(f"{lat}.bucket", link.bucket, buckets)
        if not link.path.startswith("/") or "//" in link.path:
            raise SpecError(
                f"{lat}.path", f"{link.path!r} is not an absolute path", "e.g. /datasets"
            )
        if link.path in paths:
            raise SpecError(f"{lat}.path", f"{link.path} is linked twice", "one bucket per path")
        paths.add(link.path)
        if link.export_events and buckets[link.bucket].training_access != READ_WRITE:
            raise SpecError(
                f"{lat}.export_events",
                f"exports would write bucket {link.bucket!r}, which is "
                f"{buckets[link.bucket].training_access} for training",
                "make the bucket read-write, or leave export_events empty",
            )
