"""A job's `data:` mounts: checked against the environment's file systems, then rendered.

`check_mounts(job, env, team)` (called by `fit.check_fit`) resolves each mount to a file
system of the environment (`storage.filesystems`; a bucket name means the `s3-mount`
that mounts it) and refuses one the environment does not have, one the job's team may
not see, or a write mount of a file system the team may not write
(`gpuforge.model.data_volumes.team_access`, the rule the runtime's volumes follow). The
pods mount the file system's PersistentVolumeClaim in the team's namespace
(`names.data_claim_name`, made by the platform: `gpuforge.model.data_volumes`).
"""

from __future__ import annotations

from dataclasses import dataclass

from gpuforge.jobs import contract
from gpuforge.jobs.spec import JobSpec
from gpuforge.model import filesystems as fsf
from gpuforge.model.data_volumes import DataAccess, team_access
from gpuforge.model.errors import SpecError
from gpuforge.model.filesystem_spec import S3_MOUNT
from gpuforge.model.names import READ_ONLY, READ_WRITE, data_claim_name
from gpuforge.model.spec import EnvironmentSpec
from gpuforge.model.teams import Team


@dataclass(frozen=True)
class Mount:
    """One checked mount."""

    name: str
    """The name the job used (a file system, or a bucket behind an s3-mount)."""
    filesystem: str
    kind: str
    path: str
    read_only: bool
    claim: str
    throughput_gbps: float | None
    """The file system's aggregate baseline throughput (None for s3-mount)."""
    az: str | None
    """The file system's AZ (None for s3-mount)."""

    @property
    def volume(self) -> str:
        return f"data-{self.filesystem}"


def check_mounts(job: JobSpec, env: EnvironmentSpec, team: Team) -> tuple[Mount, ...]:
    """The job's mounts for `team` (`teams.team_of_job`), checked (module docstring)."""
    out = []
    for i, mount in enumerate(job.data):
        fs = fsf.filesystem(env, mount.name) or next(
            (f for f in fsf.s3_mounts(env) if f.bucket == mount.name), None
        )
        if fs is None:
            known = [f.name for f in env.storage.filesystems]
            raise SpecError(
                f"data[{i}].name",
                f"environment {env.environment} has no file system {mount.name!r}",
                f"one of: {', '.join(known)}"
                if known
                else "the environment needs storage.filesystems (docs/data.md)",
            )
        access = team_access(env, team, fs)
        if not isinstance(access, DataAccess):
            raise SpecError(
                f"data[{i}].name",
                access,
                "mount a file system of a bucket the team reads (teams[].datasets) or writes "
                "(docs/data.md, Teams)",
            )
        if not mount.read_only and access.read_only:
            raise SpecError(
                f"data[{i}].read_only",
                f"training may not write {fs.name} (its buckets are not all read-write)",
                "mount it read-only, or write results to a read-write bucket",
            )
        out.append(
            Mount(
                name=mount.name,
                filesystem=fs.name,
                kind=fs.kind,
                path=mount.path,
                read_only=mount.read_only,
                claim=data_claim_name(fs.name),
                throughput_gbps=fsf.throughput_gbps(fs),
                az=None if fs.kind == S3_MOUNT else fsf.zone(env, fs),
            )
        )
    return tuple(out)


def volumes(mounts: tuple[Mount, ...]) -> list[dict]:
    """The pod's volumes: each mount's PersistentVolumeClaim."""
    return [
        {"name": m.volume, "persistentVolumeClaim": {"claimName": m.claim, "readOnly": m.read_only}}
        for m in mounts
    ]


def volume_mounts(mounts: tuple[Mount, ...]) -> list[dict]:
    return [{"name": m.volume, "mountPath": m.path, "readOnly": m.read_only} for m in mounts]


def env(mounts: tuple[Mount, ...]) -> dict[str, str]:
    """`GPUFORGE_DATA_<NAME>`: where each mount is in the container."""
    return {contract.data_var(m.name): m.path for m in mounts}


def summary_lines(mounts: tuple[Mount, ...], total_gpus: int, pool_az: str | None) -> list[str]:
    """The dry run's data lines: what is mounted where, and the throughput per GPU."""
    lines = []
    for m in mounts:
        mode = READ_ONLY if m.read_only else READ_WRITE
        head = f"data: {m.name} at {m.path} ({m.kind}, {mode})"
        if m.throughput_gbps is None:
            lines.append(f"{head}; throughput: S3's, scales with clients (Mountpoint for S3)")
            continue
        per_gpu = m.throughput_gbps / total_gpus
        lines.append(
            f"{head}; throughput {m.throughput_gbps:g} GB/s for {total_gpus} GPUs = "
            f"{per_gpu:.3f} GB/s per GPU"
        )
        if pool_az and m.az and pool_az != m.az:
            lines.append(
                f"warning: {m.filesystem} is in {m.az}, the pool in {pool_az}: cross-AZ "
                "traffic is charged and slower"
            )
    return lines
