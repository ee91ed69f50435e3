"""S3 buckets for datasets, checkpoints and artifacts, each with its companion resources.

Bucket naming: the physical name is deterministic,
`gpuforge-<environment>-<bucket>-<suffix>` (`gpuforge.model.names.bucket_name`:
a hash of account, region, environment and bucket), exactly the length the
spec checks against S3's 63-character limit.

Per bucket: public access block (all four), SSE-KMS with the storage key and
an S3 bucket key, a TLS-only bucket policy, versioning (Enabled, or Suspended
when the spec turns it off), lifecycle (abort incomplete multipart uploads,
expire noncurrent versions) and BucketOwnerEnforced ownership (ACLs off).
Each bucket is tagged with its logical name and what training pods may do in
it (`training_access`), so that the policy rules can hold pod roles to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_aws import s3

from gpuforge.components import _aws
from gpuforge.model.names import BUCKET_TAG, TRAINING_ACCESS_TAG, bucket_name
from gpuforge.model.spec import BucketSpec


@dataclass
class ObjectStoreArgs:
    """Inputs of `ObjectStore`."""

    environment: str
    """Environment name; part of every bucket name."""

    region: str
    """AWS region; part of the bucket-name hash."""

    buckets: list[BucketSpec]
    """One entry per bucket (`storage.buckets`): logical name, versioning, lifecycle days."""

    kms_key_arn: pulumi.Input[str]
    """KMS key for SSE-KMS (`Encryption.storage_key_arn`)."""

    force_destroy: bool = False
    """Let `pulumi destroy` delete non-empty buckets. Off by default; dev only."""


class ObjectStore(pulumi.ComponentResource):
    """One hardened S3 bucket per `storage.buckets` entry."""

    bucket_names: dict[str, pulumi.Output[str]]
    """Physical bucket name by logical name (`datasets` -> `gpuforge-dev-datasets-1a2b3c4`)."""
    bucket_arns: dict[str, pulumi.Output[str]]
    """Bucket ARN by logical name."""

    def __init__(
        self, name: str, args: ObjectStoreArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpuforge:storage:ObjectStore", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = _aws.account_id(self)

        self.bucket_names = {}
        self.bucket_arns = {}
        for spec in args.buckets:
            res = f"{name}-{spec.name}"
            bucket = s3.Bucket(
                res,
                bucket=account.apply(
                    lambda acct, b=spec.name: bucket_name(acct, args.region, args.environment, b)
                ),
                force_destroy=args.force_destroy,
                tags={BUCKET_TAG: spec.name, TRAINING_ACCESS_TAG: spec.training_access},
                opts=child,
            )
            pab = s3.BucketPublicAccessBlock(
                res,
                bucket=bucket.bucket,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
                opts=child,
            )
            s3.BucketOwnershipControls(
                res,
                bucket=bucket.bucket,
                rule={"object_ownership": "BucketOwnerEnforced"},
                opts=child,
            )
            s3.BucketServerSideEncryptionConfiguration(
                res,
                bucket=bucket.bucket,
                rules=[
                    {
                        "apply_server_side_encryption_by_default": {
                            "sse_algorithm": "aws:kms",
                            "kms_master_key_id": args.kms_key_arn,
                        },
                        "bucket_key_enabled": True,
                    }
                ],
                opts=child,
            )
            s3.BucketVersioning(
                res,
                bucket=bucket.bucket,
                versioning_configuration={"status": "Enabled" if spec.versioning else "Suspended"},
                opts=child,
            )
            s3.BucketLifecycleConfiguration(
                res,
                bucket=bucket.bucket,
                rules=[
                    {
                        "id": "abort-incomplete-multipart-uploads",
                        "status": "Enabled",
                        "filter": {"prefix": ""},
                        "abort_incomplete_multipart_upload": {
                            "days_after_initiation": spec.abort_multipart_days
                        },
                    },
                    {
                        "id": "expire-noncurrent-versions",
                        "status": "Enabled",
                        "filter": {"prefix": ""},
                        "noncurrent_version_expiration": {
                            "noncurrent_days": spec.noncurrent_expiration_days
                        },
                    },
                ],
                opts=child,
            )
            s3.BucketPolicy(
                res,
                bucket=bucket.bucket,
                policy=_aws.policy_output(
                    lambda arn: [
                        {
                            "Sid": "DenyInsecureTransport",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [arn, f"{arn}/*"],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                    bucket.arn,
                ),
                # A policy write right after the public access block is created can race it.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[pab]),
            )
            self.bucket_names[spec.name] = bucket.bucket
            self.bucket_arns[spec.name] = bucket.arn

        self.register_outputs({"bucket_names": self.bucket_names, "bucket_arns": self.bucket_arns})
