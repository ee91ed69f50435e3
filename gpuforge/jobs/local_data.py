"""Where a local run finds the job's `data:` mounts: `--data NAME=PATH`, else an S3 sync.

On the cluster each mount is a PersistentVolumeClaim at its `path`, and the pods see
`GPUFORGE_DATA_<NAME>=<path>`. A local run (`launch --local`) points the same variable
at a directory here:

1. `--data NAME=PATH`: that directory (it must exist);
2. otherwise the buckets behind the file system (a lustre file system's links, each
   under its `path`; an s3-mount's bucket), synced into `.gpuforge/data/<env>/<name>/`
   under the working directory: objects missing there or of another size are
   downloaded, nothing is deleted. The bucket's physical name is resolved as for
   checkpoints (`local_storage.physical_bucket`); the credentials and endpoint are
   boto3's usual ones.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gpuforge.jobs import contract
from gpuforge.jobs.spec import JobSpec
from gpuforge.model import filesystems as fsf
from gpuforge.model.errors import SpecError
from gpuforge.model.filesystem_spec import S3_MOUNT
from gpuforge.model.spec import EnvironmentSpec

CACHE_DIR = Path(".gpuforge") / "data"


def parse_mappings(job: JobSpec, items: tuple[str, ...] | list[str]) -> dict[str, Path]:
    """`--data NAME=PATH` options as {mount name: directory}; SpecError at `--data`."""
    known = [m.name for m in job.data]
    out: dict[str, Path] = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise SpecError(
                "--data", f"{item!r} is not NAME=PATH", "e.g. --data datasets-fsx=./data"
            )
        if name not in known:
            raise SpecError(
                "--data",
                f"the job mounts no {name!r}",
                f"one of: {', '.join(known)}" if known else "the job has no data: mounts",
            )
        folder = Path(path).expanduser().resolve()
        if not folder.is_dir():
            raise SpecError("--data", f"{path} is not a directory", "create it or fix the path")
        out[name] = folder
    return out


def sources(env: EnvironmentSpec, name: str) -> list[tuple[str, str, str]]:
    """(logical bucket, S3 prefix, sub-directory) behind mount `name`."""
    fs = fsf.filesystem(env, name) or next(f for f in fsf.s3_mounts(env) if f.bucket == name)
    if fs.kind == S3_MOUNT:
        return [(fs.bucket or "", "", "")]
    return [(link.bucket, link.prefix, link.path.strip("/")) for link in fs.links]


def sync_bucket(bucket: str, prefix: str, target: Path, say: Callable[[str], None]) -> int:
    """Download what `target` lacks of s3://bucket/prefix; the number of objects fetched."""
    import boto3

    s3 = boto3.client("s3")
    fetched = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            relative = obj["Key"][len(prefix) :].lstrip("/")
            if not relative or relative.endswith("/"):
                continue
            dest = (target / relative).resolve()
            if not dest.is_relative_to(target.resolve()):
                continue  # a key with ../ never escapes the cache
            if dest.exists() and dest.stat().st_size == obj["Size"]:
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, obj["Key"], str(dest))
            fetched += 1
    say(f"data: s3://{bucket}/{prefix} -> {target} ({fetched} objects fetched)")
    return fetched


def resolve_data(
    job: JobSpec,
    env: EnvironmentSpec,
    mappings: dict[str, Path],
    say: Callable[[str], None],
    *,
    sync: bool = True,
    cwd: Path | None = None,
) -> dict[str, str]:
    """`GPUFORGE_DATA_<NAME>` for each mount: its `--data` directory or its synced cache.

    With `sync=False` (a dry run) the cache directories are named, not filled.
    """
    from gpuforge.jobs.local_storage import physical_bucket

    out: dict[str, str] = {}
    for mount in job.data:
        if mount.name in mappings:
            out[contract.data_var(mount.name)] = str(mappings[mount.name])
            continue
        target = ((cwd or Path.cwd()) / CACHE_DIR / env.environment / mount.name).resolve()
        if sync:
            for bucket, prefix, sub in sources(env, mount.name):
                folder = target / sub if sub else target
                folder.mkdir(parents=True, exist_ok=True)
                sync_bucket(physical_bucket(env, bucket), prefix, folder, say)
        out[contract.data_var(mount.name)] = str(target)
    return out
