"""Who may do what, as the spec decides it: cluster admins and training pods' bucket access.

The components build IAM and EKS access from these functions (the training role's
policy follows `training_access` bucket by bucket); the job checker asks
`writable_buckets(spec)` whether a checkpoint bucket can be written before it
submits a job, so the two cannot disagree. Pure: no pulumi.
"""

from __future__ import annotations

from gpuforge.model.names import NO_ACCESS, READ_ONLY, READ_WRITE
from gpuforge.model.spec import EnvironmentSpec

READ_OBJECT_ACTIONS = ("s3:GetObject",)
WRITE_OBJECT_ACTIONS = ("s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload")
LIST_BUCKET_ACTIONS = ("s3:ListBucket",)


def creator_admin(spec: EnvironmentSpec) -> bool:
    """Whether the identity that creates the cluster keeps cluster admin.

    Only when the spec says `cluster.bootstrap_creator_admin: true`; otherwise the
    `cluster.admins` access entries are the only way in (the spec refuses an
    environment that has neither).
    """
    return spec.cluster.bootstrap_creator_admin is True


def training_access(spec: EnvironmentSpec) -> dict[str, str]:
    """Logical bucket name -> what training pods may do there (`read-only`, ...)."""
    return {b.name: b.training_access for b in spec.storage.buckets}


def writable_buckets(spec: EnvironmentSpec) -> list[str]:
    """The logical names of the buckets training pods may write (checkpoints go there)."""
    return [name for name, mode in training_access(spec).items() if mode == READ_WRITE]


def read_only_buckets(spec: EnvironmentSpec) -> list[str]:
    """The logical names of the buckets training pods may read but not write."""
    return [name for name, mode in training_access(spec).items() if mode == READ_ONLY]


def readable_buckets(spec: EnvironmentSpec) -> list[str]:
    """The logical names of the buckets training pods may read (read-only or read-write)."""
    return [name for name, mode in training_access(spec).items() if mode != NO_ACCESS]


def storage_key_statement(key_arn, region: str, *, writes: bool) -> dict:
    """The statement that lets a role use the storage key, only through S3 in `region`:
    Decrypt to read, plus GenerateDataKey when it writes. One shape for the training role
    and every team role."""
    return {
        "Sid": "UseStorageKeyThroughS3",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"] if writes else ["kms:Decrypt"],
        "Resource": key_arn,
        "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
    }
