"""The schema of `storage.filesystems`: FSx for Lustre file systems and Mountpoint for S3 mounts.

Fields, types, defaults and their docs only; what FSx refuses (capacity steps,
throughput values, EFA without PERSISTENT_2 and a metadata configuration, an AZ
the VPC has no subnet in, a link to a bucket the spec does not have) is checked in
`gpuforge.model.checks.filesystems`, and the facts derived from an entry (its AZ,
its throughput, its PersistentVolume names) live in `gpuforge.model.filesystems`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

LUSTRE, S3_MOUNT = "lustre", "s3-mount"
DEPLOYMENT_TYPES = ("PERSISTENT_2", "PERSISTENT_1", "SCRATCH_2")
IMPORT_EVENTS = ("NEW", "CHANGED", "DELETED")
"""FSx's `AutoImportPolicy.Events` / `AutoExportPolicy.Events` values (API reference,
S3DataRepositoryConfiguration)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class LinkSpec(_Strict):
    """A data repository association: a directory of the file system linked to a bucket."""

    bucket: str = Field(description="An environment bucket (`storage.buckets[].name`).")
    path: str = Field(
        "/",
        description="Directory of the file system the bucket appears under (`/` or "
        "`/datasets`); each link of one file system has its own.",
    )
    prefix: str = Field("", description="S3 prefix within the bucket (empty: the whole bucket).")
    import_events: list[Literal[IMPORT_EVENTS]] = Field(  # type: ignore[valid-type]
        list(IMPORT_EVENTS),
        description="S3 changes FSx imports automatically: new, changed and deleted objects.",
    )
    export_events: list[Literal[IMPORT_EVENTS]] = Field(  # type: ignore[valid-type]
        [],
        description="File changes FSx exports back to the bucket (empty: no export). Export "
        "needs a `read-write` bucket.",
    )


class FilesystemSpec(_Strict):
    """A shared file system training pods mount (`data:` in a job names it)."""

    name: str = Field(
        description="Name (DNS label); jobs mount it by this name. Not a bucket's name."
    )
    kind: Literal[LUSTRE, S3_MOUNT] = Field(  # type: ignore[valid-type]
        LUSTRE,
        description="`lustre`: FSx for Lustre, linked to buckets (`links`); `s3-mount`: a "
        "bucket mounted directly through Mountpoint for S3 (`bucket`).",
    )
    deployment_type: Literal[DEPLOYMENT_TYPES] = Field(  # type: ignore[valid-type]
        "PERSISTENT_2", description="FSx for Lustre deployment type (lustre only)."
    )
    throughput_per_tib: int | None = Field(
        None,
        description="MB/s per TiB of storage: 125, 250, 500 or 1000 on PERSISTENT_2 (default "
        "250), 50, 100 or 200 on PERSISTENT_1 (default 200); not settable on SCRATCH_2 "
        "(200, fixed).",
    )
    storage_gib: int = Field(
        1200, ge=1, description="Storage in GiB: 1200, 2400, or a multiple of 2400 (lustre)."
    )
    metadata_iops: int | Literal["automatic"] | None = Field(
        "automatic",
        description="PERSISTENT_2 metadata configuration: `automatic`, or Metadata IOPS "
        "(1500, 3000, 6000, 12000, multiples of 12000 up to 192000); null: none.",
    )
    az: str | None = Field(
        None,
        description="AZ of the file system. Default: the AZ of the environment's EFA pools, "
        "else the VPC's first AZ.",
    )
    efa: bool = Field(
        False,
        description="EFA and GPUDirect Storage (PERSISTENT_2 with a metadata configuration).",
    )
    links: list[LinkSpec] = Field([], description="Buckets linked to the file system (lustre).")
    bucket: str | None = Field(None, description="The bucket mounted (s3-mount only).")
