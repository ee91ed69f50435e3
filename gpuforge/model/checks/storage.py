"""S3 buckets and the KMS keys."""

from __future__ import annotations

from gpuforge.model import aws_limits, names
from gpuforge.model.checks._common import check_unique
from gpuforge.model.checks.cluster import check_principal
from gpuforge.model.errors import SpecError
from gpuforge.model.k8s_syntax import dns1123_label_problem
from gpuforge.model.spec import EnvironmentSpec


def check_storage(spec: EnvironmentSpec) -> None:
    for i, bucket in enumerate(spec.storage.buckets):
        path = f"storage.buckets[{i}].name"
        problem = dns1123_label_problem(bucket.name)
        if problem:
            raise SpecError(
                path,
                f"{bucket.name!r} is not a valid bucket name: it {problem}",
                "lower-case letters, digits and '-'",
            )
        if bucket.name == names.ACCESS_LOGS_BUCKET:
            raise SpecError(
                path,
                f"{bucket.name!r} is the name of the platform's own S3 access-log bucket",
                "choose another name",
            )
        # gpuforge-<env>-<name>- plus the 7-character hash suffix must fit.
        full = names.bucket_name_length(spec.environment, bucket.name)
        if full > aws_limits.BUCKET_NAME_MAX:
            raise SpecError(
                path,
                f"{bucket.name!r} makes a bucket name of {full} characters "
                f"({names.bucket_prefix(spec.environment, bucket.name)}xxxxxxx)",
                f"S3 allows {aws_limits.BUCKET_NAME_MAX}: shorten the bucket or environment name",
            )
    check_unique("storage.buckets", [b.name for b in spec.storage.buckets], "bucket")
    for i, arn in enumerate(spec.storage.admin_principals):
        path = f"storage.admin_principals[{i}]"
        account = check_principal(path, arn)
        if spec.account_id is not None and account != spec.account_id:
            raise SpecError(
                path,
                f"{arn} is in account {account}, not the environment's account {spec.account_id}",
                "give a role of the environment's account",
            )


def check_encryption(spec: EnvironmentSpec) -> None:
    window = spec.encryption.key_deletion_window_days
    if not 7 <= window <= 30:
        raise SpecError(
            "encryption.key_deletion_window_days",
            f"{window} is outside what KMS allows",
            "use 7 to 30 days",
        )
