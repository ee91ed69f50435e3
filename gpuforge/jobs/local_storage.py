"""Where a local run's checkpoints go: `s3://{bucket}/prefix` resolved on this machine.

On the cluster, `s3://{checkpoints}/llama` becomes the environment's physical
bucket (from the runtime's ConfigMap). A local run resolves it in this order:

1. `--checkpoint-uri URI` (`file:///dir`, `s3://bucket/prefix`, or `s3://{bucket}/prefix`
   with a logical bucket): that URI.
2. An S3 endpoint in the environment (`AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`,
   e.g. gpuforge's emulated account or a MinIO): the environment's physical bucket
   name at that endpoint, `gpuforge-<env>-<bucket>-<hash>`, and the job's prefix.
3. Otherwise a directory here: `file://<cwd>/.gpuforge/checkpoints/<job>`. A laptop
   never writes to a real bucket unless asked to with `--checkpoint-uri`.

The physical name needs the AWS account: the environment's `account_id` (or its
admins' account), else the caller's account from STS at the endpoint.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from gpuforge.jobs.spec import JobSpec
from gpuforge.model import names
from gpuforge.model.errors import SpecError
from gpuforge.model.s3_names import s3_uri_problem
from gpuforge.model.spec import EnvironmentSpec

LOCAL_DIR = Path(".gpuforge") / "checkpoints"
"""Checkpoints of local runs without an S3 endpoint, per job, under the working directory."""

_PLACEHOLDER = re.compile(r"\{([a-z0-9-]+)\}")


def s3_endpoint() -> str | None:
    """The S3 endpoint the environment variables name, if any."""
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


def resolve(
    job: JobSpec, env: EnvironmentSpec, override: str | None = None, cwd: Path | None = None
) -> str | None:
    """The checkpoint URI a local run of `job` uses (None: the job has no `checkpoint:`)."""
    if override is not None:
        return _resolve_override(override, env)
    if job.checkpoint is None:
        return None
    if s3_endpoint():
        bucket = physical_bucket(env, job.checkpoint.bucket)
        return f"s3://{bucket}{job.checkpoint.prefix}"
    return ((cwd or Path.cwd()) / LOCAL_DIR / job.name).resolve().as_uri()


def _resolve_override(uri: str, env: EnvironmentSpec) -> str:
    if not uri.isprintable():
        raise SpecError(
            "--checkpoint-uri",
            f"{uri!r} holds a control character",
            "give file:///dir, s3://bucket/prefix or s3://{checkpoints}/prefix",
            file="launch",
        )
    if uri.startswith("file://"):
        return uri
    if not uri.startswith("s3://") or len(uri) <= len("s3://"):
        raise SpecError(
            "--checkpoint-uri",
            f"{uri!r} is not a checkpoint location",
            "give file:///dir, s3://bucket/prefix or s3://{checkpoints}/prefix",
            file="launch",
        )
    known = {b.name for b in env.storage.buckets}

    def physical(match: re.Match) -> str:
        if match[1] not in known:
            raise SpecError(
                "--checkpoint-uri",
                f"{env.environment} has no bucket {match[1]!r}",
                f"its buckets: {', '.join(sorted(known))}",
                file="launch",
            )
        return physical_bucket(env, match[1])

    resolved = _PLACEHOLDER.sub(physical, uri)
    problem = s3_uri_problem(resolved)  # e.g. `s3://{checkpoints/x`, `s3://My_Bucket/x`
    if problem:
        raise SpecError(
            "--checkpoint-uri",
            f"{uri!r}: {problem}",
            "an S3 bucket name is 3-63 of a-z, 0-9, '.' and '-'; or write "
            "s3://{checkpoints}/prefix for the environment's bucket",
            file="launch",
        )
    return resolved


def physical_bucket(env: EnvironmentSpec, bucket: str) -> str:
    """The environment's physical name for logical bucket `bucket` (as Pulumi names it)."""
    account = env.expected_account or _caller_account()
    return names.bucket_name(account, env.region, env.environment, bucket)


def _caller_account() -> str:
    import boto3  # only when the environment names no account

    return boto3.client("sts").get_caller_identity()["Account"]
